// environment-variable-policy (policies.md §27): checks the environment variable names of each
// container against a criteria operator.
//
// Rust-origin settings: {"criteria": <op>, "values": [<names>]}, both required. The pod spec comes
// from Extraction R (an error is an evaluation error, none accepts). Each container (then init,
// then ephemeral; a later entry with the same name replaces an earlier one) contributes
// "<name>: <message>" when its env names S fail the operator against V; the contributions are
// joined by ", ". envFrom is ignored. Lists in messages are sorted and joined by ", ".
#include <kubewarden/kubewarden.h>

#include <algorithm>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

using Set = std::vector<std::string_view>;  // sorted, unique

enum Criteria : std::size_t {
  kContainsAnyOf,
  kDoesNotContainAnyOf,
  kContainsAllOf,
  kDoesNotContainAllOf,
  kContainsOtherThan,
  kDoesNotContainOtherThan,
};

struct Settings {
  std::size_t criteria = kContainsAnyOf;
  Set values;
};

bool ValidName(std::string_view n) {
  if (n.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(n[0])) return false;
  for (char c : n) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string Join(const Set& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(items[i]);
  }
  return out;
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  auto criteria = reader.Enum("criteria", {"containsAnyOf", "doesNotContainAnyOf", "containsAllOf",
                                           "doesNotContainAllOf", "containsOtherThan",
                                           "doesNotContainOtherThan"});
  settings.values = reader.RequiredStringList("values");
  if (!reader.ok()) return reader.error();
  settings.criteria = *criteria;
  kw::SortUnique(settings.values);

  if (settings.values.empty()) return "Empty environment variable list is not allowed";
  Set invalid;
  for (std::string_view n : settings.values) {
    if (!ValidName(n)) invalid.push_back(n);
  }
  if (!invalid.empty()) return "Invalid environment variable names: " + Join(invalid);
  return std::nullopt;
}

bool Has(const Set& set, std::string_view s) {
  return std::binary_search(set.begin(), set.end(), s);
}

// The message for a failing container, or nullopt when `names` satisfies the criteria.
std::optional<std::string> Check(const Settings& settings, const Set& names) {
  const Set& values = settings.values;
  Set in_both, missing, extra;
  for (std::string_view v : values) (Has(names, v) ? in_both : missing).push_back(v);
  for (std::string_view n : names) {
    if (!Has(values, n)) extra.push_back(n);
  }
  switch (settings.criteria) {
    case kContainsAnyOf:
      if (!in_both.empty()) return std::nullopt;
      return "Resource must have at least one of the required environment variables specified "
             "by the validation rule. None of the expected environment variables were found: " +
             Join(values);
    case kDoesNotContainAnyOf:
      if (in_both.empty()) return std::nullopt;
      return "Resource must not have any of the environment variables specified in the "
             "validation rule. The following invalid environment variables were found: " +
             Join(in_both);
    case kContainsAllOf:
      if (missing.empty()) return std::nullopt;
      return "Resource is missing required environment variables as specified in the "
             "validation rules. The following environment variables are missing: " +
             Join(missing);
    case kDoesNotContainAllOf:
      if (!missing.empty()) return std::nullopt;
      return "Resource has conflicting environment variables set according to the validation "
             "rules. The following environment variables should not be set together: " +
             Join(values);
    case kContainsOtherThan:
      if (!extra.empty()) return std::nullopt;
      return std::string(
          "Resource must not have any environment variables other than those specified in the "
          "validation rule. The following environment variables were found that should not be "
          "present: ");
    default:  // kDoesNotContainOtherThan
      if (extra.empty()) return std::nullopt;
      return "Resource must have only environment variables from the validation rule. The "
             "following environment variables were found that should not be present: " +
             Join(extra);
  }
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::EvaluationError(spec.error());
  if (*spec == nullptr) return kw::Accept();

  std::vector<std::pair<std::string_view, Set>> containers;
  for (ContainerList list : {ContainerList::kContainers, ContainerList::kInitContainers,
                             ContainerList::kEphemeralContainers}) {
    for (const kw::json::Value& c : kw::k8s::Containers(**spec, list)) {
      if (!c.IsObject()) continue;
      std::string_view name = c.GetString("name").value_or("");
      Set names;
      if (const kw::json::Value* env = c.Find("env"); env != nullptr && env->IsArray()) {
        for (const kw::json::Value& e : *env) {
          if (e.IsObject()) names.push_back(e.GetString("name").value_or(""));
        }
      }
      kw::SortUnique(names);
      auto it = std::find_if(containers.begin(), containers.end(),
                             [name](const auto& entry) { return entry.first == name; });
      if (it != containers.end()) {
        it->second = std::move(names);
      } else {
        containers.emplace_back(name, std::move(names));
      }
    }
  }

  std::string errors;
  for (const auto& [name, names] : containers) {
    if (auto message = Check(settings, names)) {
      if (!errors.empty()) errors.append(", ");
      errors.append(name).append(": ").append(*message);
    }
  }
  if (!errors.empty()) return kw::Reject(errors);
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
