#include "metrics/exposition.h"

#include <algorithm>
#include <array>
#include <charconv>

#include <boost/json.hpp>

namespace kw::metrics {
namespace {

namespace json = boost::json;

constexpr std::string_view kEvaluationsHelp =
    "Policy evaluations (and requests to policies that failed to load)";
constexpr std::string_view kLatencyHelp =
    "Policy evaluation latency, in whole milliseconds";
constexpr std::string_view kPolicyStateHelp =
    "1 for the state of each policy served: live, last-good (its latest definition failed to "
    "load) or failed";
constexpr std::string_view kConfigInfoHelp =
    "The generation of the policies served, labelled with the digest of their file";
constexpr std::string_view kSlowLaneEntriesHelp =
    "Times the policy ran out of time and was moved to the slow lane";
constexpr std::string_view kSlowLaneExitsHelp =
    "Times the policy went back from the slow lane after a quiet period";
constexpr std::string_view kSlowLaneRejectionsHelp =
    "Requests answered with the timeout rejection because the slow lane was full";

// The slow lane's counters, each with its help text and points.
struct NamedCounters {
  std::string_view name;
  std::string_view help;
  const std::vector<CounterPoint>* points;
};
std::array<NamedCounters, 3> SlowLaneCounters(const Snapshot& snapshot) {
  return {{{kSlowLaneEntries, kSlowLaneEntriesHelp, &snapshot.slow_lane_entries},
           {kSlowLaneExits, kSlowLaneExitsHelp, &snapshot.slow_lane_exits},
           {kSlowLaneRejections, kSlowLaneRejectionsHelp, &snapshot.slow_lane_rejections}}};
}

// --- Prometheus text -------------------------------------------------------------------------

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
}

void AppendValueText(std::string& out, const AttributeValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return AppendEscapedLabelValue(out, *s);
  if (const auto* b = std::get_if<bool>(&value)) {
    out += *b ? "true" : "false";
    return;
  }
  out += std::to_string(std::get<std::int64_t>(value));
}

// `k="v",...`: rendered once per series, for all of its lines.
std::string LabelText(const Attributes& attributes) {
  std::string out;
  for (const auto& [key, value] : attributes) {
    if (!out.empty()) out.push_back(',');
    out += key;
    out += "=\"";
    AppendValueText(out, value);
    out.push_back('"');
  }
  return out;
}

void AppendNumber(std::string& out, std::uint64_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

// `<name><suffix>{<labels>[,le="<le>"]} <value>`.
void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  std::string_view labels, std::uint64_t value, std::string_view le = {}) {
  out += name;
  out += suffix;
  out.push_back('{');
  out += labels;
  if (!le.empty()) {
    if (!labels.empty()) out.push_back(',');
    out += "le=\"";
    out += le;
    out.push_back('"');
  }
  out += "} ";
  AppendNumber(out, value);
  out.push_back('\n');
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out.push_back(' ');
  out += help;  // constant text: nothing to escape
  out += "\n# TYPE ";
  out += name;
  out.push_back(' ');
  out += type;
  out.push_back('\n');
}

// --- OTLP/JSON -------------------------------------------------------------------------------

std::string UnixNanos(std::chrono::system_clock::time_point t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

json::object OtlpValue(const AttributeValue& value) {
  json::object v;
  if (const auto* s = std::get_if<std::string>(&value)) {
    v["stringValue"] = *s;
  } else if (const auto* b = std::get_if<bool>(&value)) {
    v["boolValue"] = *b;
  } else {
    v["intValue"] = std::to_string(std::get<std::int64_t>(value));
  }
  return v;
}

json::array OtlpAttributes(const Attributes& attributes) {
  json::array out;
  for (const auto& [key, value] : attributes) {
    out.push_back(json::object{{"key", key}, {"value", OtlpValue(value)}});
  }
  return out;
}

json::object OtlpPoint(const Snapshot& snapshot, const Attributes& attributes) {
  return {{"attributes", OtlpAttributes(attributes)},
          {"startTimeUnixNano", UnixNanos(snapshot.start_time)},
          {"timeUnixNano", UnixNanos(snapshot.time)}};
}

// A `double` field of whole milliseconds. Written as a JSON integer: Boost.JSON would write a
// double as `5e0`, valid JSON that not every OTLP receiver's number reader takes.
json::value Number(std::uint64_t ms) { return static_cast<std::int64_t>(ms); }

constexpr int kCumulative = 2;  // AGGREGATION_TEMPORALITY_CUMULATIVE

}  // namespace

std::string PrometheusText(const Snapshot& snapshot) {
  static const auto kLe = [] {
    std::array<std::string, kLatencyBuckets> le;
    for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) le[i] = std::to_string(kLatencyBounds[i]);
    le.back() = "+Inf";
    return le;
  }();
  std::string out;
  AppendHeader(out, kEvaluationsTotal, kEvaluationsHelp, "counter");
  for (const auto& point : snapshot.evaluations_total) {
    AppendSample(out, kEvaluationsTotal, "", LabelText(point.attributes), point.value);
  }
  AppendHeader(out, kEvaluationLatency, kLatencyHelp, "histogram");
  for (const auto& point : snapshot.evaluation_latency) {
    const std::string labels = LabelText(point.attributes);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBuckets; ++i) {
      cumulative += point.bucket_counts[i];
      AppendSample(out, kEvaluationLatency, "_bucket", labels, cumulative, kLe[i]);
    }
    AppendSample(out, kEvaluationLatency, "_sum", labels, point.sum);
    AppendSample(out, kEvaluationLatency, "_count", labels, point.count);
  }
  const auto gauge = [&](std::string_view name, std::string_view help,
                         const std::vector<GaugePoint>& points) {
    if (points.empty()) return;
    AppendHeader(out, name, help, "gauge");
    for (const auto& point : points) {
      AppendSample(out, name, "", LabelText(point.attributes),
                   static_cast<std::uint64_t>(std::max<std::int64_t>(point.value, 0)));
    }
  };
  gauge(kPolicyState, kPolicyStateHelp, snapshot.policy_states);
  gauge(kPoliciesConfigInfo, kConfigInfoHelp, snapshot.config_info);
  for (const auto& counter : SlowLaneCounters(snapshot)) {
    if (counter.points->empty()) continue;
    AppendHeader(out, counter.name, counter.help, "counter");
    for (const auto& point : *counter.points) {
      AppendSample(out, counter.name, "", LabelText(point.attributes), point.value);
    }
  }
  return out;
}

std::string OtlpJson(const Snapshot& snapshot) {
  json::array metrics;
  const auto counter = [&](std::string_view name, const std::vector<CounterPoint>& points) {
    if (points.empty()) return;
    json::array data;
    for (const auto& point : points) {
      json::object p = OtlpPoint(snapshot, point.attributes);
      p["asInt"] = std::to_string(point.value);
      data.push_back(std::move(p));
    }
    metrics.push_back(json::object{
        {"name", name},
        {"sum", json::object{{"dataPoints", std::move(data)},
                             {"aggregationTemporality", kCumulative},
                             {"isMonotonic", true}}}});
  };
  counter(kEvaluationsTotal, snapshot.evaluations_total);
  if (!snapshot.evaluation_latency.empty()) {
    json::array bounds;
    for (std::uint64_t bound : kLatencyBounds) bounds.push_back(Number(bound));
    json::array points;
    for (const auto& point : snapshot.evaluation_latency) {
      json::object p = OtlpPoint(snapshot, point.attributes);
      p["count"] = std::to_string(point.count);
      p["sum"] = Number(point.sum);
      json::array counts;
      for (std::uint64_t n : point.bucket_counts) counts.push_back(json::value(std::to_string(n)));
      p["bucketCounts"] = std::move(counts);
      p["explicitBounds"] = bounds;
      p["min"] = Number(point.min);
      p["max"] = Number(point.max);
      points.push_back(std::move(p));
    }
    metrics.push_back(json::object{
        {"name", kEvaluationLatency},
        {"histogram", json::object{{"dataPoints", std::move(points)},
                                   {"aggregationTemporality", kCumulative}}}});
  }
  for (const auto& [name, points] :
       {std::pair{kPolicyState, &snapshot.policy_states},
        std::pair{kPoliciesConfigInfo, &snapshot.config_info}}) {
    if (points->empty()) continue;
    json::array data;
    for (const auto& point : *points) {
      json::object p = OtlpPoint(snapshot, point.attributes);
      p["asInt"] = std::to_string(point.value);
      data.push_back(std::move(p));
    }
    metrics.push_back(json::object{{"name", name},
                                   {"gauge", json::object{{"dataPoints", std::move(data)}}}});
  }
  for (const auto& slow_lane : SlowLaneCounters(snapshot)) {
    counter(slow_lane.name, *slow_lane.points);
  }
  json::object scope_metrics{{"scope", json::object{{"name", kMeterName}}},
                             {"metrics", std::move(metrics)}};
  json::object resource{
      {"attributes",
       OtlpAttributes({{"service.name", std::string(kServiceName)}})}};
  json::object resource_metrics{{"resource", std::move(resource)},
                                {"scopeMetrics", json::array{std::move(scope_metrics)}}};
  return json::serialize(json::object{{"resourceMetrics", json::array{std::move(resource_metrics)}}});
}

}  // namespace kw::metrics
