#include "crd/replica_report.h"

#include <algorithm>
#include <charconv>

#include "base/utf8.h"

namespace kw::crd {
namespace {

constexpr std::size_t kMaxMessage = 1024;
constexpr std::size_t kMaxErrors = 100;

// `text` cut to at most `limit` bytes, on a character boundary.
std::string Truncated(std::string_view text, std::size_t limit) {
  std::size_t end = 0;
  while (end < text.size()) {
    const std::optional<Utf8Sequence> sequence = DecodeUtf8(text.substr(end));
    const std::size_t length = sequence ? sequence->length : 1;
    if (end + length > limit) break;
    end += length;
  }
  return std::string(text.substr(0, end));
}

bool IsTerminated(const json::value& pod) {
  const json::value* metadata = FindKey(pod, "metadata");
  if (metadata != nullptr && FindKey(*metadata, "deletionTimestamp") != nullptr) return true;
  const std::string phase = StringAt(pod, {"status", "phase"});
  return phase == "Succeeded" || phase == "Failed";
}

// metav1.Time as the API server writes it, "2026-01-02T03:04:05Z" (a fraction is allowed).
// In whole seconds: years 0000-9999 all fit, where the system clock's nanoseconds would not.
std::optional<std::chrono::sys_seconds> ParseApiTime(std::string_view text) {
  const auto number = [&](std::size_t at, std::size_t digits, unsigned* out) {
    if (at + digits > text.size()) return false;
    const char* end = text.data() + at + digits;
    auto [ptr, ec] = std::from_chars(text.data() + at, end, *out);
    return ec == std::errc() && ptr == end;
  };
  unsigned year, month, day, hour, minute, second;
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':' || text.back() != 'Z' || !number(0, 4, &year) ||
      !number(5, 2, &month) || !number(8, 2, &day) || !number(11, 2, &hour) ||
      !number(14, 2, &minute) || !number(17, 2, &second)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(year)),
                                         std::chrono::month(month), std::chrono::day(day)};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

// When the pod's Ready condition turned true; nullopt when it is not Ready. A Ready pod whose
// transition time is missing or unreadable counts as ready since long ago.
std::optional<std::chrono::sys_seconds> ReadySince(const json::value& pod) {
  const json::value* status = FindKey(pod, "status");
  const json::value* conditions = status ? FindKey(*status, "conditions") : nullptr;
  if (conditions == nullptr || !conditions->is_array()) return std::nullopt;
  for (const json::value& condition : conditions->get_array()) {
    if (StringAt(condition, {"type"}) != "Ready") continue;
    if (StringAt(condition, {"status"}) != "True") return std::nullopt;
    return ParseApiTime(StringAt(condition, {"lastTransitionTime"}))
        .value_or(std::chrono::sys_seconds{});
  }
  return std::nullopt;
}

json::object BoundedMessages(const std::map<std::string, std::string>& messages) {
  json::object bounded;
  for (const auto& [id, message] : messages) {
    if (bounded.size() == kMaxErrors) break;
    bounded[id] = Truncated(message, kMaxMessage);
  }
  return bounded;
}

void ReadMessages(const json::value& report, std::string_view key,
                  std::map<std::string, std::string>& out) {
  const json::value* messages = FindKey(report, key);
  if (messages == nullptr || !messages->is_object()) return;
  for (const auto& [id, message] : messages->get_object()) {
    if (message.is_string()) out[std::string(id)] = message.get_string();
  }
}

}  // namespace

std::string RenderReplicaReport(const ReplicaReport& report) {
  return ToJson(json::object{{"configMap", report.config_map},
                             {"resourceVersion", report.resource_version},
                             {"errors", BoundedMessages(report.errors)},
                             {"stale", BoundedMessages(report.stale)}});
}

std::optional<ReplicaReport> ReadReplicaReport(const json::value& pod) {
  const std::string text =
      StringAt(pod, {"metadata", "annotations", kServedConfigurationAnnotation});
  if (text.empty()) return std::nullopt;
  auto parsed = ParseJson(text);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  ReplicaReport report;
  report.config_map = StringAt(*parsed, {"configMap"});
  report.resource_version = StringAt(*parsed, {"resourceVersion"});
  if (report.resource_version.empty()) return std::nullopt;
  ReadMessages(*parsed, "errors", report.errors);
  ReadMessages(*parsed, "stale", report.stale);
  return report;
}

ServedConfiguration ReadServedConfiguration(const json::value& config_map) {
  ServedConfiguration configuration;
  configuration.config_map = StringAt(config_map, {"metadata", "name"});
  configuration.resource_version = StringAt(config_map, {"metadata", "resourceVersion"});
  const json::value* data = FindKey(config_map, "data");
  // The ids are read from the parsed document: a policy id could appear as text inside another
  // policy's settings.
  auto document = ParseJson(data ? StringAt(*data, {"policies.yml"}) : std::string());
  if (!document || !document->is_object()) return configuration;
  for (const auto& [id, entry] : document->get_object()) {
    const std::string mode = StringAt(entry, {"policyMode"});
    configuration.modes.emplace(std::string(id), mode.empty() ? "protect" : mode);
  }
  return configuration;
}

RolloutState CheckRollout(std::string_view policy_id, const ServedConfiguration& configuration,
                          std::span<const json::value> pods) {
  RolloutState state;
  const std::string& config_map_name = configuration.config_map;
  const std::string& version = configuration.resource_version;
  if (!configuration.modes.contains(policy_id)) {
    state.message = "The policy is not in the configuration of its policy server yet";
    return state;
  }
  std::size_t live = 0;
  for (const json::value& pod : pods) {
    if (IsTerminated(pod)) continue;
    ++live;
    const std::string pod_name = StringAt(pod, {"metadata", "name"});
    std::optional<ReplicaReport> report = ReadReplicaReport(pod);
    // A replica that does not report is judged as upstream judges them all: started with this
    // version (its pod template's label) and Ready.
    const bool serves =
        report ? report->config_map == config_map_name && report->resource_version == version
               : StringAt(pod, {"metadata", "labels", kConfigVersionLabel}) == version &&
                     ReadySince(pod).has_value();
    if (!serves) {
      state.message = "Replica " + pod_name + " does not serve configuration version " +
                      version + " yet";
      return state;
    }
    if (!report) continue;
    if (auto error = report->errors.find(std::string(policy_id));
        error != report->errors.end() && state.load_error.empty()) {
      state.load_error = error->second;
    }
    if (auto stale = report->stale.find(std::string(policy_id));
        stale != report->stale.end() && state.stale_error.empty()) {
      state.stale_error = stale->second;
    }
  }
  if (live == 0) {
    state.message = "The policy server has no running replica";
    return state;
  }
  state.uniquely_reachable = true;
  return state;
}

RestartNeed ReplicasNeedRestarts(std::span<const json::value> pods,
                                 std::chrono::system_clock::time_point now,
                                 std::chrono::milliseconds grace) {
  RestartNeed need;
  for (const json::value& pod : pods) {
    if (IsTerminated(pod) || ReadReplicaReport(pod)) continue;
    if (!StringAt(pod, {"metadata", "labels", kConfigVersionLabel}).empty()) {
      need.restarts = true;
      continue;
    }
    const std::optional<std::chrono::sys_seconds> ready = ReadySince(pod);
    if (!ready) continue;  // it may report once it is ready
    // A transition time ahead of this clock (the node's runs fast) counts as now.
    const std::chrono::milliseconds waited =
        std::max<std::chrono::milliseconds>(std::chrono::floor<std::chrono::seconds>(now) - *ready,
                                            std::chrono::milliseconds(0));
    if (waited >= grace) {
      need.restarts = true;
    } else if (!need.recheck_in || grace - waited < *need.recheck_in) {
      need.recheck_in = grace - waited;
    }
  }
  if (need.restarts) need.recheck_in.reset();
  return need;
}

}  // namespace kw::crd
