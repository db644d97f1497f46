// flexvolume-drivers-psp (policies.md §16): only the flexVolume drivers listed in
// allowedFlexVolumes may be used by a Pod's volumes.
//
// The object is decoded as a Pod whatever the kind (Pod-only P): a decode failure accepts; a
// Pod without spec is an evaluation error ("invalid pod spec"), as upstream.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;

namespace {

struct Settings {
  std::vector<std::string_view> drivers;  // allowedFlexVolumes[].driver
};

// Decodes `value` like upstream's serde struct (allowedFlexVolumes: Vec<{driver: String}>,
// defaulted); returns the decode error, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  for (kw::SettingsReader& entry :
       reader.StructList("allowedFlexVolumes", "AllowedFlexVolume", /*null_is_error=*/true)) {
    settings.drivers.push_back(entry.RequiredString("driver"));
  }
  if (!reader.ok()) return reader.error();
  return std::nullopt;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpecFromPod(request);
  if (!spec) return kw::Accept();  // not decodable as a Pod
  if (*spec == nullptr) return kw::EvaluationError("invalid pod spec");

  const kw::json::Value* volumes = (*spec)->GetArray("volumes");
  if (volumes == nullptr) return kw::Accept();
  for (const kw::json::Value& volume : *volumes) {
    const kw::json::Value* flex = volume.Find("flexVolume");
    if (flex == nullptr || !flex->IsObject()) continue;  // absent or null
    std::string_view driver = flex->GetString("driver").value_or("");
    bool allowed = false;
    for (std::string_view d : settings.drivers) allowed = allowed || d == driver;
    if (!allowed) return kw::Reject("Pod has at least one invalid flex volume driver");
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
