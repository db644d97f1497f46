// seccomp-psp (policies.md §12): restricts seccomp profiles, both the legacy annotations and
// securityContext.seccompProfile of the pod and of every container.
//
// Rust-origin: serde-style settings errors (three sets of strings, null is a type error). The
// object is decoded as a Pod (P); a decode failure is an evaluation error. Set iteration order
// is unspecified upstream; profile_types are checked in ascending byte order (§1.6).
#include <kubewarden/kubewarden.h>

#include <algorithm>
#include <utility>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

using StringSet = std::vector<std::string_view>;

struct Settings {
  StringSet allowed_profiles;
  StringSet profile_types;
  StringSet localhost_profiles;
};

bool Contains(const StringSet& set, std::string_view s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.allowed_profiles = reader.StringList("allowed_profiles");
  settings.profile_types = reader.StringList("profile_types");
  settings.localhost_profiles = reader.StringList("localhost_profiles");
  if (!reader.ok()) return reader.error();
  StringSet types = settings.profile_types;
  std::sort(types.begin(), types.end());
  for (std::string_view t : types) {
    if (t != "Localhost" && t != "RuntimeDefault" && t != "Unconfined") {
      return "Invalid Seccomp profile type: " + std::string(t);
    }
    if (t == "Localhost" && settings.localhost_profiles.empty()) {
      return std::string("Seccomp type 'Localhost' requires some 'localhost_profiles' value ");
    }
  }
  return std::nullopt;
}

// typeOK of §12: the type is listed, or a legacy allowed_profiles value grants it.
bool TypeOk(const Settings& settings, std::string_view type) {
  if (Contains(settings.profile_types, type)) return true;
  for (std::string_view p : settings.allowed_profiles) {
    if (type == "RuntimeDefault" && (p == "runtime/default" || p == "docker/default")) return true;
    if (type == "Localhost" && p.starts_with("localhost/")) return true;
    if (type == "Unconfined" && p == "unconfined") return true;
  }
  return false;
}

// lpOK of §12 (quirk: a suffix match, so localhost/team-a accepts "a").
bool LocalhostProfileOk(const Settings& settings, std::string_view profile) {
  if (Contains(settings.localhost_profiles, profile)) return true;
  for (std::string_view p : settings.allowed_profiles) {
    if (p.starts_with("localhost/") && p.ends_with(profile)) return true;
  }
  return false;
}

std::optional<std::string_view> OptionalString(const kw::json::Value* object,
                                               std::string_view key) {
  const kw::json::Value* v = object != nullptr ? object->Find(key) : nullptr;
  return v != nullptr ? v->AsString() : std::nullopt;
}

// securityContext.seccompProfile of a pod spec or container, or nullptr (absent or null; the
// decode guarantees the types).
const kw::json::Value* SeccompProfile(const kw::json::Value& holder) {
  const kw::json::Value* context = holder.Find("securityContext");
  if (context == nullptr || !context->IsObject()) return nullptr;
  const kw::json::Value* profile = context->Find("seccompProfile");
  return profile != nullptr && profile->IsObject() ? profile : nullptr;
}

std::string Join(const StringSet& items, std::string_view separator) {
  std::string out;
  for (std::string_view s : items) {
    if (!out.empty()) out.append(separator);
    out.append(s);
  }
  return out;
}

// The violation of one container list, if any.
std::optional<std::string> CheckContainers(const Settings& settings, const kw::json::Value& spec,
                                           ContainerList list) {
  StringSet types, profiles;
  for (const kw::json::Value& container : kw::k8s::Containers(spec, list)) {
    const kw::json::Value* profile = SeccompProfile(container);
    if (profile == nullptr) continue;
    std::string_view type = OptionalString(profile, "type").value_or("");
    if (!TypeOk(settings, type)) types.push_back(type);
    if (type == "Localhost") {
      auto lp = OptionalString(profile, "localhostProfile");
      if (!lp) return std::string("The container localhost seccomp profile must be set.");
      if (!LocalhostProfileOk(settings, *lp)) profiles.push_back(*lp);
    }
  }
  std::string out;
  if (!types.empty()) out = "Invalid container seccomp profile types: " + Join(types, ",");
  if (!profiles.empty()) {
    if (!out.empty()) out.append("; ");
    out.append("Invalid container seccomp profile: ").append(Join(profiles, ","));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpecFromPod(request);
  if (!spec) return kw::EvaluationError("Error deserializing Pod specification: " + spec.error());

  std::vector<std::string> violations;

  // 1. The legacy annotations, by key.
  const kw::json::Value* annotations = request.object()->GetObject("metadata/annotations");
  if (annotations != nullptr) {
    std::vector<std::pair<std::string_view, std::string_view>> entries;
    for (const kw::json::Value& m : *annotations) {
      std::string_view key = m.key();
      if (!key.starts_with("container.seccomp.security.alpha.kubernetes.io") &&
          key != "seccomp.security.alpha.kubernetes.io/pod") {
        continue;
      }
      std::string_view v = m.AsString().value_or("");
      if (!Contains(settings.allowed_profiles, v)) entries.emplace_back(key, v);
    }
    if (!entries.empty()) {
      std::stable_sort(entries.begin(), entries.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      std::string text = "Seccomp profiles '";
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) text.push_back(',');
        text.append(entries[i].second);
      }
      text.append("' are not allowed.");
      violations.push_back(std::move(text));
    }
  }

  if (*spec != nullptr) {
    const kw::json::Value& pod_spec = **spec;
    // 2. The pod's profile.
    if (const kw::json::Value* profile = SeccompProfile(pod_spec)) {
      std::string_view type = OptionalString(profile, "type").value_or("");
      if (!TypeOk(settings, type)) {
        violations.push_back("Invalid podspec seccomp profile types: " + std::string(type));
      } else if (type == "Localhost") {
        auto lp = OptionalString(profile, "localhostProfile");
        if (!lp) {
          violations.push_back("The podspec localhost seccomp profile must be set.");
        } else if (!LocalhostProfileOk(settings, *lp)) {
          violations.push_back("Invalid podspec seccomp profile: " + std::string(*lp));
        }
      }
    }
    // 3. Containers, init containers, ephemeral containers.
    for (ContainerList list : {ContainerList::kContainers, ContainerList::kInitContainers,
                               ContainerList::kEphemeralContainers}) {
      if (auto v = CheckContainers(settings, pod_spec, list)) violations.push_back(std::move(*v));
    }
  }

  if (violations.empty()) return kw::Accept();
  std::string message = "Resource violations: ";
  for (std::size_t i = 0; i < violations.size(); ++i) {
    if (i > 0) message.append(". ");
    message.append(violations[i]);
  }
  return kw::Reject(message);
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
