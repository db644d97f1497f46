#include "policy/policies_config.h"

#include <functional>
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

// `key`: policyMode in policies.yml, mode in a resource's spec.
Result<PolicyMode> ReadMode(const json::object& o, std::string_view key = "policyMode") {
  if (const json::value* m = FindSet(o, key)) return GetEnum(*m, key, kModeNames);
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

// Reads one member's object (already checked to be one); errors are wrapped with the member.
using MemberReader =
    std::function<Result<PolicyModuleConfig>(const json::object& member, const std::string& where)>;

// A group's fields, in policies.yml (`mode_key` policyMode) and in a resource's spec (mode).
Result<GroupEntry> ReadGroupFields(const json::object& o, std::string_view mode_key,
                                   const MemberReader& read_member) {
  GroupEntry g;
  KW_ASSIGN_OR_RETURN(g.mode, ReadMode(o, mode_key));
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
    auto config = read_member(member.as_object(), where);
    if (!config) return std::unexpected(config.error().Wrap(where));
    g.members.emplace(std::string(name), std::move(*config));
  }
  return g;
}

Result<GroupEntry> ReadGroup(const json::object& o) {
  return ReadGroupFields(o, "policyMode", [](const json::object& member, const std::string&)
                                              -> Result<PolicyModuleConfig> {
    // Refused, not ignored, as upstream's members deny unknown fields.
    if (auto unknown = json_fields::UnknownKeys(member, kMemberKeys); !unknown.empty()) {
      return Invalid("unknown field '" + unknown.front() + "' (members take " +
                     json_fields::JoinNames(kMemberKeys) + ")");
    }
    return ReadModuleConfig(member);
  });
}

// The spec fields of the policy CRDs (tooling.md §5.2, §5.3). The ones evaluation does not use
// are listed so that only fields the CRDs lack are warned about.
constexpr std::string_view kResourceCommonKeys[] = {
    "policyServer",    "mode",          "rules",          "failurePolicy", "backgroundAudit",
    "matchPolicy",     "matchConditions", "objectSelector", "sideEffects",   "timeoutSeconds",
    "message"};
constexpr std::string_view kResourcePolicyKeys[] = {"module", "settings", "mutating",
                                                    "timeoutEvalSeconds"};
constexpr std::string_view kResourceGroupKeys[] = {"expression", "policies"};
constexpr std::string_view kResourceClusterKeys[] = {
    "namespaceSelector", "allowInsideAdmissionControllerNamespace", "contextAwareResources"};
constexpr std::string_view kResourceMemberKeys[] = {"module", "settings", "timeoutEvalSeconds",
                                                    "contextAwareResources"};

struct ResourceKind {
  std::string_view name;
  bool group;
  bool cluster_wide;  // namespaced policies get no access to cluster resources
};
constexpr ResourceKind kResourceKinds[] = {
    {"AdmissionPolicy", false, false},
    {"ClusterAdmissionPolicy", false, true},
    {"AdmissionPolicyGroup", true, false},
    {"ClusterAdmissionPolicyGroup", true, true},
};

std::vector<std::string_view> ResourceSpecKeys(const ResourceKind& kind) {
  std::vector<std::string_view> keys(std::begin(kResourceCommonKeys), std::end(kResourceCommonKeys));
  if (kind.group) {
    keys.insert(keys.end(), std::begin(kResourceGroupKeys), std::end(kResourceGroupKeys));
  } else {
    keys.insert(keys.end(), std::begin(kResourcePolicyKeys), std::end(kResourcePolicyKeys));
  }
  if (kind.cluster_wide) {
    // Cluster-wide groups declare context access per member, not on the group.
    for (std::string_view key : kResourceClusterKeys) {
      if (!(kind.group && key == "contextAwareResources")) keys.push_back(key);
    }
  }
  return keys;
}

// A module and its configuration as a resource declares it: policies.yml's fields minus
// hostCapabilities (kwctl grants capabilities by flag), and no context access unless the resource
// is cluster-wide.
Result<PolicyModuleConfig> ReadResourceModule(const json::object& o, const ResourceKind& kind) {
  KW_ASSIGN_OR_RETURN(PolicyModuleConfig c, ReadModuleConfig(o));
  c.host_capabilities.clear();
  if (!kind.cluster_wide) c.context_aware_resources.clear();
  return c;
}

Result<PolicyEntry> ReadResourcePolicy(const json::object& spec, const ResourceKind& kind) {
  PolicyEntry p;
  KW_ASSIGN_OR_RETURN(p.module, ReadResourceModule(spec, kind));
  KW_ASSIGN_OR_RETURN(p.mode, ReadMode(spec, "mode"));
  if (const json::value* m = FindSet(spec, "mutating")) {
    KW_ASSIGN_OR_RETURN(p.allowed_to_mutate, GetBool(*m, "mutating"));
  }
  if (const json::value* m = FindSet(spec, "message")) {
    KW_ASSIGN_OR_RETURN(p.message, GetString(*m, "message"));
  }
  return p;
}

Result<GroupEntry> ReadResourceGroup(const json::object& spec, const ResourceKind& kind,
                                     std::string_view where, std::vector<std::string>& warnings) {
  std::span<const std::string_view> member_keys = kResourceMemberKeys;
  if (!kind.cluster_wide) member_keys = member_keys.first(member_keys.size() - 1);
  return ReadGroupFields(spec, "mode", [&](const json::object& member, const std::string& member_where) {
    WarnAboutUnknownKeys(member, member_keys, std::string(where) + ": " + member_where,
                         "a member", warnings);
    return ReadResourceModule(member, kind);
  });
}

// One resource document; `index` counts documents from 1, for messages about nameless ones.
Result<PolicyDefinition> ReadResource(const json::value& doc, std::string_view file,
                                      std::size_t index, std::vector<std::string>& warnings) {
  std::string where = std::string(file) + ": document " + std::to_string(index);
  if (!doc.is_object()) {
    return Invalid(where + " must be a policy resource, got " + std::string(KindName(doc)));
  }
  const json::object& o = doc.as_object();
  const json::value* api_version = FindSet(o, "apiVersion");
  if (api_version == nullptr || !api_version->is_string() ||
      api_version->as_string() != kPoliciesApiVersion) {
    std::string got = api_version && api_version->is_string()
                          ? "'" + std::string(api_version->as_string()) + "'"
                          : std::string(api_version ? KindName(*api_version) : "none");
    return Invalid(where + ": unsupported apiVersion " + got + ", expected '" +
                   std::string(kPoliciesApiVersion) + "'");
  }
  const json::value* kind_value = FindSet(o, "kind");
  const ResourceKind* kind = nullptr;
  for (const ResourceKind& k : kResourceKinds) {
    if (kind_value && kind_value->is_string() && kind_value->as_string() == k.name) kind = &k;
  }
  if (kind == nullptr) {
    return Invalid(where + ": unsupported kind" +
                   (kind_value && kind_value->is_string()
                        ? " '" + std::string(kind_value->as_string()) + "'"
                        : std::string()) +
                   ", expected one of: AdmissionPolicy, ClusterAdmissionPolicy, "
                   "AdmissionPolicyGroup, ClusterAdmissionPolicyGroup");
  }
  PolicyDefinition d;
  d.id = "crd-without-name";  // upstream's fallback
  if (const json::value* metadata = FindSet(o, "metadata"); metadata && metadata->is_object()) {
    if (const json::value* name = FindSet(metadata->as_object(), "name")) {
      KW_ASSIGN_OR_RETURN(d.id, GetString(*name, "metadata.name"));
    }
  }
  where = std::string(file) + ": " + std::string(kind->name) + " '" + d.id + "'";
  if (d.id.find('/') != std::string::npos) {
    return Invalid(where + ": policy names must not contain '/'");
  }
  const json::value* spec = FindSet(o, "spec");
  if (spec == nullptr || !spec->is_object()) {
    return Invalid(where + ": field 'spec' must be an object, got " +
                   std::string(spec ? KindName(*spec) : "none"));
  }
  std::vector<std::string_view> known = ResourceSpecKeys(*kind);
  WarnAboutUnknownKeys(spec->as_object(), known, where, std::string("a ") + std::string(kind->name) + "'s spec",
                       warnings);
  if (kind->group) {
    auto group = ReadResourceGroup(spec->as_object(), *kind, where, warnings);
    if (!group) return std::unexpected(group.error().Wrap(where));
    d.entry = std::move(*group);
  } else {
    auto policy = ReadResourcePolicy(spec->as_object(), *kind);
    if (!policy) return std::unexpected(policy.error().Wrap(where));
    d.entry = std::move(*policy);
  }
  return d;
}

}  // namespace

Result<PoliciesConfig> ParsePolicyResources(std::string_view text, std::string_view file_name) {
  std::string file(file_name);
  KW_ASSIGN_OR_RETURN(std::vector<json::value> docs, ParseYamlDocumentsAsJson(text, file));
  PoliciesConfig out;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (docs[i].is_null()) continue;
    KW_ASSIGN_OR_RETURN(PolicyDefinition d, ReadResource(docs[i], file, i + 1, out.warnings));
    out.definitions.push_back(std::move(d));
  }
  if (out.definitions.empty()) return Invalid(file + " holds no policy resource");
  return out;
}

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
