// environment-variable-policy (policies.md §27): checks the environment variable names of each
// container against a criteria operator.
//
// Rust-origin settings: {"criteria": <op>, "values": [<names>]}, both required; the operators,
// their messages and the settings decode are labels/criteria.h's (upstream shares them too).
// The pod spec comes from Extraction R (an error is an evaluation error, none accepts). Each
// container (then init, then ephemeral; a later entry with the same name replaces an earlier
// one) contributes "<name>: <message>" when its env names S fail the operator against V; the
// contributions are joined by ", ". envFrom is ignored. Lists in messages are sorted and joined
// by ", ".
#include <algorithm>

#include "../labels/criteria.h"

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

using criteria::Set;

struct Settings {
  criteria::Criteria criteria;
};

// Why `name` is not a valid variable name (^[a-zA-Z_][a-zA-Z_0-9]*$): the name itself.
std::optional<std::string> InvalidName(std::string_view n) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  bool valid = !n.empty() && alpha(n[0]);
  for (char c : n) valid = valid && (alpha(c) || (c >= '0' && c <= '9'));
  if (valid) return std::nullopt;
  return std::string(n);
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  return criteria::ReadValidated(value, "environment variable",
                                 "Invalid environment variable names: ", settings.criteria,
                                 InvalidName);
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::EvaluationError(spec.error());
  if (*spec == nullptr) return kw::Accept();

  std::vector<std::pair<std::string_view, Set>> containers;
  kw::k8s::ForEachContainer(**spec, [&](const kw::json::Value& c, ContainerList, std::size_t) {
    if (!c.IsObject()) return;
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
  });

  std::string errors;
  for (const auto& [name, names] : containers) {
    if (auto message = criteria::Evaluate(settings.criteria, names, "environment variable")) {
      if (!errors.empty()) errors.append(", ");
      errors.append(name).append(": ").append(*message);
    }
  }
  if (!errors.empty()) return kw::Reject(errors);
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
