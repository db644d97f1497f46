// apparmor-psp (policies.md §10): only the AppArmor profiles listed in allowed_profiles may be
// requested through the per-container annotations
// container.apparmor.security.beta.kubernetes.io/<container>.
//
// The object is decoded as a Pod whatever the kind (Pod-only P); a decode failure is an
// evaluation error. securityContext.appArmorProfile is not inspected.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;

namespace {

constexpr std::string_view kAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/";

struct Settings {
  std::vector<std::string_view> allowed_profiles;
};

// Decodes `value` like upstream's serde struct; returns the decode error, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.allowed_profiles = reader.StringList("allowed_profiles");
  if (!reader.ok()) return reader.error();
  return std::nullopt;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpecFromPod(request);
  if (!spec) return kw::EvaluationError(spec.error());

  const kw::json::Value* annotations = request.object()->GetObject("metadata/annotations");
  if (annotations == nullptr) return kw::Accept();
  std::vector<std::string_view> denied;
  for (const kw::json::Value& annotation : *annotations) {
    if (!annotation.key().starts_with(kAnnotationPrefix)) continue;
    std::string_view profile = annotation.AsString().value_or("");
    bool allowed = false;
    for (std::string_view p : settings.allowed_profiles) allowed = allowed || p == profile;
    if (!allowed) denied.push_back(profile);
  }
  if (denied.empty()) return kw::Accept();
  kw::SortUnique(denied);
  return kw::Reject("These AppArmor profiles are not allowed: " + kw::RustList(denied));
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
