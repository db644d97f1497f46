// sysctl-psp (policies.md §9): controls which kernel sysctls a pod may set.
//
// Go-origin: the settings decode like encoding/json (field names match case-insensitively, the
// last duplicate wins, null is absent, the first type error in document order is reported).
// Every settings message is prefixed "provided settings are not valid: ". The policy reads the
// raw request.object.spec.securityContext.sysctls whatever the kind.
#include <kubewarden/go_json.h>
#include <kubewarden/kubewarden.h>

#include <algorithm>

namespace kw = kubewarden;

namespace {

using List = std::vector<std::string_view>;

struct Settings {
  List forbidden;
  List allowed_unsafe;
};

constexpr std::string_view kPrefix = "provided settings are not valid: ";

bool Contains(const List& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// Returns the full invalid-settings message (with its prefix), if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  if (!value.IsObject()) {
    if (value.IsNull()) return std::nullopt;
    return std::string(kPrefix) + kw::GoTypeError(value, "", "main.Settings");
  }
  std::string error;
  for (const kw::json::Value& m : value) {
    if (kw::GoFieldMatches(m.key(), "forbiddenSysctls")) {
      kw::GoDecodeStringList(m, ".forbiddenSysctls", settings.forbidden, error);
    } else if (kw::GoFieldMatches(m.key(), "allowedUnsafeSysctls")) {
      kw::GoDecodeStringList(m, ".allowedUnsafeSysctls", settings.allowed_unsafe, error);
    }
  }
  if (!error.empty()) return std::string(kPrefix) + error;

  for (std::string_view a : settings.allowed_unsafe) {
    if (a.find('*') != std::string_view::npos) {
      return std::string(kPrefix) + "allowedUnsafeSysctls doesn't accept patterns with `*`";
    }
  }
  for (std::string_view f : settings.forbidden) {
    std::size_t star = f.find('*');
    if (star != std::string_view::npos && star != f.size() - 1) {
      return std::string(kPrefix) + "forbiddenSysctls only accepts patterns with `*` as suffix";
    }
  }
  List both;
  for (std::string_view a : settings.allowed_unsafe) {
    if (Contains(settings.forbidden, a)) both.push_back(a);
  }
  if (!both.empty()) {
    kw::SortUnique(both);
    std::string out(kPrefix);
    out.append("these sysctls cannot be allowed and forbidden at the same time: ");
    for (std::size_t i = 0; i < both.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(both[i]);
    }
    return out;
  }
  return std::nullopt;
}

constexpr std::string_view kSafe[] = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                                      "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range"};

bool IsSafe(std::string_view name) {
  return std::find(std::begin(kSafe), std::end(kSafe), name) != std::end(kSafe);
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  const kw::json::Value* object = request.object();
  const kw::json::Value* sysctls =
      object != nullptr && object->IsObject() ? object->Get("spec/securityContext/sysctls")
                                              : nullptr;
  if (sysctls == nullptr || !sysctls->IsArray()) return kw::Accept();

  for (const kw::json::Value& entry : *sysctls) {
    std::string_view name;
    if (entry.IsObject()) {
      const kw::json::Value* n = entry.Find("name");
      if (n != nullptr) name = n->AsString().value_or("");
    }
    if (Contains(settings.forbidden, name)) {
      return kw::Reject("sysctl " + std::string(name) + " is on the forbidden list");
    }
    for (std::string_view pattern : settings.forbidden) {
      if (pattern.empty() || pattern.back() != '*') continue;
      std::string_view prefix = pattern.substr(0, pattern.size() - 1);
      if (name.starts_with(prefix) && !Contains(settings.allowed_unsafe, name)) {
        return kw::Reject("sysctl " + std::string(name) + " is on the forbidden list");
      }
    }
    if (!IsSafe(name) && !Contains(settings.allowed_unsafe, name)) {
      return kw::Reject("sysctl " + std::string(name) +
                        " is not on safe list, nor is in the allowedUnsafeSysctls list");
    }
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_GO_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
