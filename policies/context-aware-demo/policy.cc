// context-aware-demo (policies-more.md §20, context-aware, mutating): copies the `propagate.`
// annotations of the Pod's Namespace onto the Pod as labels, without the prefix. With `evil`
// it also lists kube-system's Secrets, which it was not granted, and ignores the outcome: the
// point is the host's refusal.
#include <kubewarden/kubewarden.h>

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

kw::SettingsValidationResponse ValidateSettings(const kw::json::Value& value) {
  bool evil;
  if (auto error = ReadSettings(value, evil)) return kw::SettingsInvalid(*error);
  return kw::SettingsValid();
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  bool evil;
  if (auto error = ReadSettings(request.settings(), evil)) return kw::EvaluationError(*error);
  if (auto pod = kw::k8s::ExtractPodSpecFromPod(request); !pod) {
    return kw::EvaluationError(pod.error());
  }

  kw::json::Document ns_doc;
  auto namespace_object = upstream::RustGetObject(ns_doc, "v1", "Namespace",
                                                  request.namespace_name(), std::nullopt,
                                                  /*disable_cache=*/false);
  if (!namespace_object) return kw::EvaluationError(namespace_object.error());

  // Annotation keys in ascending order, as upstream walks a BTreeMap.
  std::vector<std::pair<std::string_view, std::string_view>> wanted;
  if (const kw::json::Value* annotations =
          (*namespace_object)->GetObject("metadata/annotations")) {
    for (const kw::json::Value& a : *annotations) {
      if (a.key().starts_with(kPropagatePrefix)) {
        wanted.emplace_back(a.key().substr(kPropagatePrefix.size()), *a.AsString());
      }
    }
  }
  std::sort(wanted.begin(), wanted.end());

  kw::json::Value* pod = request.mutable_object();
  kw::json::Document& doc = request.document();
  kw::json::Value* metadata = doc.GetOrAddObject(*pod, "metadata");
  kw::json::Value* labels = metadata ? doc.GetOrAddObject(*metadata, "labels") : nullptr;
  bool changed = false;
  for (const auto& [key, value] : wanted) {
    const kw::json::Value* current = labels->Find(key);
    if (current != nullptr && current->AsString() == value) continue;
    doc.Set(*labels, key, doc.String(value));
    changed = true;
  }

  if (evil) {
    kw::json::Document secrets;
    (void)upstream::RustListResourcesByNamespace(secrets, "v1", "Secret", "kube-system");
  }
  if (!changed) return kw::Accept();
  return kw::Mutate(*pod);
}

}  // namespace

KUBEWARDEN_POLICY(Validate, ValidateSettings)
