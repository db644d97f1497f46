// Which policies audit which resources (spec/tooling.md §8.2): for the cluster-wide scan, every
// ClusterAdmissionPolicy and ClusterAdmissionPolicyGroup; for a namespace, those whose
// namespaceSelector selects it plus the namespace's own AdmissionPolicies and groups. Each
// policy is audited, skipped, or errored, as upstream's scanner decides:
//   - skipped: backgroundAudit false; not active; no rule left once rules with `*` in apiGroups,
//     apiVersions or resources and rules without CREATE are dropped;
//   - errored: a group/version/resource the API server does not serve;
//   - audited: for each resource type of its rules in the scope being scanned (namespaced types
//     in a namespace scan, cluster-scoped ones in the cluster scan); a policy with no type in
//     the scope is left out (neither skipped nor counted).
// Pure: the API server's answers (discovery, the namespace's labels) come in as arguments.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "crd/types.h"
#include "kube/discovery.h"

namespace kw::audit {

struct Scope {
  // The namespace scanned, with its labels; empty for the cluster-wide scan.
  std::string ns;
  json::value namespace_labels;
  bool cluster() const { return ns.empty(); }
};

// The served type of (group, version, plural resource), nullopt when there is none.
using ResourceLookup = std::function<std::optional<kube::ResourceType>(
    std::string_view group, std::string_view version, std::string_view resource)>;

struct SelectedPolicy {
  enum class Outcome { kAudit, kSkipped, kErrored };
  const crd::Policy* policy = nullptr;
  Outcome outcome = Outcome::kAudit;
  std::string reason;                       // why skipped or errored
  std::vector<kube::ResourceType> targets;  // kAudit: the types to list, in rule order, unique
};

// What keeps a policy out of a background audit. A preview (audit-scanner --policy) audits the
// one policy it names whatever its state: it exists to try a policy before it is enforced.
struct SelectionRules {
  bool only_active = true;            // policyStatus must be `active`
  bool only_background_audit = true;  // backgroundAudit must be true
};

std::vector<SelectedPolicy> SelectPolicies(const std::vector<crd::Policy>& policies,
                                           const Scope& scope, const ResourceLookup& lookup,
                                           SelectionRules rules = {});

}  // namespace kw::audit
