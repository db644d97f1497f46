// unique-app-label: a context-aware example. A Pod may not reuse the `app` label of another
// live Pod of its namespace; the policy asks the cluster through the SDK
// (host::ListResourcesByNamespace) with a label selector, and a field mask so that the host
// sends only what is looked at.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;

namespace {

kw::SettingsValidationResponse ValidateSettings(const kw::json::Value&) {
  return kw::SettingsValid();
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  const kw::json::Value* pod = request.object();
  auto app = pod ? pod->GetString("metadata/labels/app") : std::nullopt;
  if (!app) return kw::Accept();

  kw::json::Document doc;
  const std::string_view masks[] = {"status.phase"};  // metadata always comes along
  auto pods = kw::host::ListResourcesByNamespace(doc, "v1", "Pod", request.namespace_name(),
                                                 "app=" + std::string(*app), {}, masks);
  if (!pods) return kw::Reject("cannot list the namespace's pods: " + pods.error());

  const kw::json::Value* items = (*pods)->GetArray("items");
  if (items == nullptr) return kw::Reject("cannot list the namespace's pods: no items");
  for (const kw::json::Value& other : *items) {
    if (!other.IsObject()) continue;
    std::string_view phase = other.GetString("status/phase").value_or("");
    if (phase == "Succeeded" || phase == "Failed") continue;  // finished pods hold no label
    std::string_view name = other.GetString("metadata/name").value_or("");
    if (name == request.name()) continue;  // the pod itself, on UPDATE
    return kw::Reject("app label '" + std::string(*app) + "' is already used by pod " +
                      std::string(name));
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY(Validate, ValidateSettings)
