#include "policy/policies_config.h"

#include <span>

#include "base/json_fields.h"
#include "base/yaml.h"

namespace kw::policy {
namespace {

using json_fields::FindRequired;
using json_fields::FindSet;
using json_fields::GetBool;
using json_fields::GetEnum;
using json_fields::GetString;
using json_fields::GetStringList;
using json_fields::GetUnsigned;
using json_fields::Indexed;
using json_fields::Invalid;
using json_fields::KindName;

constexpr std::pair<std::string_view, PolicyMode> kModeNames[] = {
    {"protect", PolicyMode::kProtect}, {"monitor", PolicyMode::kMonitor}};

constexpr std::string_view kMemberKeys[] = {"module", "settings", "contextAwareResources",
                                            "timeoutEvalSeconds", "hostCapabilities"};
constexpr std::string_view kPolicyKeys[] = {
    "module",  "policyMode",         "allowedToMutate",  "settings", "contextAwareResources",
    "message", "timeoutEvalSeconds", "hostCapabilities"};
constexpr std::string_view kGroupKeys[] = {"policyMode", "expression", "message", "policies"};
// The controller adds it to policies and groups; the server ignores it, as upstream does.
constexpr std::string_view kControllerKey = "namespacedName";

// Warns about each key of `o` outside `known`: ignored, as upstream ignores it, but most likely a
// typo that leaves a setting at its default.
void WarnAboutUnknownKeys(const json::object& o, std::span<const std::string_view> known,
                          std::string_view where, std::string_view shape,
                          std::vector<std::string>& warnings) {
  for (const std::string& key : json_fields::UnknownKeys(o, known)) {
    if (key == kControllerKey) continue;
    warnings.push_back(std::string(where) + ": unknown field '" + key + "' is ignored (" +
                       std::string(shape) + " takes " + json_fields::JoinNames(known) + ")");
  }
}

Result<PolicyModuleConfig> ReadModuleConfig(const json::object& o) {
  PolicyModuleConfig c;
  KW_ASSIGN_OR_RETURN(const json::value* module, FindRequired(o, "module", "module"));
  KW_ASSIGN_OR_RETURN(c.module, GetString(*module, "module"));
  if (const json::value* s = FindSet(o, "settings")) {
    if (!s->is_object()) {
      return Invalid("field 'settings' must be an object, got " + std::string(KindName(*s)));
    }
    c.settings = *s;
  }
  if (const json::value* list = FindSet(o, "contextAwareResources")) {
    if (!list->is_array()) {
      return Invalid("field 'contextAwareResources' must be a list, got " +
                     std::string(KindName(*list)));
    }
    for (std::size_t i = 0; i < list->as_array().size(); ++i) {
      KW_ASSIGN_OR_RETURN(ContextAwareResource r,
                          ParseContextAwareResource(list->as_array()[i],
                                                       Indexed("contextAwareResources", i)));
      c.context_aware_resources.push_back(std::move(r));
    }
  }
  if (const json::value* t = FindSet(o, "timeoutEvalSeconds")) {
    KW_ASSIGN_OR_RETURN(c.timeout_eval_seconds, GetUnsigned(*t, "timeoutEvalSeconds"));
  }
  if (const json::value* caps = FindSet(o, "hostCapabilities")) {
    KW_ASSIGN_OR_RETURN(c.host_capabilities, GetStringList(*caps, "hostCapabilities"));
  }
  return c;
}

Result<PolicyMode> ReadMode(const json::object& o) {
  if (const json::value* m = FindSet(o, "policyMode")) return GetEnum(*m, "policyMode", kModeNames);
  return PolicyMode::kProtect;
}

Result<PolicyEntry> ReadPolicy(const json::object& o) {
  PolicyEntry p;
  KW_ASSIGN_OR_RETURN(p.module, ReadModuleConfig(o));
  KW_ASSIGN_OR_RETURN(p.mode, ReadMode(o));
  if (const json::value* m = FindSet(o, "allowedToMutate")) {
    KW_ASSIGN_OR_RETURN(p.allowed_to_mutate, GetBool(*m, "allowedToMutate"));
  }
  if (const json::value* m = FindSet(o, "message")) {
    KW_ASSIGN_OR_RETURN(p.message, GetString(*m, "message"));
  }
  return p;
}

Result<GroupEntry> ReadGroup(const json::object& o) {
  GroupEntry g;
  KW_ASSIGN_OR_RETURN(g.mode, ReadMode(o));
  KW_ASSIGN_OR_RETURN(const json::value* expression, FindRequired(o, "expression", "expression"));
  KW_ASSIGN_OR_RETURN(g.expression, GetString(*expression, "expression"));
  KW_ASSIGN_OR_RETURN(const json::value* message, FindRequired(o, "message", "message"));
  KW_ASSIGN_OR_RETURN(g.message, GetString(*message, "message"));
  KW_ASSIGN_OR_RETURN(const json::value* policies, FindRequired(o, "policies", "policies"));
  if (!policies->is_object()) {
    // The README of old showed members as a list; the code only ever accepted a map.
    return Invalid("field 'policies' must be a map of member name to policy, got " +
                   std::string(KindName(*policies)));
  }
  if (policies->as_object().empty()) return Invalid("field 'policies' must not be empty");
  for (const auto& [name, member] : policies->as_object()) {
    std::string where = "member '" + std::string(name) + "'";
    if (name.find('/') != std::string_view::npos) {
      return Invalid(where + ": member names must not contain '/'");
    }
    if (!member.is_object()) {
      return Invalid(where + " must be an object, got " + std::string(KindName(member)));
    }
    if (auto unknown = json_fields::UnknownKeys(member.as_object(), kMemberKeys);
        !unknown.empty()) {
      return Invalid(where + ": unknown field '" + unknown.front() + "' (members take " +
                     json_fields::JoinNames(kMemberKeys) + ")");
    }
    auto config = ReadModuleConfig(member.as_object());
    if (!config) return std::unexpected(config.error().Wrap(where));
    g.members.emplace(std::string(name), std::move(*config));
  }
  return g;
}

}  // namespace

Result<PoliciesConfig> ParsePoliciesConfig(std::string_view text, std::string_view file_name) {
  std::string file(file_name);
  KW_ASSIGN_OR_RETURN(json::value root, ParseYamlAsJson(text, file));
  PoliciesConfig out;
  // Empty, or only comments: most likely a ConfigMap or a volume that is not what it should be.
  if (root.is_null() || (root.is_object() && root.as_object().empty())) {
    out.warnings.push_back(file +
                           " defines no policies: the server starts with nothing to evaluate");
    return out;
  }
  if (!root.is_object()) {
    return Invalid(file + ": must be a map of policy id to policy, got " +
                   std::string(KindName(root)));
  }
  for (const auto& [id, value] : root.as_object()) {
    std::string where = file + ": policy '" + std::string(id) + "'";
    if (id.find('/') != std::string_view::npos) {
      return Invalid(where + ": policy ids must not contain '/'");
    }
    if (!value.is_object()) {
      return Invalid(where + " must be a map, got " + std::string(KindName(value)));
    }
    const json::object& o = value.as_object();
    PolicyDefinition d;
    d.id = std::string(id);
    if (o.contains("expression") || o.contains("policies")) {
      auto group = ReadGroup(o);
      if (!group) return std::unexpected(group.error().Wrap(where));
      d.entry = std::move(*group);
      WarnAboutUnknownKeys(o, kGroupKeys, where, "a policy group", out.warnings);
    } else {
      auto policy = ReadPolicy(o);
      if (!policy) return std::unexpected(policy.error().Wrap(where));
      d.entry = std::move(*policy);
      WarnAboutUnknownKeys(o, kPolicyKeys, where, "a policy", out.warnings);
    }
    out.definitions.push_back(std::move(d));
  }
  return out;
}

}  // namespace kw::policy
