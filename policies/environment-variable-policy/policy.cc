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
#include <set>

#include "../common/criteria.h"

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

using Set = std::set<std::string_view>;
using Settings = criteria::Criteria;

bool ValidName(std::string_view n) {
  if (n.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(n[0])) return false;
  for (char c : n) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  settings = criteria::Read(reader);
  if (!reader.ok()) return reader.error();

  if (settings.values.empty()) return "Empty environment variable list is not allowed";
  std::vector<std::string_view> invalid;
  for (std::string_view n : settings.values) {
    if (!ValidName(n)) invalid.push_back(n);
  }
  if (!invalid.empty()) return "Invalid environment variable names: " + criteria::Join(invalid);
  return std::nullopt;
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
        if (e.IsObject()) names.insert(e.GetString("name").value_or(""));
      }
    }
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
    if (auto message = criteria::Check(settings, names, "environment variable")) {
      if (!errors.empty()) errors.append(", ");
      errors.append(name).append(": ").append(*message);
    }
  }
  if (!errors.empty()) return kw::Reject(errors);
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
