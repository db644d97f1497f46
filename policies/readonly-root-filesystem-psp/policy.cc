// readonly-root-filesystem-psp (policies.md §14): requires readOnlyRootFilesystem: true on every
// container and init container of a Pod.
//
// The object is decoded as a Pod whatever the kind (Pod-only P); a decode failure or a missing
// spec accepts. Ephemeral containers are not inspected. The policy has no settings: any
// settings object is valid and its keys are ignored.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

// No securityContext, or securityContext.readOnlyRootFilesystem not true (absent, null, false).
bool LacksReadOnlyRoot(const kw::json::Value& container) {
  const kw::json::Value* context = container.Find("securityContext");
  if (context == nullptr || !context->IsObject()) return true;
  return !context->GetBool("readOnlyRootFilesystem").value_or(false);
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  auto spec = kw::k8s::ExtractPodSpecFromPod(request);
  if (!spec || *spec == nullptr) return kw::Accept();  // undecodable Pod or no spec
  const kw::json::Value& pod_spec = **spec;

  std::string errors;
  if (kw::k8s::AnyContainer(pod_spec, ContainerList::kInitContainers, LacksReadOnlyRoot)) {
    errors = "One of the init containers does not have readOnlyRootFilesystem enabled";
  }
  if (kw::k8s::AnyContainer(pod_spec, ContainerList::kContainers, LacksReadOnlyRoot)) {
    if (!errors.empty()) errors.append(", ");
    errors.append("One of the containers does not have readOnlyRootFilesystem enabled");
  }
  if (!errors.empty()) return kw::Reject(errors);
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_NO_SETTINGS(Validate)
