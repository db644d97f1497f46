// hostpaths-psp (policies.md §7): restricts which host paths hostPath volumes may mount, and
// whether they must be mounted read-only.
//
// Go-origin: the settings decode like encoding/json (field names match case-insensitively, the
// last duplicate wins, null is absent, the first type error in document order is reported
// without a prefix); a present key is one whose value is not null. An empty allowedHostPaths
// accepts everything, before the kind check. The pod spec comes from Extraction G; its errors
// reject with code 400.
#include <kubewarden/go_json.h>
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

struct HostPath {
  std::optional<std::string_view> path_prefix;
  std::optional<bool> read_only;
};

struct Settings {
  std::vector<HostPath> allowed_host_paths;
};

// Decodes one allowedHostPaths entry (an object); records the first type error in `error`.
void ReadHostPath(const kw::json::Value& value, HostPath& entry, std::string& error) {
  for (const kw::json::Value& m : value) {
    if (kw::GoFieldMatches(m.key(), "pathPrefix")) {
      if (m.IsNull()) {
        entry.path_prefix.reset();
      } else if (m.IsString()) {
        entry.path_prefix = m.AsString();
      } else if (error.empty()) {
        error = kw::GoTypeError(m, "HostPath.allowedHostPaths.pathPrefix", "string");
      }
    } else if (kw::GoFieldMatches(m.key(), "readOnly")) {
      if (m.IsNull()) {
        entry.read_only.reset();
      } else if (m.IsBool()) {
        entry.read_only = m.AsBool();
      } else if (error.empty()) {
        error = kw::GoTypeError(m, "HostPath.allowedHostPaths.readOnly", "bool");
      }
    }
  }
}

// Decodes `value` as upstream's Go struct and checks it; returns the message that makes the
// settings invalid (a decode error, else the missing keys joined by "; "), if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  if (!value.IsObject()) {
    if (value.IsNull()) return std::nullopt;
    return kw::GoTypeError(value, "", "main.Settings");
  }
  std::string error;
  for (const kw::json::Value& m : value) {
    if (!kw::GoFieldMatches(m.key(), "allowedHostPaths")) continue;
    settings.allowed_host_paths.clear();
    if (m.IsNull()) continue;
    if (!m.IsArray()) {
      if (error.empty()) {
        error = kw::GoTypeError(m, "Settings.allowedHostPaths", "[]main.HostPath");
      }
      continue;
    }
    settings.allowed_host_paths.reserve(m.size());
    for (const kw::json::Value& e : m) {
      HostPath& entry = settings.allowed_host_paths.emplace_back();
      if (e.IsObject()) {
        ReadHostPath(e, entry, error);
      } else if (!e.IsNull() && error.empty()) {
        error = kw::GoTypeError(e, "Settings.allowedHostPaths", "main.HostPath");
      }
    }
  }
  if (!error.empty()) return error;

  std::string problems;
  auto add = [&problems](std::string_view text) {
    if (!problems.empty()) problems.append("; ");
    problems.append(text);
  };
  for (const HostPath& entry : settings.allowed_host_paths) {
    if (!entry.path_prefix) add("pathPrefix key is missing");
    if (!entry.read_only) {
      add("readOnly key for pathPrefix '" + std::string(entry.path_prefix.value_or("")) +
          "' is missing");
    }
  }
  if (!problems.empty()) return problems;
  return std::nullopt;
}

// Go's hasPrefix of the policy: strings.HasPrefix(p + "/", q + "/"), where a side that already
// ends with "/" gets none.
bool HasPathPrefix(std::string_view path, std::string_view prefix) {
  auto with_slash = [](std::string_view s) {
    std::string out(s);
    if (out.empty() || out.back() != '/') out.push_back('/');
    return out;
  };
  return with_slash(path).starts_with(with_slash(prefix));
}

std::string_view StringOr(const kw::json::Value* v, std::string_view fallback) {
  return v != nullptr ? v->AsString().value_or(fallback) : fallback;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  if (settings.allowed_host_paths.empty()) return kw::Accept();  // no restriction

  auto spec = kw::k8s::ExtractPodSpecGo(request);
  if (!spec) return kw::Reject(spec.error(), 400);
  const kw::json::Value& pod_spec = **spec;

  // The mounts of init containers, then of containers (ephemeral containers are ignored).
  std::vector<const kw::json::Value*> mounts;
  for (ContainerList list : {ContainerList::kInitContainers, ContainerList::kContainers}) {
    for (const kw::json::Value& container : kw::k8s::Containers(pod_spec, list)) {
      const kw::json::Value* volume_mounts = container.Find("volumeMounts");
      if (volume_mounts == nullptr || !volume_mounts->IsArray()) continue;
      for (const kw::json::Value& mount : *volume_mounts) {
        if (mount.IsObject()) mounts.push_back(&mount);
      }
    }
  }

  std::string errors;
  auto add = [&errors](std::string_view text) {
    if (!errors.empty()) errors.push_back('\n');
    errors.append(text);
  };
  const kw::json::Value* volumes = pod_spec.Find("volumes");
  if (volumes != nullptr && volumes->IsArray()) {
    for (const kw::json::Value& volume : *volumes) {
      if (!volume.IsObject()) continue;
      const kw::json::Value* host_path = volume.Find("hostPath");
      if (host_path == nullptr || !host_path->IsObject()) continue;
      std::string_view path = StringOr(host_path->Find("path"), "");
      std::string_view volume_name = StringOr(volume.Find("name"), "");
      for (const kw::json::Value* mount : mounts) {
        std::string_view mount_name = StringOr(mount->Find("name"), "");
        if (mount_name != volume_name) continue;
        const kw::json::Value* ro = mount->Find("readOnly");
        bool read_only = ro != nullptr && ro->AsBool().value_or(false);
        std::string prefix_text = "hostPath '" + std::string(path) + "' mounted as '" +
                                  std::string(mount_name) + "' ";
        std::string_view prev;
        bool matched = false;
        std::vector<std::string> errs;
        for (const HostPath& entry : settings.allowed_host_paths) {
          std::string_view allowed = *entry.path_prefix;
          if (!HasPathPrefix(path, allowed) || !HasPathPrefix(allowed, prev)) continue;
          matched = true;
          if (read_only == *entry.read_only) {
            errs.clear();
          } else {
            errs.push_back(prefix_text + "should be readOnly '" +
                           (*entry.read_only ? "true" : "false") + "'");
          }
          prev = allowed;
        }
        for (const std::string& e : errs) add(e);
        if (!matched) add(prefix_text + "is not in the AllowedHostPaths list");
      }
    }
  }
  if (!errors.empty()) return kw::Reject(errors);
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_GO_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
