// psa-label-enforcer (policies-more.md §9): sets the Pod Security Admission labels
// pod-security.kubernetes.io/<mode>[-version] of Namespaces to the configured levels/versions.
//
// An object that does not decode as a Namespace is accepted untouched (request.kind is not
// looked at). Labels of unconfigured modes are left alone; configured ones are added or
// overwritten in place, so the patch holds only them (or one add of /metadata/labels).
#include <kubewarden/kubewarden.h>

#include <array>

namespace kw = kubewarden;

namespace {

constexpr std::array<std::string_view, 3> kLevels = {"privileged", "baseline", "restricted"};

struct Mode {
  std::string_view name;  // "enforce", "audit", "warn"
  std::optional<std::size_t> level;
  std::optional<std::string_view> version;
};

struct Settings {
  // Labels are written in this order: enforce, warn, audit.
  std::array<Mode, 3> modes = {Mode{"enforce", {}, {}}, Mode{"warn", {}, {}}, Mode{"audit", {}, {}}};
  Mode& enforce() { return modes[0]; }
  Mode& warn() { return modes[1]; }
  Mode& audit() { return modes[2]; }
};

// ^latest$ or ^v\d+\.(0|[1-9]\d*)$
bool IsValidVersion(std::string_view v) {
  if (v == "latest") return true;
  auto digits = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  std::size_t dot = v.find('.');
  if (v.empty() || v[0] != 'v' || dot == std::string_view::npos) return false;
  std::string_view major = v.substr(1, dot - 1), minor = v.substr(dot + 1);
  return digits(major) && digits(minor) && (minor == "0" || minor[0] != '0');
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  if (auto modes = reader.Struct("modes", "Modes")) {
    modes->DenyUnknownFields(
        {"enforce", "enforce-version", "audit", "audit-version", "warn", "warn-version"});
    for (Mode& mode : settings.modes) {
      std::string key(mode.name);
      mode.level = modes->OptionalEnum(key, {kLevels[0], kLevels[1], kLevels[2]});
      mode.version = modes->OptionalString(key + "-version");
    }
  }
  if (!reader.ok()) return reader.error();

  if (!settings.enforce().level && !settings.audit().level && !settings.warn().level) {
    return "At least one of the 'enforce', 'audit' or 'warn' configuration must be defined";
  }
  for (const Mode* mode : {&settings.enforce(), &settings.audit(), &settings.warn()}) {
    if (!mode->version) continue;
    if (!IsValidVersion(*mode->version)) {
      return "Version " + std::string(*mode->version) +
             " is invalid. It must follow the v<major>.<minor> pattern or be 'latest' value";
    }
    if (!mode->level) {
      std::string name(mode->name);
      return "cannot define " + name + " version with no " + name + " mode.";
    }
  }
  return std::nullopt;
}

// Sets label `key` to `value` (which outlives the call: settings text or a literal); returns
// whether it changed.
bool SetLabel(kw::json::Document& doc, kw::json::Value& labels, std::string_view key,
              std::string_view value) {
  const kw::json::Value* existing = labels.Find(key);  // not GetString: keys contain '/'
  if (existing != nullptr && existing->AsString() == value) return false;
  doc.Set(labels, key, doc.StringRef(value));  // Set copies a new key
  return true;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  kw::json::Value* ns = request.mutable_object();
  if (ns == nullptr || kw::k8s::CheckObject(*ns, kw::k8s::kNamespaceKind)) return kw::Accept();

  kw::json::Document& doc = request.document();
  kw::json::Value* metadata = doc.GetOrAddObject(*ns, "metadata");
  kw::json::Value* labels = metadata ? doc.GetOrAddObject(*metadata, "labels") : nullptr;
  if (labels == nullptr) return kw::Accept();  // the decode guarantees the types: not reached
  bool changed = false;
  for (const Mode& mode : settings.modes) {
    std::string key = "pod-security.kubernetes.io/" + std::string(mode.name);
    if (mode.level) changed |= SetLabel(doc, *labels, key, kLevels[*mode.level]);
    if (mode.version) changed |= SetLabel(doc, *labels, key + "-version", *mode.version);
  }
  return changed ? kw::Mutate(*ns) : kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
