// context-aware-demo (policies-more.md §20, context-aware, mutating): copies the `propagate.`
// annotations of the Pod's Namespace onto the Pod as labels, without the prefix. With `evil`
// it also lists kube-system's Secrets, which it was not granted, and ignores the outcome: the
// point is the host's refusal.
#include <kubewarden/kubewarden.h>

#include "../common/prefixed_labels.h"
#include "../common/upstream_kubernetes.h"

namespace kw = kubewarden;

namespace {

constexpr std::string_view kPropagatePrefix = "propagate.";

std::optional<std::string> ReadSettings(const kw::json::Value& value, bool& evil) {
  kw::SettingsReader r(value);
  evil = r.Bool("evil", false);
  if (!r.ok()) return r.error();
  return std::nullopt;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const bool& evil) {
  if (auto pod = kw::k8s::ExtractPodSpecFromPod(request); !pod) {
    return kw::EvaluationError(pod.error());
  }

  kw::json::Document ns_doc;
  auto namespace_object = upstream::RustGetObject(ns_doc, "v1", "Namespace",
                                                  request.namespace_name(), std::nullopt,
                                                  /*disable_cache=*/false);
  if (!namespace_object) return kw::EvaluationError(namespace_object.error());

  kw::json::Value* pod = request.mutable_object();
  bool changed = upstream::CopyPrefixedAsLabels(
      request.document(), (*namespace_object)->GetObject("metadata/annotations"),
      kPropagatePrefix, *pod);

  if (evil) {
    kw::json::Document secrets;
    (void)upstream::RustListResourcesByNamespace(secrets, "v1", "Secret", "kube-system");
  }
  if (!changed) return kw::Accept();
  return kw::Mutate(*pod);
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(bool, ReadSettings, Validate)
