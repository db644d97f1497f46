// allowed-proc-mount-types-psp (policies.md §15): rejects pods with a container, init container
// or ephemeral container using procMount: Unmasked, unless allow_unmasked_proc_mount_type.
//
// The object is decoded as a Pod whatever the kind (Pod-only P): a decode failure accepts; a
// Pod without spec is an evaluation error ("invalid pod spec"), as upstream.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

struct Settings {
  bool allow_unmasked_proc_mount_type = false;
};

// Decodes `value` like upstream's serde struct; returns the decode error, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.allow_unmasked_proc_mount_type = reader.Bool("allow_unmasked_proc_mount_type", false);
  if (!reader.ok()) return reader.error();
  return std::nullopt;
}

// securityContext.procMount == "Unmasked" (exact, case-sensitive).
bool HasUnmaskedProcMount(const kw::json::Value& container) {
  return container.GetString("securityContext/procMount").value_or("") == "Unmasked";
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpecFromPod(request);
  if (!spec) return kw::Accept();  // not decodable as a Pod
  if (*spec == nullptr) return kw::EvaluationError("invalid pod spec");
  if (settings.allow_unmasked_proc_mount_type) return kw::Accept();

  const kw::json::Value& pod_spec = **spec;
  bool none_unmasked = kw::k8s::ForEachContainer(
      pod_spec, [](const kw::json::Value& c, ContainerList, std::size_t) {
        return !HasUnmaskedProcMount(c);
      });
  if (!none_unmasked) return kw::Reject("Pod has at least one container with Unmasked procMount");
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
