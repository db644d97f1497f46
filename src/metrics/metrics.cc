#include "metrics/metrics.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <thread>
#include <unordered_map>

namespace kw::metrics {
namespace {

std::atomic<std::uint64_t> next_registry_id{1};

// Adds to a value that only its shard's thread writes: a plain load and store rather than a
// locked read-modify-write, while collectors on other threads still read whole values.
void Add(std::atomic<std::uint64_t>& value, std::uint64_t delta) {
  value.store(value.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

std::size_t BucketOf(std::uint64_t ms) {
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
    if (ms <= kLatencyBounds[i]) return i;
  }
  return kLatencyBounds.size();
}

// A series key: a tag naming the attribute set, then every attribute value in order. Strings
// are length-prefixed and optionals flagged, so two attribute sets never encode alike.
void AppendString(std::string& key, std::string_view s) {
  const auto size = static_cast<std::uint32_t>(s.size());
  key.append(reinterpret_cast<const char*>(&size), sizeof size);
  key.append(s);
}

void AppendBool(std::string& key, bool b) { key.push_back(b ? '\1' : '\0'); }

void AppendOptional(std::string& key, const std::optional<std::string_view>& s) {
  AppendBool(key, s.has_value());
  if (s) AppendString(key, *s);
}

void AppendOptional(std::string& key, const std::optional<std::int64_t>& n) {
  AppendBool(key, n.has_value());
  if (n) key.append(reinterpret_cast<const char*>(&*n), sizeof *n);
}

void WriteKey(std::string& key, const AdmissionEvaluation& e) {
  key.assign(1, 'A');
  AppendString(key, e.policy_name);
  AppendString(key, e.policy_mode);
  AppendString(key, e.resource_kind);
  AppendString(key, e.resource_request_operation);
  AppendBool(key, e.accepted);
  AppendBool(key, e.mutated);
  AppendString(key, e.request_origin);
  AppendOptional(key, e.resource_namespace);
  AppendOptional(key, e.error_code);
}

void WriteKey(std::string& key, const RawEvaluation& e) {
  key.assign(1, 'R');
  AppendString(key, e.policy_name);
  AppendString(key, e.policy_mode);
  AppendBool(key, e.accepted);
  AppendBool(key, e.mutated);
  AppendOptional(key, e.error_code);
}

Attribute Str(std::string_view key, std::string_view value) {
  return {std::string(key), std::string(value)};
}

Attributes AttributesOf(const AdmissionEvaluation& e) {
  Attributes a = {
      Str("policy_name", e.policy_name),
      Str("policy_mode", e.policy_mode),
      Str("resource_kind", e.resource_kind),
      Str("resource_request_operation", e.resource_request_operation),
      {"accepted", e.accepted},
      {"mutated", e.mutated},
      Str("request_origin", e.request_origin),
  };
  if (e.resource_namespace) a.push_back(Str("resource_namespace", *e.resource_namespace));
  if (e.error_code) a.push_back({"error_code", *e.error_code});
  return a;
}

Attributes AttributesOf(const RawEvaluation& e) {
  Attributes a = {
      Str("policy_name", e.policy_name),
      Str("policy_mode", e.policy_mode),
      {"accepted", e.accepted},
      {"mutated", e.mutated},
  };
  if (e.error_code) a.push_back({"error_code", *e.error_code});
  return a;
}

// One attribute set's values in one shard. Only the shard's thread writes them.
struct Series {
  Series(Attributes a, bool h) : attributes(std::move(a)), histogram(h) {}

  const Attributes attributes;
  const bool histogram;  // false: counter only (init errors)
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> sum{0};
  std::atomic<std::uint64_t> min{std::numeric_limits<std::uint64_t>::max()};
  std::atomic<std::uint64_t> max{0};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets> buckets{};
};

// Records one observation. The bucket is written last, with release, so that a collector that
// sees an observation in a bucket (acquire) also sees it in min, max and sum.
void Observe(Series& s, std::chrono::nanoseconds latency) {
  auto whole = std::chrono::duration_cast<std::chrono::milliseconds>(latency).count();
  const std::uint64_t ms = whole > 0 ? static_cast<std::uint64_t>(whole) : 0;
  Add(s.count, 1);
  if (ms < s.min.load(std::memory_order_relaxed)) s.min.store(ms, std::memory_order_relaxed);
  if (ms > s.max.load(std::memory_order_relaxed)) s.max.store(ms, std::memory_order_relaxed);
  Add(s.sum, ms);
  std::atomic<std::uint64_t>& bucket = s.buckets[BucketOf(ms)];
  bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

// One thread's series. Only the owning thread adds series, under `mutex`; it looks them up
// without the lock (it is the only writer), while collectors take the lock to read.
struct Registry::Shard {
  explicit Shard(std::thread::id t) : thread(t) {}

  // The series whose key is in `key`, created with make() if new.
  template <typename MakeAttributes>
  Series& Find(bool histogram, MakeAttributes&& make) {
    auto it = series.find(std::string_view(key));
    if (it != series.end()) return *it->second;
    auto created = std::make_unique<Series>(make(), histogram);
    std::lock_guard lock(mutex);
    return *series.emplace(key, std::move(created)).first->second;
  }

  const std::thread::id thread;
  std::mutex mutex;
  std::unordered_map<std::string, std::unique_ptr<Series>, StringHash, std::equal_to<>> series;
  std::string key;  // the owner's scratch buffer: lookups do not allocate once it has grown
};

Registry::Registry()
    : id_(next_registry_id.fetch_add(1)), start_time_(std::chrono::system_clock::now()) {}

Registry::~Registry() = default;

Registry::Shard& Registry::LocalShard() {
  // One slot per thread: the recording thread almost always records into one Registry.
  struct Cache {
    std::uint64_t registry = 0;
    Shard* shard = nullptr;
  };
  thread_local Cache cache;
  if (cache.registry == id_) return *cache.shard;
  const std::thread::id self = std::this_thread::get_id();
  std::lock_guard lock(mutex_);
  auto it = std::find_if(shards_.begin(), shards_.end(),
                         [&](const auto& shard) { return shard->thread == self; });
  Shard* shard =
      it != shards_.end() ? it->get() : shards_.emplace_back(std::make_unique<Shard>(self)).get();
  cache = {id_, shard};
  return *shard;
}

void Registry::Record(const AdmissionEvaluation& e, std::chrono::nanoseconds latency) {
  Shard& shard = LocalShard();
  WriteKey(shard.key, e);
  Observe(shard.Find(true, [&] { return AttributesOf(e); }), latency);
}

void Registry::Record(const RawEvaluation& e, std::chrono::nanoseconds latency) {
  Shard& shard = LocalShard();
  WriteKey(shard.key, e);
  Observe(shard.Find(true, [&] { return AttributesOf(e); }), latency);
}

void Registry::RecordInitializationError(std::string_view policy_name, std::string_view error) {
  Shard& shard = LocalShard();
  std::string& key = shard.key;
  key.assign(1, 'I');
  AppendString(key, policy_name);
  AppendString(key, error);
  Series& s = shard.Find(false, [&] {
    return Attributes{Str("policy_name", policy_name), Str("initialization_error", error)};
  });
  Add(s.count, 1);
}

void Registry::RecordSlowLane(SlowLaneEvent event, std::string_view policy_name) {
  std::lock_guard lock(mutex_);
  auto& counts = slow_lane_[static_cast<std::size_t>(event)];
  auto it = counts.find(policy_name);
  if (it == counts.end()) it = counts.emplace(std::string(policy_name), 0).first;
  ++it->second;
}

Snapshot Registry::Collect() const {
  // The same attribute set may have a series in several shards: merged by key. Keys and series
  // stay where they are for the Registry's life, so views of them outlive the shard locks.
  struct Merged {
    const Series* series = nullptr;
    HistogramPoint point;
    std::uint64_t count = 0;
  };
  std::unordered_map<std::string_view, Merged> merged;
  {
    std::lock_guard lock(mutex_);
    for (const auto& shard : shards_) {
      std::lock_guard shard_lock(shard->mutex);
      for (const auto& [key, series] : shard->series) {
        Merged& m = merged[key];
        m.series = series.get();
        m.count += series->count.load(std::memory_order_relaxed);
        if (!series->histogram) continue;
        std::array<std::uint64_t, kLatencyBuckets> counts;
        std::uint64_t count = 0;
        for (std::size_t i = 0; i < kLatencyBuckets; ++i) {
          counts[i] = series->buckets[i].load(std::memory_order_acquire);
          count += counts[i];
        }
        if (count == 0) continue;
        HistogramPoint& p = m.point;
        const std::uint64_t min = series->min.load(std::memory_order_relaxed);
        p.min = p.count == 0 ? min : std::min(p.min, min);
        p.max = std::max(p.max, series->max.load(std::memory_order_relaxed));
        p.sum += series->sum.load(std::memory_order_relaxed);
        p.count += count;
        for (std::size_t i = 0; i < kLatencyBuckets; ++i) p.bucket_counts[i] += counts[i];
      }
    }
  }
  Snapshot snapshot;
  snapshot.start_time = start_time_;
  snapshot.time = std::chrono::system_clock::now();
  {
    std::lock_guard lock(mutex_);
    snapshot.policy_states = policy_states_;
    snapshot.config_info = config_info_;
    for (auto [event, points] :
         {std::pair{SlowLaneEvent::kEntry, &snapshot.slow_lane_entries},
          std::pair{SlowLaneEvent::kExit, &snapshot.slow_lane_exits},
          std::pair{SlowLaneEvent::kRejection, &snapshot.slow_lane_rejections}}) {
      // The map's order is the attributes' order: one attribute, the name.
      for (const auto& [name, count] : slow_lane_[static_cast<std::size_t>(event)]) {
        points->push_back({{Str("policy_name", name)}, count});
      }
    }
  }
  for (auto& [key, m] : merged) {
    if (m.count == 0) continue;  // created by a record still in flight
    snapshot.evaluations_total.push_back({m.series->attributes, m.count});
    if (m.series->histogram && m.point.count > 0) {
      m.point.attributes = m.series->attributes;
      snapshot.evaluation_latency.push_back(std::move(m.point));
    }
  }
  const auto by_attributes = [](const auto& a, const auto& b) { return a.attributes < b.attributes; };
  std::sort(snapshot.evaluations_total.begin(), snapshot.evaluations_total.end(), by_attributes);
  std::sort(snapshot.evaluation_latency.begin(), snapshot.evaluation_latency.end(), by_attributes);
  return snapshot;
}

void Registry::SetServedPolicies(std::string_view version, std::uint64_t generation,
                                 std::vector<PolicyState> states) {
  std::vector<GaugePoint> points;
  points.reserve(states.size());
  for (auto& s : states) {
    points.push_back({{{"policy_name", std::move(s.policy_name)}, {"state", std::move(s.state)}}, 1});
  }
  std::sort(points.begin(), points.end(),
            [](const auto& a, const auto& b) { return a.attributes < b.attributes; });
  std::vector<GaugePoint> info = {
      {{{"version", std::string(version)}}, static_cast<std::int64_t>(generation)}};
  std::lock_guard lock(mutex_);
  policy_states_ = std::move(points);
  config_info_ = std::move(info);
}

}  // namespace kw::metrics
