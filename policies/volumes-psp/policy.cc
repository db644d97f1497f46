// volumes-psp (policies.md §13): restricts the volume types a pod may use.
//
// Go-origin: the settings decode like encoding/json (field names match case-insensitively, the
// last duplicate wins, null is absent, the first type error in document order is reported
// without a prefix). allowedTypes is a set; "*" together with another entry is invalid. The
// policy inspects the raw request.object.spec whatever the kind; a volume's type is the key of
// its last member other than `name`.
// Reads a few fields of the request: on demand is cheaper than parsing it whole (request.h).
#define KUBEWARDEN_REQUEST_ON_DEMAND
#include <kubewarden/go_json.h>
#include <kubewarden/kubewarden.h>

#include <algorithm>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

struct Settings {
  std::vector<std::string_view> allowed_types;
  bool ignore_init_containers_volumes = false;

  bool Allows(std::string_view type) const {
    return std::find(allowed_types.begin(), allowed_types.end(), type) != allowed_types.end();
  }
  // The set is exactly {"*"}.
  bool AllowsAll() const {
    return !allowed_types.empty() &&
           std::all_of(allowed_types.begin(), allowed_types.end(),
                       [](std::string_view t) { return t == "*"; });
  }
};

// Decodes `value` as upstream's Go struct and checks it; returns the message that makes the
// settings invalid, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  if (!value.IsObject()) {
    if (value.IsNull()) return std::nullopt;
    return kw::GoTypeError(value, "", "main.Settings");
  }
  std::string error;
  for (const kw::json::Value& m : value) {
    if (kw::GoFieldMatches(m.key(), "allowedTypes")) {
      if (m.IsNull()) {
        settings.allowed_types.clear();
      } else if (!m.IsArray()) {
        if (error.empty()) error = kw::GoTypeError(m, ".allowedTypes", "[]string");
      } else {
        settings.allowed_types.clear();
        settings.allowed_types.reserve(m.size());
        for (const kw::json::Value& e : m) {
          if (e.IsString()) {
            settings.allowed_types.push_back(*e.AsString());
          } else if (e.IsNull()) {
            settings.allowed_types.push_back("");
          } else if (error.empty()) {
            error = kw::GoTypeError(e, ".allowedTypes", "string");
          }
        }
      }
    } else if (kw::GoFieldMatches(m.key(), "ignoreInitContainersVolumes")) {
      if (m.IsBool()) {
        settings.ignore_init_containers_volumes = *m.AsBool();
      } else if (!m.IsNull() && error.empty()) {
        error = kw::GoTypeError(m, ".ignoreInitContainersVolumes", "bool");
      }
    }
  }
  if (!error.empty()) return error;
  if (settings.Allows("*") && !settings.AllowsAll()) return "Provided settings are not valid";
  return std::nullopt;
}

std::string_view StringOr(const kw::json::Value* v, std::string_view fallback) {
  return v != nullptr ? v->AsString().value_or(fallback) : fallback;
}

// Adds the names of the volumes mounted by the containers of `list` to `names`.
void MountedNames(const kw::json::Value& spec, ContainerList list,
                  std::vector<std::string_view>& names) {
  for (const kw::json::Value& container : kw::k8s::Containers(spec, list)) {
    if (!container.IsObject()) continue;
    const kw::json::Value* mounts = container.Find("volumeMounts");
    if (mounts == nullptr || !mounts->IsArray()) continue;
    for (const kw::json::Value& mount : *mounts) {
      if (mount.IsObject()) names.push_back(StringOr(mount.Find("name"), ""));
    }
  }
}

bool Contains(const std::vector<std::string_view>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  if (settings.allowed_types.empty()) return kw::Reject("No volume type is allowed");
  if (settings.AllowsAll()) return kw::Accept();

  const kw::json::Value* object = request.object();
  const kw::json::Value* spec =
      object != nullptr && object->IsObject() ? object->Find("spec") : nullptr;
  const kw::json::Value* volumes =
      spec != nullptr && spec->IsObject() ? spec->Find("volumes") : nullptr;
  if (volumes == nullptr || !volumes->IsArray()) return kw::Accept();

  std::vector<std::string_view> init_mounts, container_mounts;
  if (settings.ignore_init_containers_volumes) {
    MountedNames(*spec, ContainerList::kInitContainers, init_mounts);
    MountedNames(*spec, ContainerList::kContainers, container_mounts);
  }

  std::string errors;
  for (const kw::json::Value& volume : *volumes) {
    std::string_view name, type;
    if (volume.IsObject()) {
      for (const kw::json::Value& m : volume) {
        if (m.key() == "name") {
          name = m.AsString().value_or("");
        } else {
          type = m.key();
        }
      }
    }
    if (settings.ignore_init_containers_volumes && Contains(init_mounts, name) &&
        !Contains(container_mounts, name)) {
      continue;
    }
    if (settings.Allows(type)) continue;
    if (!errors.empty()) errors.append("; ");
    errors.append("volume '").append(name).append("' of type '").append(type);
    errors.append("' is not in the AllowedTypes list");
  }
  if (!errors.empty()) return kw::Reject(errors);
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
