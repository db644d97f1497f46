#include "audit/report.h"

namespace kw::audit {
namespace {

constexpr std::string_view kManagedBy = "app.kubernetes.io/managed-by";
constexpr std::string_view kReportVersion = "kubewarden.io/policyreport-version";
constexpr std::string_view kRunUid = "kubewarden.io/audit-scanner-run-uid";

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kFail: return "fail";
    case Verdict::kError: return "error";
  }
  return "error";
}

json::object ResultOf(const PolicyResult& result, std::int64_t seconds) {
  const crd::Policy& policy = *result.policy;
  json::object entry{{"source", "kubewarden"}, {"policy", policy.UniqueName()}};
  const auto annotation = [&](std::string_view key) -> std::string {
    auto found = policy.meta.annotations.find(std::string(key));
    return found == policy.meta.annotations.end() ? std::string() : found->second;
  };
  if (std::string category = annotation("io.kubewarden.policy.category"); !category.empty()) {
    entry["category"] = category;
  }
  const std::string severity =
      policy.mode == "monitor" ? "info" : annotation("io.kubewarden.policy.severity");
  if (!severity.empty()) entry["severity"] = severity;
  entry["result"] = VerdictName(result.evaluation.verdict);
  entry["scored"] = true;
  entry["resourceSelector"] = json::object{};
  if (!result.evaluation.message.empty()) entry["message"] = result.evaluation.message;
  entry["timestamp"] = json::object{{"seconds", seconds}, {"nanos", 0}};
  json::object properties;
  properties[policy.mutating ? "mutating" : "validating"] = "true";
  bool context_aware = !policy.context_aware_resources.empty();
  for (const auto& [name, member] : policy.members) {
    context_aware = context_aware || !member.context_aware_resources.empty();
  }
  if (context_aware) properties["context-aware"] = "true";
  properties["policy-resource-version"] = policy.meta.resource_version;
  properties["policy-uid"] = policy.meta.uid;
  properties["policy-name"] = policy.meta.name;
  if (policy.IsNamespaced()) properties["policy-namespace"] = policy.meta.ns;
  entry["properties"] = std::move(properties);
  return entry;
}

}  // namespace

std::string SyntheticReview(const json::value& resource, const kube::ResourceType& type) {
  const json::object kind{{"group", type.group}, {"version", type.version}, {"kind", type.kind}};
  json::object request{
      {"uid", StringAt(resource, {"metadata", "uid"})},
      {"kind", kind},
      {"resource", json::object{{"group", type.group}, {"version", type.version},
                                {"resource", type.kind}}},
      {"requestKind", kind},
      {"name", StringAt(resource, {"metadata", "name"})},
      {"namespace", StringAt(resource, {"metadata", "namespace"})},
      {"operation", "CREATE"},
      {"userInfo", json::object{}},
      {"object", resource},
  };
  return ToJson(json::object{{"request", std::move(request)}});
}

Evaluation ReadAuditAnswer(int http_status, std::string_view body, std::string_view error) {
  if (http_status == 0) {
    return {Verdict::kError, "cannot reach the policy server: " + std::string(error)};
  }
  if (http_status != 200) {
    return {Verdict::kError, "the policy server answered " + std::to_string(http_status)};
  }
  auto parsed = ParseJson(body, "the policy server's answer is not JSON");
  const json::value* response = parsed ? FindKey(*parsed, "response") : nullptr;
  const json::value* allowed = response ? FindKey(*response, "allowed") : nullptr;
  if (allowed == nullptr || !allowed->is_bool()) {
    return {Verdict::kError, "the policy server's answer has no response.allowed"};
  }
  const json::value* status = FindKey(*response, "status");
  std::string message = status ? StringAt(*status, {"message"}) : std::string();
  const json::value* code = status ? FindKey(*status, "code") : nullptr;
  if (code != nullptr && code->is_number() && code->to_number<double>() == 500) {
    return {Verdict::kError, std::move(message)};
  }
  return {allowed->get_bool() ? Verdict::kPass : Verdict::kFail, std::move(message)};
}

json::value BuildReport(const json::value& resource, const kube::ResourceType& type,
                        const std::vector<PolicyResult>& results, const ReportContext& context) {
  const bool open_reports = context.kind == ReportKind::kOpenReports;
  const std::string kind = open_reports ? (type.namespaced ? "Report" : "ClusterReport")
                                        : (type.namespaced ? "PolicyReport" : "ClusterPolicyReport");
  const std::string api_version =
      open_reports ? "openreports.io/v1alpha1" : "wgpolicyk8s.io/v1alpha2";
  const std::string ns = StringAt(resource, {"metadata", "namespace"});
  const std::string name = StringAt(resource, {"metadata", "name"});
  const std::string uid = StringAt(resource, {"metadata", "uid"});

  json::object metadata{{"name", uid}};
  if (type.namespaced) metadata["namespace"] = ns;
  metadata["labels"] = json::object{{kManagedBy, "kubewarden"},
                                    {kReportVersion, "v2"},
                                    {kRunUid, context.run_uid}};
  metadata["ownerReferences"] = json::array{json::object{
      {"apiVersion", type.ApiVersion()}, {"kind", type.kind}, {"name", name}, {"uid", uid}}};

  json::object scope{{"apiVersion", type.ApiVersion()}, {"kind", type.kind}};
  if (type.namespaced) scope["namespace"] = ns;
  scope["name"] = name;
  scope["uid"] = uid;
  scope["resourceVersion"] = StringAt(resource, {"metadata", "resourceVersion"});

  const std::int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(
                                   context.now.time_since_epoch()).count();
  int pass = 0, fail = 0, errors = context.errored_policies;
  json::array entries;
  for (const PolicyResult& result : results) {
    switch (result.evaluation.verdict) {
      case Verdict::kPass: ++pass; break;
      case Verdict::kFail: ++fail; break;
      case Verdict::kError: ++errors; break;
    }
    entries.emplace_back(ResultOf(result, seconds));
  }
  json::object report{{"apiVersion", api_version}, {"kind", kind}, {"metadata", std::move(metadata)},
                      {"scope", std::move(scope)},
                      {"summary", json::object{{"pass", pass},
                                               {"fail", fail},
                                               {"warn", 0},
                                               {"error", errors},
                                               {"skip", context.skipped_policies}}},
                      {"results", std::move(entries)}};
  return report;
}

}  // namespace kw::audit
