// priority-class-policy (policies.md §25): allows or denies pod priorityClassName values and
// optionally defaults a missing one.
//
// The pod spec comes from Extraction R: an error rejects with "Priority class policy failed to
// extract PodSpec from the request : <error>", no pod spec accepts. With n = priorityClassName:
// absent -> mutate to default_priority_class when set (one `add` at the pod-spec path), else
// accept; n denied -> reject `Priority class "<n>" is denied`; allowed list set and n not in it
// -> reject `Priority class "<n>" is not allowed`; else accept.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;

namespace {

using Set = std::vector<std::string_view>;  // sorted, unique

struct Settings {
  Set allowed;
  Set denied;
  std::optional<std::string_view> default_class;
};

bool Contains(const Set& set, std::string_view s) {
  return std::binary_search(set.begin(), set.end(), s);
}

// Decodes `value` like upstream's serde struct and checks its rules in order; returns the
// message that makes the settings invalid, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings.allowed = reader.StringList("allowed_priority_classes");
  settings.denied = reader.StringList("denied_priority_classes");
  settings.default_class = reader.OptionalString("default_priority_class");
  if (!reader.ok()) return reader.error();
  kw::SortUnique(settings.allowed);
  kw::SortUnique(settings.denied);

  if (!settings.allowed.empty() && !settings.denied.empty()) {
    return "Both allowed and denied priority class lists cannot be set at the same time";
  }
  if (settings.allowed.empty() && settings.denied.empty()) {
    return "The priority class lists cannot be empty";
  }
  if (settings.default_class) {
    std::string_view d = *settings.default_class;
    if (d.empty()) return "The default priority class cannot be an empty string";
    if (!settings.allowed.empty() && !Contains(settings.allowed, d)) {
      return "The default priority class '" + std::string(d) +
             "' is not in the allowed priority classes list";
    }
    if (!settings.denied.empty() && Contains(settings.denied, d)) {
      return "The default priority class '" + std::string(d) +
             "' cannot be defined in the denied priority classes list";
    }
  }
  return std::nullopt;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) {
    return kw::Reject("Priority class policy failed to extract PodSpec from the request : " +
                      spec.error());
  }
  if (*spec == nullptr) return kw::Accept();
  kw::json::Value& pod_spec = **spec;

  // The typed decode guarantees a string or null (absent).
  std::optional<std::string_view> name = pod_spec.GetString("priorityClassName");
  if (!name) {
    if (!settings.default_class) return kw::Accept();
    kw::json::Document& doc = request.document();
    // The default is a view into the settings, part of the payload: it outlives the call.
    if (doc.Set(pod_spec, "priorityClassName", doc.StringRef(*settings.default_class)) ==
        nullptr) {
      return kw::EvaluationError("cannot set priorityClassName");
    }
    return kw::Mutate(*request.mutable_object());
  }
  if (!settings.denied.empty() && Contains(settings.denied, *name)) {
    return kw::Reject("Priority class \"" + std::string(*name) + "\" is denied");
  }
  if (!settings.allowed.empty() && !Contains(settings.allowed, *name)) {
    return kw::Reject("Priority class \"" + std::string(*name) + "\" is not allowed");
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
