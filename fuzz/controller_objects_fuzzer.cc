// What the controller and the audit scanner read from the API server, hostile: a CR (the first
// byte picks PolicyServer or one of the four policy kinds, the rest is the object's JSON) parsed
// and turned into every desired object and report; a Pod whose served-configuration annotation is
// the input, checked against a ConfigMap; the input as a policy server's /audit answer and as a
// report read back (its digest); the input as a whole Pod and as a ConfigMap in the rollout
// gate. Every
// output must be valid JSON; nothing may crash.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "audit/report.h"
#include "base/json.h"
#include "controller/desired.h"
#include "crd/replica_report.h"
#include "crd/types.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckJson(std::string_view text) { Check(kw::ParseJson(text).has_value()); }

constexpr const char* kKinds[] = {"PolicyServer", "ClusterAdmissionPolicy", "AdmissionPolicy",
                                  "ClusterAdmissionPolicyGroup", "AdmissionPolicyGroup"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const char* kind = kKinds[data[0] % 5];
  kw::controller::ClusterSettings settings;
  settings.enable_metrics = true;

  auto object = kw::ParseJson(text);
  if (object && object->is_object()) {
    object->as_object()["kind"] = kind;
    if (data[0] % 5 == 0) {
      if (auto server = kw::crd::ParsePolicyServer(*object)) {
        CheckJson(kw::ToJson(kw::controller::DesiredDeployment(*server, "1", settings)));
        CheckJson(kw::ToJson(kw::controller::DesiredDeployment(
            *server, "1", settings, kw::controller::ConfigRollout::kRestart)));
        CheckJson(kw::ToJson(kw::controller::DesiredService(*server, settings)));
        CheckJson(kw::ToJson(kw::controller::DesiredConfigMap(*server, {}, settings)));
        CheckJson(kw::controller::SourcesYml(*server));
        if (auto pdb = kw::controller::DesiredPodDisruptionBudget(*server, settings)) {
          CheckJson(kw::ToJson(*pdb));
        }
      }
    } else if (auto policy = kw::crd::ParsePolicy(*object)) {
      kw::crd::PolicyServer server;
      server.meta.name = "default";
      const kw::crd::Policy* policies[] = {&*policy};
      CheckJson(kw::controller::PoliciesYml(server, policies));
      CheckJson(kw::ToJson(kw::controller::DesiredWebhookConfiguration(*policy, "CA", settings)));
      const kw::kube::ResourceType pods{"", "v1", "Pod", "pods", true, {}};
      const kw::json::value pod = kw::json::object{
          {"metadata", kw::json::object{{"name", "p"}, {"namespace", "n"}, {"uid", "u"}}}};
      kw::audit::ReportContext context;
      CheckJson(kw::ToJson(kw::audit::BuildReport(
          pod, pods, {{&*policy, {kw::audit::Verdict::kFail, std::string(text)}}}, context)));
    }
  }

  // The input as a replica's report on its Pod, and as a policy server's /audit answer.
  kw::json::value pod = kw::json::object{
      {"metadata",
       kw::json::object{{"name", "replica"},
                        {"annotations",
                         kw::json::object{{kw::crd::kServedConfigurationAnnotation, text}}}}}};
  const kw::json::value config_map = kw::json::object{
      {"metadata", kw::json::object{{"name", "policy-server-default"}, {"resourceVersion", "7"}}},
      {"data", kw::json::object{{"policies.yml", R"({"clusterwide-p":{}})"}}}};
  if (auto report = kw::crd::ReadReplicaReport(pod)) {
    CheckJson(kw::crd::RenderReplicaReport(*report));
  }
  kw::crd::CheckRollout("clusterwide-p", config_map, std::span(&pod, 1));
  // The input as a whole Pod (labels, status conditions: whether it reports, is Ready, since
  // when) and as the policy server's ConfigMap.
  if (object && object->is_object()) {
    const auto now = std::chrono::system_clock::time_point(std::chrono::hours(500'000));
    kw::crd::CheckRollout("clusterwide-p", config_map, std::span(&*object, 1));
    kw::crd::ReplicasNeedRestarts(std::span(&*object, 1), now, std::chrono::seconds(30));
    kw::crd::CheckRollout("clusterwide-p", kw::crd::ReadServedConfiguration(*object),
                          std::span(&pod, 1));
  }
  kw::audit::ReadAuditAnswer(200, text);
  // And as a report read back from the cluster, to tell whether it changed.
  if (auto parsed = kw::ParseJson(text, "report")) kw::audit::ReportDigest(*parsed);
  return 0;
}
