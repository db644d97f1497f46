// pod-privileged (policies.md §3): rejects pods and workloads that run a privileged container.
//
// The pod spec comes from Extraction R: an unsupported kind or an undecodable object rejects
// with "Cannot parse validation request"; no pod spec accepts. Containers are always checked,
// then init containers and ephemeral containers unless skipped; the first privileged one
// rejects.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

struct Settings {
  bool skip_init_containers = false;
  bool skip_ephemeral_containers = false;
};

// Decodes `value` like upstream's serde struct; returns the decode error, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.skip_init_containers = reader.Bool("skip_init_containers", false);
  settings.skip_ephemeral_containers = reader.Bool("skip_ephemeral_containers", false);
  if (!reader.ok()) return reader.error();
  return std::nullopt;
}

// securityContext.privileged == true; a missing context or field means false.
bool IsPrivileged(const kw::json::Value& container) {
  const kw::json::Value* context = container.Find("securityContext");
  const kw::json::Value* privileged = context ? context->Find("privileged") : nullptr;
  return privileged != nullptr && privileged->AsBool().value_or(false);
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::Reject("Cannot parse validation request");
  if (*spec == nullptr) return kw::Accept();
  const kw::json::Value& pod_spec = **spec;

  if (kw::k8s::AnyContainer(pod_spec, ContainerList::kContainers, IsPrivileged)) {
    return kw::Reject("Privileged container is not allowed");
  }
  if (!settings.skip_init_containers &&
      kw::k8s::AnyContainer(pod_spec, ContainerList::kInitContainers, IsPrivileged)) {
    return kw::Reject("Privileged init container is not allowed");
  }
  if (!settings.skip_ephemeral_containers &&
      kw::k8s::AnyContainer(pod_spec, ContainerList::kEphemeralContainers, IsPrivileged)) {
    return kw::Reject("Privileged ephemeral container is not allowed");
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
