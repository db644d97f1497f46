// allow-privilege-escalation-psp (policies.md §4): rejects containers that set
// allowPrivilegeEscalation: true; with default_allow_privilege_escalation: false, defaults the
// field to false where it is unset.
//
// The pod spec comes from Extraction R: an unsupported kind or an undecodable object rejects
// with "Cannot parse validation request"; no pod spec accepts. Init containers and containers
// are inspected; ephemeral containers are not.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

struct Settings {
  bool default_allow_privilege_escalation = true;
};

// Decodes `value` like upstream's serde struct; returns the decode error, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.default_allow_privilege_escalation =
      reader.Bool("default_allow_privilege_escalation", true);
  if (!reader.ok()) return reader.error();
  return std::nullopt;
}

// securityContext.allowPrivilegeEscalation == true.
bool HasEscalation(const kw::json::Value& container) {
  return container.GetBool("securityContext/allowPrivilegeEscalation").value_or(false);
}

// Sets allowPrivilegeEscalation to false when unset (absent or null); returns whether it did.
bool DefaultToFalse(kw::json::Document& doc, kw::json::Value& container) {
  const kw::json::Value* context = container.Find("securityContext");
  const kw::json::Value* field =
      context && context->IsObject() ? context->Find("allowPrivilegeEscalation") : nullptr;
  if (field != nullptr && !field->IsNull()) return false;
  kw::json::Value* mutable_context = doc.GetOrAddObject(container, "securityContext");
  if (mutable_context == nullptr) return false;  // excluded by the typed decode
  doc.Set(*mutable_context, "allowPrivilegeEscalation", doc.Bool(false));
  return true;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::Reject("Cannot parse validation request");
  if (*spec == nullptr) return kw::Accept();
  kw::json::Value& pod_spec = **spec;

  std::string errors;
  if (kw::k8s::AnyContainer(pod_spec, ContainerList::kInitContainers, HasEscalation)) {
    errors = "one of the init containers has privilege escalation enabled";
  }
  if (kw::k8s::AnyContainer(pod_spec, ContainerList::kContainers, HasEscalation)) {
    if (!errors.empty()) errors.append(", ");
    errors.append("one of the containers has privilege escalation enabled");
  }
  if (!errors.empty()) return kw::Reject(errors);
  if (settings.default_allow_privilege_escalation) return kw::Accept();

  kw::json::Document& doc = request.document();
  bool changed = false;
  constexpr ContainerList kInitThenContainers[] = {ContainerList::kInitContainers,
                                                   ContainerList::kContainers};
  kw::k8s::ForEachContainer(
      pod_spec,
      [&](kw::json::Value& c, ContainerList, std::size_t) {
        changed = DefaultToFalse(doc, c) || changed;
      },
      kInitThenContainers);
  if (!changed) return kw::Accept();
  return kw::Mutate(*request.mutable_object());
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
