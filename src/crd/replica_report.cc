#include "crd/replica_report.h"

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

}  // namespace

std::string RenderReplicaReport(const ReplicaReport& report) {
  json::object errors;
  for (const auto& [id, message] : report.errors) {
    if (errors.size() == kMaxErrors) break;
    errors[id] = Truncated(message, kMaxMessage);
  }
  return ToJson(json::object{{"configMap", report.config_map},
                             {"resourceVersion", report.resource_version},
                             {"errors", std::move(errors)}});
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
  if (const json::value* errors = FindKey(*parsed, "errors"); errors && errors->is_object()) {
    for (const auto& [id, message] : errors->get_object()) {
      if (message.is_string()) report.errors[std::string(id)] = message.get_string();
    }
  }
  return report;
}

RolloutState CheckRollout(std::string_view policy_id, const json::value& config_map,
                          std::span<const json::value> pods) {
  RolloutState state;
  const std::string config_map_name = StringAt(config_map, {"metadata", "name"});
  const std::string version = StringAt(config_map, {"metadata", "resourceVersion"});
  const json::value* data = FindKey(config_map, "data");
  const std::string policies = data ? StringAt(*data, {"policies.yml"}) : std::string();
  // The key is looked for in the parsed document: a policy id could appear as text inside
  // another policy's settings.
  auto document = ParseJson(policies);
  if (!document || !document->is_object() || !document->get_object().contains(policy_id)) {
    state.message = "The policy is not in the configuration of its policy server yet";
    return state;
  }
  std::size_t live = 0;
  for (const json::value& pod : pods) {
    if (IsTerminated(pod)) continue;
    ++live;
    const std::string pod_name = StringAt(pod, {"metadata", "name"});
    std::optional<ReplicaReport> report = ReadReplicaReport(pod);
    if (!report || report->config_map != config_map_name ||
        report->resource_version != version) {
      state.message = "Replica " + pod_name + " does not serve configuration version " +
                      version + " yet";
      return state;
    }
    if (auto error = report->errors.find(std::string(policy_id));
        error != report->errors.end() && state.load_error.empty()) {
      state.load_error = error->second;
    }
  }
  if (live == 0) {
    state.message = "The policy server has no running replica";
    return state;
  }
  state.uniquely_reachable = true;
  return state;
}

}  // namespace kw::crd
