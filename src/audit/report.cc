#include "audit/report.h"

namespace kw::audit {
namespace {

constexpr std::string_view kManagedBy = "app.kubernetes.io/managed-by";
constexpr std::string_view kReportVersion = "kubewarden.io/policyreport-version";
constexpr std::string_view kRunUid = "kubewarden.io/audit-scanner-run-uid";

// `message` cut to at most kMaxMessageBytes, on a UTF-8 boundary, saying so.
std::string BoundedMessage(const std::string& message) {
  if (message.size() <= kMaxMessageBytes) return message;
  static constexpr std::string_view kCut = " [cut by audit-scanner]";
  std::size_t end = kMaxMessageBytes - kCut.size();
  while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) --end;
  return message.substr(0, end) + std::string(kCut);
}

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
  if (!result.evaluation.message.empty()) {
    entry["message"] = BoundedMessage(result.evaluation.message);
  }
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

// Puts `entries` (one per result, in order) into `report`'s results, all of them when the report
// fits in `max_bytes`, else the most telling ones that fit (fail, error, pass; each group in
// order), noting the rest in kTruncatedAnnotation.
void KeepWhatFits(json::value& report, json::array entries, const std::vector<PolicyResult>& results,
                  std::size_t max_bytes) {
  std::vector<std::size_t> sizes;
  std::size_t total = ToJson(report).size();
  for (const json::value& entry : entries) {
    sizes.push_back(ToJson(entry).size() + 1);  // and its comma
    total += sizes.back();
  }
  json::array& kept = report.as_object()["results"].as_array();
  if (total <= max_bytes) {
    kept = std::move(entries);
    return;
  }
  // Room for the annotation first: it is small and bounded.
  std::size_t room = max_bytes - std::min(max_bytes, ToJson(report).size() + 200);
  std::vector<bool> keep(entries.size(), false);
  std::size_t left_out = entries.size();
  for (Verdict verdict : {Verdict::kFail, Verdict::kError, Verdict::kPass}) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (results[i].evaluation.verdict != verdict || sizes[i] > room) continue;
      room -= sizes[i];
      keep[i] = true;
      --left_out;
    }
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (keep[i]) kept.emplace_back(std::move(entries[i]));
  }
  report.as_object()["metadata"].as_object()["annotations"] = json::object{
      {kTruncatedAnnotation,
       std::to_string(left_out) + " of " + std::to_string(entries.size()) +
           " results left out: the report would be larger than " +
           std::to_string(max_bytes) + " bytes (the summary counts them all)"}};
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
                        const std::vector<PolicyResult>& results, const ReportContext& context,
                        std::size_t max_report_bytes) {
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
  json::value report = json::object{
      {"apiVersion", api_version},
      {"kind", kind},
      {"metadata", std::move(metadata)},
      {"scope", std::move(scope)},
      {"summary", json::object{{"pass", pass},
                               {"fail", fail},
                               {"warn", 0},
                               {"error", errors},
                               {"skip", context.skipped_policies}}},
      {"results", json::array{}}};
  KeepWhatFits(report, std::move(entries), results, max_report_bytes);
  return report;
}

Sha256Digest ReportDigest(const json::value& report) {
  const auto pick = [](const json::value& from, std::initializer_list<std::string_view> keys) {
    json::object picked;
    for (std::string_view key : keys) {
      if (const json::value* value = FindKey(from, key)) picked[key] = *value;
    }
    return json::value(std::move(picked));
  };
  const json::value none;
  const json::value* metadata = FindKey(report, "metadata");
  const json::value& meta = metadata ? *metadata : none;
  json::array owners;
  if (const json::value* references = FindKey(meta, "ownerReferences");
      references && references->is_array()) {
    for (const json::value& owner : references->as_array()) {
      owners.emplace_back(pick(owner, {"apiVersion", "kind", "name", "uid"}));
    }
  }
  json::array results;
  if (const json::value* entries = FindKey(report, "results"); entries && entries->is_array()) {
    for (const json::value& entry : entries->as_array()) {
      results.emplace_back(pick(entry, {"source", "policy", "rule", "category", "severity",
                                        "result", "scored", "message", "properties"}));
    }
  }
  const json::value* labels = FindKey(meta, "labels");
  const json::value* annotations = FindKey(meta, "annotations");
  const json::value* scope = FindKey(report, "scope");
  const json::value* summary = FindKey(report, "summary");
  const json::object decided{
      {"apiVersion", StringAt(report, {"apiVersion"})},
      {"kind", StringAt(report, {"kind"})},
      {"name", StringAt(meta, {"name"})},
      {"namespace", StringAt(meta, {"namespace"})},
      {"labels", pick(labels ? *labels : none, {kManagedBy, kReportVersion})},
      {"annotations", pick(annotations ? *annotations : none, {kTruncatedAnnotation})},
      {"owners", std::move(owners)},
      {"scope", pick(scope ? *scope : none,
                     {"apiVersion", "kind", "namespace", "name", "uid", "resourceVersion"})},
      {"summary", pick(summary ? *summary : none, {"pass", "fail", "warn", "error", "skip"})},
      {"results", std::move(results)},
  };
  const std::string text = ToJson(decided);
  return Sha256(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace kw::audit
