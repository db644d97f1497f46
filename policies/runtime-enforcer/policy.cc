// runtime-enforcer (policies-more.md §16, context-aware): the WorkloadPolicy named by the
// `security.rancher.io/policy` label of a workload's pod template must exist in the request's
// namespace. Upstream is TinyGo: decode errors are Go's, host errors are passed through.
#include <kubewarden/kubewarden.h>

#include "../common/upstream_kubernetes.h"

namespace kw = kubewarden;

namespace {

constexpr std::string_view kPolicyLabel = "security.rancher.io/policy";

// metadata.labels of the pod (template) of `kind`: its pod spec path with the final `spec`
// replaced ("spec/template/spec" -> "spec/template/metadata/labels").
std::string LabelsPath(const kw::k8s::WorkloadKind& kind) {
  std::string_view holder = kind.pod_spec_path;
  holder.remove_suffix(std::string_view("spec").size());
  return std::string(holder) + "metadata/labels";
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  std::string_view kind_name = request.kind().kind;
  const kw::k8s::WorkloadKind* kind = kw::k8s::FindWorkloadKind(kind_name);
  if (kind == nullptr || kind_name == "ReplicationController") {
    return kw::Reject("non-supported type received: " + std::string(kind_name), 400);
  }
  const kw::json::Value* object = request.object();
  if (object == nullptr) return kw::Accept();  // Go decodes null as an empty object
  if (auto error = kw::k8s::CheckObject(*object, *kind, kw::k8s::Dialect::kGo)) {
    return kw::Reject(*error, 400);
  }
  // A missing intermediate object means no labels (upstream dereferences nil there).
  const kw::json::Value* labels = object->GetObject(LabelsPath(*kind));
  const kw::json::Value* label = labels ? labels->Find(kPolicyLabel) : nullptr;
  if (label == nullptr || !label->IsString()) return kw::Accept();
  std::string_view workload_policy = *label->AsString();

  std::string_view ns = request.namespace_name();
  kw::HostResult answer = upstream::GoGetNamespacedResource(
      "security.rancher.io/v1alpha1", "WorkloadPolicy", workload_policy, ns,
      /*disable_cache=*/false);
  if (answer) return kw::Accept();
  std::string subject = "WorkloadPolicy '" + std::string(ns) + "/" +
                        std::string(workload_policy) + "' specified in the " +
                        std::string(kind_name) + " '" + std::string(ns) + "/" +
                        std::string(request.name()) + "'";
  if (answer.error().find("Cannot find security.rancher.io/v1alpha1/WorkloadPolicy") !=
      std::string::npos) {
    return kw::Reject("The " + subject + " is not found", 403);
  }
  return kw::Reject("Failed to read the " + subject + ": " + answer.error(), 500);
}

}  // namespace

KUBEWARDEN_POLICY_NO_SETTINGS(Validate)
