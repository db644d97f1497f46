// ns-policyserver-mapper (policies-more.md §13, context-aware, mutating): sets a namespaced
// policy's spec.policyServer to the `admission.kubewarden.io/policy-server` label of its
// Namespace, or rejects when the Namespace has none.
//
// The object is always returned as a mutation when the label exists, even when spec.policyServer
// already has that value (an empty patch), as upstream does.
#include <kubewarden/kubewarden.h>

#include "../common/upstream_kubernetes.h"

namespace kw = kubewarden;

namespace {

constexpr std::string_view kPolicyServerLabel = "admission.kubewarden.io/policy-server";

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  std::string_view ns = request.namespace_name();
  kw::json::Document ns_doc;
  auto namespace_object = upstream::RustGetObject(ns_doc, "v1", "Namespace", ns, std::nullopt,
                                                  /*disable_cache=*/false);
  if (!namespace_object) return kw::EvaluationError(namespace_object.error());

  const kw::json::Value* labels = (*namespace_object)->GetObject("metadata/labels");
  const kw::json::Value* label = labels ? labels->Find(kPolicyServerLabel) : nullptr;
  std::optional<std::string_view> policy_server = label ? label->AsString() : std::nullopt;
  if (!policy_server) {
    return kw::Reject("Namespace '" + std::string(ns) + "' has no '" +
                      std::string(kPolicyServerLabel) +
                      "' label; cannot determine the PolicyServer for the policy");
  }

  kw::json::Value* object = request.mutable_object();
  kw::json::Value* spec = object ? object->Find("spec") : nullptr;
  if (spec == nullptr || !spec->IsObject()) {
    return kw::EvaluationError("object has no 'spec' field or it is not a map");
  }
  kw::json::Document& doc = request.document();
  doc.Set(*spec, "policyServer", doc.String(*policy_server));
  return kw::Mutate(*object);
}

}  // namespace

KUBEWARDEN_POLICY_NO_SETTINGS(Validate)
