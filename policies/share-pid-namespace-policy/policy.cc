// share-pid-namespace-policy (policies-more.md §10): rejects pods and workloads whose pod spec
// sets shareProcessNamespace, which lets containers see each other's processes.
//
// The pod spec comes from Extraction R: an unsupported kind or an undecodable object rejects
// with upstream's lower-case "cannot parse validation request"; no pod spec accepts. No settings.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;

namespace {

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::Reject("cannot parse validation request");
  if (*spec != nullptr && (*spec)->GetBool("shareProcessNamespace") == true) {
    return kw::Reject("pod cannot share host PID namespace");
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_NO_SETTINGS(Validate)
