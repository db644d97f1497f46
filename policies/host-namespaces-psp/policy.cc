// host-namespaces-psp (policies.md §6): controls the use of the host IPC, network and PID
// namespaces and of host ports.
//
// The pod spec comes from Extraction R; an unsupported kind, an undecodable object and a
// missing pod spec are all accepted. hostIPC, hostNetwork and hostPID are checked in that order,
// then the hostPorts of init containers, then of containers (ephemeral containers are not
// checked). The first failure rejects, without a code.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

struct PortRange {
  std::int32_t min;
  std::int32_t max;
};

struct Settings {
  bool allow_host_ipc = false;
  bool allow_host_network = false;
  bool allow_host_pid = false;
  std::vector<PortRange> allow_host_ports;
};

// Decodes `value` like upstream's #[serde(default)] struct; returns the decode error, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.allow_host_ipc = reader.Bool("allow_host_ipc", false);
  settings.allow_host_network = reader.Bool("allow_host_network", false);
  settings.allow_host_pid = reader.Bool("allow_host_pid", false);
  // Vec<HostPortRange> with a default: null is a type error ("expected a sequence").
  for (kw::SettingsReader& range :
       reader.StructList("allow_host_ports", "HostPortRange", /*null_is_error=*/true)) {
    PortRange r;
    r.min = range.RequiredInteger<std::int32_t>("min");
    r.max = range.RequiredInteger<std::int32_t>("max");
    settings.allow_host_ports.push_back(r);
  }
  if (!reader.ok()) return reader.error();
  return std::nullopt;
}

// The first range with min > max makes the settings invalid.
std::optional<std::string> CheckSettings(const Settings& settings) {
  for (const PortRange& r : settings.allow_host_ports) {
    if (r.min > r.max) {
      return "port min " + std::to_string(r.min) + " cannot be greater than max " +
             std::to_string(r.max);
    }
  }
  return std::nullopt;
}

kw::SettingsValidationResponse ValidateSettings(const kw::json::Value& value) {
  Settings settings;
  if (auto error = ReadSettings(value, settings)) return kw::SettingsInvalid(*error);
  if (auto error = CheckSettings(settings)) return kw::SettingsInvalid(*error);
  return kw::SettingsValid();
}

// `spec.<key> == true`; a missing or null field means false.
bool IsTrue(const kw::json::Value& spec, std::string_view key) {
  const kw::json::Value* v = spec.Find(key);
  return v != nullptr && v->AsBool().value_or(false);
}

// Whether some container of `list` has a ports[] entry whose hostPort (any value, 0 included)
// lies in no allowed range.
bool UsesUnallowedHostPort(const kw::json::Value& spec, ContainerList list,
                           const std::vector<PortRange>& allowed) {
  for (const kw::json::Value& container : kw::k8s::Containers(spec, list)) {
    const kw::json::Value* ports = container.Find("ports");
    if (ports == nullptr || !ports->IsArray()) continue;
    for (const kw::json::Value& port : *ports) {
      const kw::json::Value* host_port = port.Find("hostPort");
      if (host_port == nullptr || host_port->IsNull()) continue;
      std::int64_t value = host_port->AsInt64().value_or(0);
      bool in_range = false;
      for (const PortRange& r : allowed) in_range = in_range || (value >= r.min && value <= r.max);
      if (!in_range) return true;
    }
  }
  return false;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  Settings settings;
  // The host validated the settings first; a failure here is a guest error, as upstream.
  if (auto error = ReadSettings(request.settings(), settings)) return kw::EvaluationError(*error);

  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec || *spec == nullptr) return kw::Accept();  // upstream accepts both
  const kw::json::Value& pod_spec = **spec;

  if (!settings.allow_host_ipc && IsTrue(pod_spec, "hostIPC")) {
    return kw::Reject("Pod has IPC enabled, but this is not allowed");
  }
  if (!settings.allow_host_network && IsTrue(pod_spec, "hostNetwork")) {
    return kw::Reject("Pod has host network enabled, but this is not allowed");
  }
  if (!settings.allow_host_pid && IsTrue(pod_spec, "hostPID")) {
    return kw::Reject("Pod has host PID enabled, but this is not allowed");
  }
  if (UsesUnallowedHostPort(pod_spec, ContainerList::kInitContainers,
                            settings.allow_host_ports)) {
    return kw::Reject("Pod is using unallowed host ports in init containers");
  }
  if (UsesUnallowedHostPort(pod_spec, ContainerList::kContainers, settings.allow_host_ports)) {
    return kw::Reject("Pod is using unallowed host ports in containers");
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY(Validate, ValidateSettings)
