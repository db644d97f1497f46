// One evaluation, end to end: a policy, its configuration and a request in; the
// AdmissionResponse that policy-server and `kwctl run` emit out. Both go through this code.
//
// Pipeline (policy-server.md §3.1-3.2): run the policy's runtime; turn any failure into a 200
// rejection with code 500 (the upstream messages: timeouts, guest failures, bad output); then,
// for /validate and /validate_raw and kwctl run (not /audit), apply the response handler:
// monitor mode, the mutation gate, the custom message.
//
// Tracing (tracing/span.h): when the thread has a current span that records, each policy
// evaluation is a child span of it, "policy_evaluation", with `policy_id` (a member's
// "<group>/<member>", and `group_member`, its name), the vanilla verdict's `allowed`, `mutated`,
// `response_code` and `response_message` (those present), or `error` when the evaluation
// failed; the guest's log lines are its events. A group's evaluation is a
// "policy_group_evaluation" span with the group's `policy_id` and vanilla verdict, parent of its
// members' spans. The span names are ours (upstream's come from its instrumentation, which the
// specification does not record); the attribute names are those of upstream's request spans.
//
// A Policy (compiled module + configuration) is immutable and shared across threads. An
// Evaluator belongs to one worker thread and keeps one warm runtime per Policy object (its
// module, grants, timeout and serialized settings), keyed by the policy's PolicyKey: a policy
// whose configuration changed is a new Policy object, with a new key, and gets a new runtime,
// while an unchanged one keeps its warm instance across environments (environment.h).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "admission/request.h"
#include "admission/response.h"
#include "admission/response_handler.h"
#include "base/json.h"
#include "engine/engine.h"
#include "policy/group_expression.h"
#include "host/host.h"
#include "policy/policies_config.h"
#include "runtime/runtime.h"
#include "tracing/span.h"

namespace kw::evaluator {

using policy::PolicyMode;

// The identity of one Policy object, unique in the process: what an Evaluator keys its warm
// runtimes by. A copy of a Policy is another policy (it may be changed before use), so copying
// draws a new key.
class PolicyKey {
 public:
  PolicyKey() : value_(Next()) {}
  PolicyKey(const PolicyKey&) : value_(Next()) {}
  PolicyKey& operator=(const PolicyKey&) { return *this; }
  std::uint64_t value() const { return value_; }

 private:
  static std::uint64_t Next();
  std::uint64_t value_;
};

// When a policy (or a group) last ran out of time: what policy-server's slow lane
// (server/slow_lane.h) keeps on the served objects themselves, so that an unchanged policy keeps
// its record across reloads and a request reads it with one relaxed atomic load. Steady-clock
// nanoseconds since its epoch; 0 = none (or forgiven). A copy starts clean: it is another
// policy, as PolicyKey says.
class TimeoutMark {
 public:
  TimeoutMark() = default;
  TimeoutMark(const TimeoutMark&) {}
  TimeoutMark& operator=(const TimeoutMark&) { return *this; }
  std::atomic<std::int64_t>& last() const { return last_; }

 private:
  mutable std::atomic<std::int64_t> last_{0};
};

// How a policy is run: upstream's policies.yml entry, or kwctl's flags.
struct PolicyConfig {
  std::string id;
  json::value settings = json::object();
  PolicyMode mode = PolicyMode::kProtect;
  bool allowed_to_mutate = false;
  std::optional<std::string> custom_message;
  std::shared_ptr<const host::HostCapabilities> capabilities;  // nullptr = deny all
  std::chrono::milliseconds timeout{0};                         // zero = unbounded
};

struct Policy {
  PolicyConfig config;
  runtime::PolicyModuleSharedPtr module;
  PolicyKey key;
  TimeoutMark timeouts;
};
using PolicySharedPtr = std::shared_ptr<const Policy>;

// A policy group (policy-server.md §3.4): members combined by a boolean expression. Members are
// ordinary Policies whose ids are "<group>/<member>"; they never mutate and have no mode or
// message of their own.
struct PolicyGroup {
  std::string id;
  PolicyMode mode = PolicyMode::kProtect;
  std::string message;  // the rejection message of the group
  policy::GroupExpression expression;
  std::map<std::string, PolicySharedPtr> members;  // by member name
  TimeoutMark timeouts;
};
using PolicyGroupSharedPtr = std::shared_ptr<const PolicyGroup>;

inline constexpr std::string_view kGroupMutationMessage =
    "mutation is not allowed inside of policy group";

// Where a request came from: which post-processing applies.
enum class Origin {
  kValidate,  // /validate, /validate_raw, kwctl run: response handler applied
  kAudit,     // /audit: the raw verdict
};

// The vanilla verdict (§3.1 step 4, before the response handler), which metrics record.
struct Verdict {
  bool accepted = false;
  bool mutated = false;                // a patch
  std::optional<std::uint16_t> code;  // status.code
};

class Environment;
struct EnvironmentEntry;

inline constexpr std::string_view kTimeoutMessage =
    "Policy execution interrupted because it exceeded the allowed execution time";

class Evaluator {
 public:
  // `worker` must outlive the Evaluator; `dispatcher` serves the policies' host calls.
  Evaluator(engine::Worker& worker, host::DispatcherSharedPtr dispatcher);

  // Runs `validate_settings` with the policy's configured settings.
  admission::SettingsValidationResponse ValidateSettings(const Policy& policy);

  // Evaluates `request`. Never fails: failures become rejections (code 500). With `vanilla`,
  // also stores the verdict before the response handler there.
  admission::AdmissionResponse Evaluate(const Policy& policy,
                                        const admission::ValidationRequest& request,
                                        Origin origin, Verdict* vanilla = nullptr);

  // The policy's vanilla verdict, before the response handler; errors are returned as such.
  Result<admission::AdmissionResponse> EvaluateVanilla(const Policy& policy,
                                                       const admission::ValidationRequest& request);

  // Validates every member's settings; the first invalid one is reported as
  // "<member>: <message>".
  admission::SettingsValidationResponse ValidateSettings(const PolicyGroup& group);

  // Evaluates the group's expression over its members (short-circuit, left to right) and
  // builds the group verdict: on rejection the group message, with one cause per evaluated
  // member that denied. The response handler (monitor mode only) applies for kValidate.
  // `vanilla` as above, for the group's verdict (members are not reported).
  admission::AdmissionResponse Evaluate(const PolicyGroup& group,
                                        const admission::ValidationRequest& request,
                                        Origin origin, Verdict* vanilla = nullptr);

  // Evaluates whatever `entry` of `environment` serves: its policy, its group, or, for a failed
  // entry, the rejection (code 500) with its error. The one place where "policy or group" is
  // decided. Seeing an environment newer than any before, the Evaluator drops the warm runtimes of
  // the policies it no longer serves.
  admission::AdmissionResponse Evaluate(const Environment& environment,
                                        const EnvironmentEntry& entry,
                                        const admission::ValidationRequest& request, Origin origin,
                                        Verdict* vanilla = nullptr);
  // The same for the entry `id`; kNotFound ("unknown policy: <id>") when there is none.
  Result<admission::AdmissionResponse> Evaluate(const Environment& environment,
                                                std::string_view id,
                                                const admission::ValidationRequest& request,
                                                Origin origin, Verdict* vanilla = nullptr);
  // Validates the settings of what `entry` serves (a failed entry is invalid, with its error).
  admission::SettingsValidationResponse ValidateSettings(const EnvironmentEntry& entry);

  // Drops the warm runtimes of every policy that neither `served` serves nor `keep` lists (by
  // PolicyKey value): what policy-server's workers do before validating the policies of a new
  // environment, so that a worker that serves no request between reloads does not keep the
  // instances of every version it ever validated.
  void Retain(const Environment& served, std::span<const std::uint64_t> keep);

  // How many policy evaluations (group members included) this Evaluator saw run out of time:
  // compared before and after an evaluation, it tells whether the evaluation timed out.
  std::uint64_t timeouts() const { return timeouts_; }

  // How many warm runtimes this Evaluator keeps (one per policy and member it ran).
  std::size_t warm_runtimes() const { return runtimes_.size(); }

  // The waPC protocol_version answer, for kwctl annotate.
  Result<std::string> ProtocolVersion(const Policy& policy);

 private:
  Result<runtime::PolicyRuntime*> RuntimeFor(const Policy& policy);
  // EvaluateVanilla, under a "policy_evaluation" span when tracing (see above).
  Result<admission::AdmissionResponse> EvaluateInSpan(const Policy& policy,
                                                      const admission::ValidationRequest& request,
                                                      std::string_view group_member);

  engine::Worker& worker_;
  host::DispatcherSharedPtr dispatcher_;
  // Drops the runtimes of policies `environment` does not serve, once per newer environment.
  void Follow(const Environment& environment);

  std::map<std::uint64_t, runtime::PolicyRuntimePtr> runtimes_;  // by PolicyKey
  std::uint64_t newest_generation_ = 0;  // of the environments evaluated with
  std::uint64_t timeouts_ = 0;
};

// Records `response` on `span`: `allowed`, `mutated` (a patch), and `response_code` and
// `response_message` when the status has them (upstream's span attributes, §5.3).
void TraceResponse(tracing::Span& span, const admission::AdmissionResponse& response);

// The rejection a failed evaluation becomes (§1.6).
admission::AdmissionResponse RejectionFor(std::string_view uid, const Error& error);

// The answer to `request` for `entry` when its evaluation runs out of time, given without
// running it (policy-server's slow lane, when full): the timeout rejection (code 500,
// kTimeoutMessage) through the entry's response handler, as a timed-out policy's evaluation answers.
// For a group, the timeout rejection itself (not the group message with its members' causes,
// which would depend on which members ran), under the group's mode. `vanilla` as Evaluate's.
admission::AdmissionResponse TimedOut(const EnvironmentEntry& entry,
                                      const admission::ValidationRequest& request, Origin origin,
                                      Verdict* vanilla = nullptr);

}  // namespace kw::evaluator
