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
};

struct PolicyEntry {
  PolicyModuleConfig module;
  PolicyMode mode = PolicyMode::kProtect;
  bool allowed_to_mutate = false;
  std::optional<std::string> message;
};

struct GroupEntry {
  PolicyMode mode = PolicyMode::kProtect;
  std::string expression;
  std::string message;
  std::map<std::string, PolicyModuleConfig> members;  // by member name
};

struct PolicyDefinition {
  std::string id;
  std::variant<PolicyEntry, GroupEntry> entry;
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

}  // namespace kw::policy
