// The one policy model: what a policy or a policy group is, as policy-server's policies.yml and
// the Kubewarden policy resources that `kwctl run` reads both describe it. Every binary builds its
// evaluation environment (loader/environment_builder.h) from these definitions.
//
// policies.yml: the policy-server's list of policies and policy groups (policy-server.md §2.2).
//
// The file (YAML or JSON; the controller writes JSON) maps each policy id to either an
// individual policy or a policy group. Upstream tries the policy shape first, then the group
// shape; we decide by the keys instead (`expression`/`policies` make a group), which gives
// errors about the shape the user meant. Unknown keys are ignored on policies and groups (the
// controller adds `namespacedName`) and refused on group members, as upstream does; an ignored
// key other than `namespacedName` is most likely a typo (`policyMod:`, `setings:`), so it comes
// back as a warning, as does a file without any policy.
//
// Every error names the file, the policy id and the field:
//   "policies.yml: policy 'psp': field 'policyMode': unknown value 'audit', expected one of:
//    protect, monitor"
//
// Policy resources (tooling.md §1.6 step 1, §5): a multi-document YAML file of
// (Cluster)AdmissionPolicy(Group) objects of apiVersion policies.kubewarden.io/v1, as `kubectl`
// would apply them. What affects evaluation is read: `module`, `settings`, `mode`, `mutating`,
// `message`, `timeoutEvalSeconds`, the cluster-wide kinds' `contextAwareResources` (namespaced
// policies get no context access), and a group's `expression`, `message` and `policies`. The id is
// `metadata.name`. The other fields of the CRDs (rules, selectors, ...) matter to the controller,
// not to an evaluation, and are skipped silently; a field the CRD does not have is most likely a
// typo and comes back as a warning.
//
// Parsing is pure and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "policy/metadata.h"

namespace kw::policy {

enum class PolicyMode { kProtect, kMonitor };

// What a policy and a group member have in common.
struct PolicyModuleConfig {
  std::string module;                        // the URI as written
  json::value settings = json::object();     // null/absent = {}
  std::vector<ContextAwareResource> context_aware_resources;
  std::optional<std::uint64_t> timeout_eval_seconds;
  std::vector<std::string> host_capabilities;  // absent = [] = deny all (upstream ≥ 1.35)

  bool operator==(const PolicyModuleConfig&) const = default;
};

struct PolicyEntry {
  PolicyModuleConfig module;
  PolicyMode mode = PolicyMode::kProtect;
  bool allowed_to_mutate = false;
  std::optional<std::string> message;

  bool operator==(const PolicyEntry&) const = default;
};

struct GroupEntry {
  PolicyMode mode = PolicyMode::kProtect;
  std::string expression;
  std::string message;
  std::map<std::string, PolicyModuleConfig> members;  // by member name

  bool operator==(const GroupEntry&) const = default;
};

struct PolicyDefinition {
  std::string id;
  std::variant<PolicyEntry, GroupEntry> entry;

  // The modules it runs: the policy's, or the group members' in name order.
  std::vector<const PolicyModuleConfig*> Modules() const {
    if (const auto* policy = std::get_if<PolicyEntry>(&entry)) return {&policy->module};
    std::vector<const PolicyModuleConfig*> modules;
    for (const auto& [name, member] : std::get<GroupEntry>(entry).members) modules.push_back(&member);
    return modules;
  }

  bool operator==(const PolicyDefinition&) const = default;
};

struct PoliciesConfig {
  std::vector<PolicyDefinition> definitions;  // in the order of the file
  // What the server's operator should hear about without it stopping the server, each naming
  // the file: "policies.yml: policy 'psp': unknown field 'policyMod' is ignored (a policy takes
  // module, policyMode, ...)", "policies.yml defines no policies".
  std::vector<std::string> warnings;
};

// Parses `text` (YAML or JSON). `file_name` prefixes every error and warning. Ids and member
// names must not contain '/'.
Result<PoliciesConfig> ParsePoliciesConfig(std::string_view text, std::string_view file_name);

inline constexpr std::string_view kPoliciesApiVersion = "policies.kubewarden.io/v1";

// Parses the policy resources of `text` (one or more YAML documents; empty documents are
// skipped). Errors name the file and the resource: "policies.yaml: ClusterAdmissionPolicy 'psp':
// field 'mode': unknown value 'audit', expected one of: protect, monitor". A file without any
// resource is an error (kwctl has nothing to run).
Result<PoliciesConfig> ParsePolicyResources(std::string_view text, std::string_view file_name);

}  // namespace kw::policy
