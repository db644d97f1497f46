// volumemounts (policies.md §28): restricts which volume mount names containers use.
//
// Rust-origin. The pod spec comes from Extraction R: an unsupported kind or an undecodable
// object rejects with "Cannot parse validation request"; no pod spec accepts. Every container,
// init container and ephemeral container that has a (non-null) volumeMounts list is checked;
// each failing one appends "container <name> is invalid: <message>\n".
#include <kubewarden/kubewarden.h>

#include <algorithm>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

enum Operator : std::size_t { kAnyIn = 0, kAnyNotIn, kAllAreUsed, kNotAllAreUsed };

struct Settings {
  std::size_t op = kAnyIn;
  std::vector<std::string_view> names;  // sorted, unique
};

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.op = reader.Enum("operator", {"anyIn", "anyNotIn", "allAreUsed", "notAllAreUsed"},
                            kAnyIn)
                    .value_or(kAnyIn);
  settings.names = reader.StringList("volumeMountsNames");
  if (!reader.ok()) return reader.error();
  kw::SortUnique(settings.names);
  if (settings.names.empty()) return "volumeMountsNames is empty";
  return std::nullopt;
}

bool Contains(const std::vector<std::string_view>& sorted, std::string_view s) {
  return std::binary_search(sorted.begin(), sorted.end(), s);
}

// The failure message for one container's mount names `mounts` (sorted, unique), if any.
std::optional<std::string> Check(const Settings& settings,
                                 const std::vector<std::string_view>& mounts) {
  std::vector<std::string_view> out;
  switch (settings.op) {
    case kAnyIn:
      for (std::string_view n : settings.names) {
        if (Contains(mounts, n)) out.push_back(n);
      }
      if (!out.empty()) return "volumeMount names not allowed: " + kw::RustList(out);
      break;
    case kAnyNotIn:
      for (std::string_view n : mounts) {
        if (!Contains(settings.names, n)) out.push_back(n);
      }
      if (!out.empty()) return "volumeMount names not allowed: " + kw::RustList(out);
      break;
    case kAllAreUsed:
      for (std::string_view n : settings.names) {
        if (!Contains(mounts, n)) return std::nullopt;
      }
      return "volumeMount names not allowed together: " + kw::RustList(settings.names);
    case kNotAllAreUsed:
      for (std::string_view n : settings.names) {
        if (!Contains(mounts, n)) out.push_back(n);
      }
      if (!out.empty()) return "volumeMount names are missing: " + kw::RustList(out);
      break;
  }
  return std::nullopt;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::Reject("Cannot parse validation request");
  if (*spec == nullptr) return kw::Accept();
  const kw::json::Value& pod_spec = **spec;

  std::string errors;
  kw::k8s::ForEachContainer(pod_spec, [&](const kw::json::Value& container, ContainerList,
                                           std::size_t) {
    const kw::json::Value* volume_mounts = container.Find("volumeMounts");
    if (volume_mounts == nullptr || !volume_mounts->IsArray()) return;
    std::vector<std::string_view> mounts;
    for (const kw::json::Value& mount : *volume_mounts) {
      const kw::json::Value* name = mount.Find("name");
      mounts.push_back(name != nullptr ? name->AsString().value_or("") : "");
    }
    kw::SortUnique(mounts);
    if (auto message = Check(settings, mounts)) {
      const kw::json::Value* name = container.Find("name");
      errors.append("container ")
          .append(name != nullptr ? name->AsString().value_or("") : "")
          .append(" is invalid: ")
          .append(*message)
          .push_back('\n');
    }
  });
  if (!errors.empty()) return kw::Reject(errors);
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
