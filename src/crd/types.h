// The Kubewarden custom resources (policies.kubewarden.io, spec/tooling.md §5) as the
// reconcilers read them: PolicyServer, ClusterAdmissionPolicy, AdmissionPolicy and the two
// policy groups, parsed from the JSON the API server hands out.
//
// Parsing is for reconciling, not for admission: the API server already applied the CRD schema
// (and the controller's webhooks their rules), so the parser applies the schema's defaults where
// a field is absent and refuses only what it cannot read (a wrong type), naming the field. Values
// the controller only passes on (settings, rules, selectors, match conditions, Kubernetes types
// of the PolicyServer) stay JSON, exactly as received.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace kw::crd {

inline constexpr std::string_view kGroup = "policies.kubewarden.io";
inline constexpr std::string_view kApiVersion = "policies.kubewarden.io/v1";

// The finalizer the controller's defaulting webhook adds, and the one older versions used.
inline constexpr std::string_view kFinalizer = "kubewarden.io/finalizer";
inline constexpr std::string_view kLegacyFinalizer = "kubewarden";

struct ObjectMeta {
  std::string name;
  std::string ns;  // empty for cluster-scoped objects
  std::string uid;
  std::string resource_version;
  std::int64_t generation = 0;
  bool deleting = false;  // metadata.deletionTimestamp is set
  std::vector<std::string> finalizers;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;

  bool HasFinalizer(std::string_view finalizer) const;
};

Result<ObjectMeta> ParseObjectMeta(const json::value& object);

enum class PolicyKind {
  kClusterAdmissionPolicy,
  kAdmissionPolicy,
  kClusterAdmissionPolicyGroup,
  kAdmissionPolicyGroup,
};

std::string_view KindName(PolicyKind kind);  // "ClusterAdmissionPolicy", ...
std::string_view PluralName(PolicyKind kind);  // "clusteradmissionpolicies", ...
std::optional<PolicyKind> PolicyKindFromName(std::string_view kind);
bool IsNamespaced(PolicyKind kind);  // AdmissionPolicy and AdmissionPolicyGroup
inline constexpr PolicyKind kAllPolicyKinds[] = {
    PolicyKind::kClusterAdmissionPolicy, PolicyKind::kAdmissionPolicy,
    PolicyKind::kClusterAdmissionPolicyGroup, PolicyKind::kAdmissionPolicyGroup};

// One member of a policy group (spec.policies.<name>).
struct GroupMember {
  std::string module;
  json::value settings;                 // null when absent
  json::array context_aware_resources;  // cluster-wide groups only
  std::optional<int> timeout_eval_seconds;
};

// A policy or a policy group: the four kinds share most of their spec.
struct Policy {
  PolicyKind kind = PolicyKind::kClusterAdmissionPolicy;
  ObjectMeta meta;

  std::string policy_server;  // "" when unscheduled
  std::string mode = "protect";
  json::array rules;
  std::string failure_policy;  // "" = unset (Kubernetes' default, Fail)
  std::string match_policy;    // "" = unset
  std::string side_effects;    // "" = unset
  bool background_audit = true;
  json::array match_conditions;
  json::value object_selector;     // null when absent
  json::value namespace_selector;  // cluster-wide kinds only; null when absent
  bool allow_inside_admission_controller_namespace = false;
  int timeout_seconds = 10;
  std::string message;  // a single policy's custom rejection message; a group's message

  // Single policies.
  std::string module;
  json::value settings;  // null when absent
  bool mutating = false;
  json::array context_aware_resources;
  std::optional<int> timeout_eval_seconds;

  // Groups.
  std::string expression;
  std::map<std::string, GroupMember> members;  // sorted by name, as Go marshals a map

  json::value status;  // as read (null when absent)

  bool IsGroup() const;
  bool IsNamespaced() const;
  // The policy's id everywhere (ConfigMap key, webhook configuration name, URL path, reports):
  // clusterwide-<n>, namespaced-<ns>-<n>, clusterwide-group-<n>, namespaced-group-<ns>-<n>.
  std::string UniqueName() const;
};

// `object` must be one of the four kinds (its `kind` says which).
Result<Policy> ParsePolicy(const json::value& object);

struct PolicyServer {
  ObjectMeta meta;

  std::string image;
  int replicas = 1;
  json::value min_available;    // int or string; null when absent
  json::value max_unavailable;  // int or string; null when absent
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> labels;
  json::array env;
  std::string service_account_name;
  std::string image_pull_secret;
  std::vector<std::string> insecure_sources;
  std::map<std::string, std::vector<std::string>> source_authorities;  // host -> PEM certificates
  std::string verification_config;
  std::string sigstore_trust_config;
  json::value container_security_context;  // null when absent
  json::value pod_security_context;        // null when absent
  json::value affinity;                    // null when absent
  json::array tolerations;
  std::string priority_class_name;
  json::object limits;
  json::object requests;
  std::optional<std::vector<std::string>> namespaced_policies_capabilities;
  int webhook_port = 8443;
  int readiness_probe_port = 8081;
  std::optional<int> metrics_port;

  json::value status;  // as read (null when absent)
};

Result<PolicyServer> ParsePolicyServer(const json::value& object);

}  // namespace kw::crd
