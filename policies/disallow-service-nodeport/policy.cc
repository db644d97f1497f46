// disallow-service-nodeport (policies.md §22): rejects Services of type NodePort.
//
// Upstream is Rego (opa mode); this port is a waPC guest with the same verdicts and message
// (§1.1). The policy has no settings: any settings value is valid. request.object.spec.type
// equal to "NodePort" (exact, a JSON string) rejects with no code; anything else, including a
// missing object (DELETE), a missing spec or type, or a non-string type, accepts.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;

namespace {

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  const kw::json::Value* object = request.object();
  if (object != nullptr && object->GetString("spec/type") == "NodePort") {
    return kw::Reject("Service of type NodePort are not allowed");
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_NO_SETTINGS(Validate)
