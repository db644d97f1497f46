#include "audit/selection.h"

#include <algorithm>

#include "kube/label_selector.h"

namespace kw::audit {
namespace {

std::vector<std::string> Strings(const json::value& rule, std::string_view key) {
  std::vector<std::string> out;
  if (const json::value* list = FindKey(rule, key); list != nullptr && list->is_array()) {
    for (const json::value& item : list->get_array()) {
      if (item.is_string()) out.emplace_back(item.get_string());
    }
  }
  return out;
}

bool HasWildcard(const std::vector<std::string>& list) {
  return std::find(list.begin(), list.end(), "*") != list.end();
}

bool InScope(const crd::Policy& policy, const Scope& scope) {
  if (scope.cluster()) return !policy.IsNamespaced();
  if (policy.IsNamespaced()) return policy.meta.ns == scope.ns;
  auto selected = kube::LabelSelectorMatches(&policy.namespace_selector, &scope.namespace_labels);
  return selected && *selected;
}

SelectedPolicy Select(const crd::Policy& policy, const Scope& scope,
                      const ResourceLookup& lookup, const SelectionRules& rules) {
  SelectedPolicy selected{&policy, SelectedPolicy::Outcome::kAudit, {}, {}};
  const auto skip = [&](std::string reason) {
    selected.outcome = SelectedPolicy::Outcome::kSkipped;
    selected.reason = std::move(reason);
    selected.targets.clear();
    return selected;
  };
  if (rules.only_background_audit && !policy.background_audit) {
    return skip("backgroundAudit is false");
  }
  if (rules.only_active && StringAt(policy.status, {"policyStatus"}) != "active") {
    return skip("the policy is not active");
  }
  bool any_rule = false;
  for (const json::value& rule : policy.rules) {
    const std::vector<std::string> groups = Strings(rule, "apiGroups");
    const std::vector<std::string> versions = Strings(rule, "apiVersions");
    const std::vector<std::string> resources = Strings(rule, "resources");
    const std::vector<std::string> operations = Strings(rule, "operations");
    if (HasWildcard(groups) || HasWildcard(versions) || HasWildcard(resources)) continue;
    if (std::find(operations.begin(), operations.end(), "CREATE") == operations.end() &&
        !HasWildcard(operations)) {
      continue;
    }
    any_rule = true;
    for (const std::string& group : groups) {
      for (const std::string& version : versions) {
        for (const std::string& resource : resources) {
          std::optional<kube::ResourceType> type = lookup(group, version, resource);
          if (!type) {
            selected.outcome = SelectedPolicy::Outcome::kErrored;
            selected.reason = "the API server does not serve " +
                              (group.empty() ? version : group + "/" + version) + " " + resource;
            selected.targets.clear();
            return selected;
          }
          if (type->namespaced == scope.cluster()) continue;  // outside this scan
          const bool known = std::any_of(
              selected.targets.begin(), selected.targets.end(),
              [&](const kube::ResourceType& t) {
                return t.group == type->group && t.version == type->version &&
                       t.plural == type->plural;
              });
          if (!known) selected.targets.push_back(std::move(*type));
        }
      }
    }
  }
  if (!any_rule) {
    return skip("no rule can be audited (wildcards, or no CREATE operation)");
  }
  return selected;
}

}  // namespace

std::vector<SelectedPolicy> SelectPolicies(const std::vector<crd::Policy>& policies,
                                           const Scope& scope, const ResourceLookup& lookup,
                                           SelectionRules rules) {
  std::vector<SelectedPolicy> selected;
  for (const crd::Policy& policy : policies) {
    if (!InScope(policy, scope)) continue;
    SelectedPolicy one = Select(policy, scope, lookup, rules);
    // Audited but nothing of its rules lives in this scope: not part of this scan at all.
    if (one.outcome == SelectedPolicy::Outcome::kAudit && one.targets.empty()) continue;
    selected.push_back(std::move(one));
  }
  return selected;
}

}  // namespace kw::audit
