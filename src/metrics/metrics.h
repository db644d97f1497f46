// policy-server's metrics (policy-server.md §5.2): upstream's two instruments, with upstream's
// names and attribute sets, recorded on the evaluation hot path and read by the exporters
// (exposition.h: Prometheus text and OTLP JSON; otlp_exporter.h: the OTLP/HTTP push).
//
//   kubewarden_policy_evaluations_total                 counter, +1 per evaluation and per
//                                                       request to a policy that failed to load
//   kubewarden_policy_evaluation_latency_milliseconds   histogram of whole milliseconds
//                                                       (truncated), OpenTelemetry's default
//                                                       bucket boundaries
//
// And two gauges of ours, describing what is served (server/served_policies.h), replaced whole
// on every change of the policies:
//   kubewarden_policy_state            1 per id, {policy_name, state}: live, last-good, failed
//   kubewarden_policies_config_info    the environment's generation, {version}: the digest of the
//                                      policies file served
//
// And three counters of ours for policy-server's slow lane (server/slow_lane.h), {policy_name}
// (a policy, group or member id), each present once it has counted something:
//   kubewarden_policy_slow_lane_entries_total     times the policy ran out of time and was moved
//                                                 to the slow lane
//   kubewarden_policy_slow_lane_exits_total       times it went back to the main workers, after a
//                                                 quiet period without timeouts
//   kubewarden_policy_slow_lane_rejections_total  its requests answered at once with the timeout
//                                                 rejection because the slow lane was full
// A policy is in the slow lane while its entries outnumber its exits. These are rare events
// (never on a good policy's path): recorded under the Registry's lock.
//
// Attribute sets, in upstream's order:
//   AdmissionRequest  policy_name, policy_mode, resource_kind, resource_request_operation,
//                     accepted, mutated, request_origin, [resource_namespace], [error_code]
//   raw request       policy_name, policy_mode, accepted, mutated, [error_code]
//   init error        policy_name, initialization_error  (counter only)
// `accepted`, `mutated` and `error_code` describe the policy's vanilla verdict, before monitor
// mode, the mutation gate and custom messages. Booleans and error codes keep their OTLP types
// (bool, int64); the Prometheus text writes them as `true`/`false` and decimal.
//
// Cost and threading: Record* may be called from any number of threads concurrently. Each thread
// records into its own shard, found through a thread_local cache, so that threads never write
// the same cache line; a series (one attribute set) is looked up by an encoded key without
// allocating, and created (under the shard's lock) only the first time its attribute set is
// seen on that thread. Recording is then a hash lookup and a few relaxed atomic stores (well
// under a microsecond; bench/micro/metrics_bench.cc). Collect() merges the shards under their
// locks and may run concurrently with recording; a collected histogram point is consistent in
// itself (its count is the sum of its buckets), though it may miss records still in flight.
// Series are never removed: the values are cumulative for the life of the Registry, as the
// OpenTelemetry SDK's cumulative temporality is.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kw::metrics {

inline constexpr std::string_view kEvaluationsTotal = "kubewarden_policy_evaluations_total";
inline constexpr std::string_view kPolicyState = "kubewarden_policy_state";
inline constexpr std::string_view kPoliciesConfigInfo = "kubewarden_policies_config_info";
inline constexpr std::string_view kSlowLaneEntries = "kubewarden_policy_slow_lane_entries_total";
inline constexpr std::string_view kSlowLaneExits = "kubewarden_policy_slow_lane_exits_total";
inline constexpr std::string_view kSlowLaneRejections =
    "kubewarden_policy_slow_lane_rejections_total";
inline constexpr std::string_view kEvaluationLatency =
    "kubewarden_policy_evaluation_latency_milliseconds";
// The OpenTelemetry SDK's default explicit bucket boundaries (upstream does not override them).
// Bucket i counts values in (kLatencyBounds[i-1], kLatencyBounds[i]]; one more bucket counts the
// values above the last boundary.
inline constexpr std::array<std::uint64_t, 15> kLatencyBounds = {
    0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};
inline constexpr std::size_t kLatencyBuckets = kLatencyBounds.size() + 1;

// The attributes of one evaluation of an AdmissionRequest (/validate, /audit). The views need
// only live for the call.
struct AdmissionEvaluation {
  std::string_view policy_name;
  std::string_view policy_mode;                 // "protect" or "monitor"
  std::string_view resource_kind;               // requestKind.kind, "" when absent
  std::string_view resource_request_operation;  // CREATE, UPDATE, ...
  bool accepted = false;
  bool mutated = false;
  std::string_view request_origin;  // "validate" or "audit"
  std::optional<std::string_view> resource_namespace;
  std::optional<std::int64_t> error_code;
};

// The attributes of one evaluation of a raw request (/validate_raw).
struct RawEvaluation {
  std::string_view policy_name;
  std::string_view policy_mode;
  bool accepted = false;
  bool mutated = false;
  std::optional<std::int64_t> error_code;
};

// An attribute value, typed as OTLP types it.
using AttributeValue = std::variant<std::string, bool, std::int64_t>;
struct Attribute {
  std::string key;
  AttributeValue value;
  auto operator<=>(const Attribute&) const = default;
};
using Attributes = std::vector<Attribute>;

struct CounterPoint {
  Attributes attributes;
  std::uint64_t value = 0;
};

struct HistogramPoint {
  Attributes attributes;
  std::array<std::uint64_t, kLatencyBuckets> bucket_counts{};  // per bucket, not cumulative
  std::uint64_t count = 0;  // the sum of bucket_counts
  std::uint64_t sum = 0;
  std::uint64_t min = 0;  // meaningful when count > 0
  std::uint64_t max = 0;
};

struct GaugePoint {
  Attributes attributes;
  std::int64_t value = 0;
};

// What happened to a policy in the slow lane: which counter above counts it.
enum class SlowLaneEvent { kEntry, kExit, kRejection };

// One served id and its state name.
struct PolicyState {
  std::string policy_name;
  std::string state;
};

// Every series at one instant, each instrument's points sorted by attributes.
struct Snapshot {
  std::chrono::system_clock::time_point start_time;  // when the Registry was created
  std::chrono::system_clock::time_point time;        // when the snapshot was taken
  std::vector<CounterPoint> evaluations_total;
  std::vector<HistogramPoint> evaluation_latency;
  std::vector<GaugePoint> policy_states;
  std::vector<GaugePoint> config_info;  // one point once policies are served
  std::vector<CounterPoint> slow_lane_entries;  // {policy_name}, sorted
  std::vector<CounterPoint> slow_lane_exits;
  std::vector<CounterPoint> slow_lane_rejections;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // +1 on the counter and `latency` (truncated to whole ms) on the histogram, with the
  // evaluation's attributes.
  void Record(const AdmissionEvaluation& evaluation, std::chrono::nanoseconds latency);
  void Record(const RawEvaluation& evaluation, std::chrono::nanoseconds latency);
  // +1 on the counter with {policy_name, initialization_error}: a request to a policy that
  // failed to load (--continue-on-errors).
  void RecordInitializationError(std::string_view policy_name, std::string_view error);

  // Replaces the gauges of what is served.
  void SetServedPolicies(std::string_view version, std::uint64_t generation,
                         std::vector<PolicyState> states);

  // +1 on the slow-lane counter of `event`, {policy_name}.
  void RecordSlowLane(SlowLaneEvent event, std::string_view policy_name);

  Snapshot Collect() const;

 private:
  struct Shard;

  Shard& LocalShard();

  const std::uint64_t id_;  // unique for the process's life, keys the thread_local shard cache
  const std::chrono::system_clock::time_point start_time_;
  mutable std::mutex mutex_;  // guards shards_ (not their contents)
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<GaugePoint> policy_states_;  // guarded by mutex_
  std::vector<GaugePoint> config_info_;    // guarded by mutex_
  // By event, then policy name; guarded by mutex_.
  std::array<std::map<std::string, std::uint64_t, std::less<>>, 3> slow_lane_;
};

}  // namespace kw::metrics
