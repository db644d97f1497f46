#include "crd/types.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "base/json_fields.h"

namespace kw::crd {
namespace {

using json_fields::FindSet;
using json_fields::WrongType;

// Readers of optional fields: absent and null leave `out` as it is (the schema's default).
Result<void> ReadString(const json::object& object, std::string_view key, std::string_view path,
                        std::string& out) {
  if (const json::value* v = FindSet(object, key)) {
    KW_ASSIGN_OR_RETURN(out, json_fields::GetString(*v, path));
  }
  return {};
}

Result<void> ReadBool(const json::object& object, std::string_view key, std::string_view path,
                      bool& out) {
  if (const json::value* v = FindSet(object, key)) {
    KW_ASSIGN_OR_RETURN(out, json_fields::GetBool(*v, path));
  }
  return {};
}

Result<void> ReadInt(const json::object& object, std::string_view key, std::string_view path,
                     int& out) {
  const json::value* v = FindSet(object, key);
  if (v == nullptr) return {};
  if (v->is_int64() && v->get_int64() >= std::numeric_limits<int>::min() &&
      v->get_int64() <= std::numeric_limits<int>::max()) {
    out = static_cast<int>(v->get_int64());
    return {};
  }
  if (v->is_uint64() && v->get_uint64() <= std::numeric_limits<int>::max()) {
    out = static_cast<int>(v->get_uint64());
    return {};
  }
  return WrongType(path, "a 32-bit integer", *v);
}

Result<void> ReadOptionalInt(const json::object& object, std::string_view key,
                             std::string_view path, std::optional<int>& out) {
  if (FindSet(object, key) == nullptr) return {};
  int value = 0;
  KW_TRY(ReadInt(object, key, path, value));
  out = value;
  return {};
}

Result<void> ReadArray(const json::object& object, std::string_view key, std::string_view path,
                       json::array& out) {
  if (const json::value* v = FindSet(object, key)) {
    if (!v->is_array()) return WrongType(path, "a list", *v);
    out = v->get_array();
  }
  return {};
}

Result<void> ReadObject(const json::object& object, std::string_view key, std::string_view path,
                        json::object& out) {
  if (const json::value* v = FindSet(object, key)) {
    if (!v->is_object()) return WrongType(path, "an object", *v);
    out = v->get_object();
  }
  return {};
}

// Any JSON value (kept as is), null when absent.
void ReadValue(const json::object& object, std::string_view key, json::value& out) {
  if (const json::value* v = FindSet(object, key)) out = *v;
}

Result<void> ReadStringMap(const json::object& object, std::string_view key,
                           std::string_view path, std::map<std::string, std::string>& out) {
  const json::value* v = FindSet(object, key);
  if (v == nullptr) return {};
  if (!v->is_object()) return WrongType(path, "an object of strings", *v);
  for (const auto& [k, value] : v->get_object()) {
    std::string field = std::string(path) + "." + std::string(k);
    KW_ASSIGN_OR_RETURN(out[std::string(k)], json_fields::GetString(value, field));
  }
  return {};
}

Result<void> ReadStringList(const json::object& object, std::string_view key,
                            std::string_view path, std::vector<std::string>& out) {
  if (const json::value* v = FindSet(object, key)) {
    KW_ASSIGN_OR_RETURN(out, json_fields::GetStringList(*v, path));
  }
  return {};
}

Result<const json::object*> Spec(const json::value& object) {
  const json::value* spec = FindKey(object, "spec");
  if (spec == nullptr || spec->is_null()) {
    static const json::object kEmpty;
    return &kEmpty;
  }
  if (!spec->is_object()) return WrongType("spec", "an object", *spec);
  return &spec->get_object();
}

// The fields every policy kind shares (PolicySpec / GroupSpec).
Result<void> ReadCommonSpec(const json::object& spec, Policy& policy) {
  KW_TRY(ReadString(spec, "policyServer", "spec.policyServer", policy.policy_server));
  KW_TRY(ReadString(spec, "mode", "spec.mode", policy.mode));
  KW_TRY(ReadArray(spec, "rules", "spec.rules", policy.rules));
  KW_TRY(ReadString(spec, "failurePolicy", "spec.failurePolicy", policy.failure_policy));
  KW_TRY(ReadString(spec, "matchPolicy", "spec.matchPolicy", policy.match_policy));
  KW_TRY(ReadString(spec, "sideEffects", "spec.sideEffects", policy.side_effects));
  KW_TRY(ReadBool(spec, "backgroundAudit", "spec.backgroundAudit", policy.background_audit));
  KW_TRY(ReadArray(spec, "matchConditions", "spec.matchConditions", policy.match_conditions));
  ReadValue(spec, "objectSelector", policy.object_selector);
  KW_TRY(ReadInt(spec, "timeoutSeconds", "spec.timeoutSeconds", policy.timeout_seconds));
  KW_TRY(ReadString(spec, "message", "spec.message", policy.message));
  if (!policy.IsNamespaced()) {
    ReadValue(spec, "namespaceSelector", policy.namespace_selector);
    KW_TRY(ReadBool(spec, "allowInsideAdmissionControllerNamespace",
                    "spec.allowInsideAdmissionControllerNamespace",
                    policy.allow_inside_admission_controller_namespace));
  }
  return {};
}

Result<void> ReadMembers(const json::object& spec, Policy& policy) {
  const json::value* policies = FindSet(spec, "policies");
  if (policies == nullptr) return {};
  if (!policies->is_object()) return WrongType("spec.policies", "an object", *policies);
  for (const auto& [name, value] : policies->get_object()) {
    std::string path = "spec.policies." + std::string(name);
    if (!value.is_object()) return WrongType(path, "an object", value);
    const json::object& member_spec = value.get_object();
    GroupMember member;
    KW_TRY(ReadString(member_spec, "module", path + ".module", member.module));
    ReadValue(member_spec, "settings", member.settings);
    if (!policy.IsNamespaced()) {
      KW_TRY(ReadArray(member_spec, "contextAwareResources", path + ".contextAwareResources",
                       member.context_aware_resources));
    }
    KW_TRY(ReadOptionalInt(member_spec, "timeoutEvalSeconds", path + ".timeoutEvalSeconds",
                           member.timeout_eval_seconds));
    policy.members.emplace(std::string(name), std::move(member));
  }
  return {};
}

struct KindNames {
  PolicyKind kind;
  std::string_view name;
  std::string_view plural;
};
constexpr std::array<KindNames, 4> kKindNames = {{
    {PolicyKind::kClusterAdmissionPolicy, "ClusterAdmissionPolicy", "clusteradmissionpolicies"},
    {PolicyKind::kAdmissionPolicy, "AdmissionPolicy", "admissionpolicies"},
    {PolicyKind::kClusterAdmissionPolicyGroup, "ClusterAdmissionPolicyGroup",
     "clusteradmissionpolicygroups"},
    {PolicyKind::kAdmissionPolicyGroup, "AdmissionPolicyGroup", "admissionpolicygroups"},
}};

const KindNames& NamesOf(PolicyKind kind) {
  return *std::find_if(kKindNames.begin(), kKindNames.end(),
                       [&](const KindNames& names) { return names.kind == kind; });
}

}  // namespace

bool ObjectMeta::HasFinalizer(std::string_view finalizer) const {
  return std::find(finalizers.begin(), finalizers.end(), finalizer) != finalizers.end();
}

Result<ObjectMeta> ParseObjectMeta(const json::value& object) {
  const json::value* metadata = FindKey(object, "metadata");
  if (metadata == nullptr || !metadata->is_object()) {
    return json_fields::Invalid("the object has no metadata");
  }
  const json::object& m = metadata->get_object();
  ObjectMeta meta;
  KW_TRY(ReadString(m, "name", "metadata.name", meta.name));
  if (meta.name.empty()) return json_fields::Invalid("the object has no metadata.name");
  KW_TRY(ReadString(m, "namespace", "metadata.namespace", meta.ns));
  KW_TRY(ReadString(m, "uid", "metadata.uid", meta.uid));
  KW_TRY(ReadString(m, "resourceVersion", "metadata.resourceVersion", meta.resource_version));
  if (const json::value* g = FindSet(m, "generation"); g != nullptr && g->is_int64()) {
    meta.generation = g->get_int64();
  }
  meta.deleting = FindSet(m, "deletionTimestamp") != nullptr;
  KW_TRY(ReadStringList(m, "finalizers", "metadata.finalizers", meta.finalizers));
  KW_TRY(ReadStringMap(m, "labels", "metadata.labels", meta.labels));
  KW_TRY(ReadStringMap(m, "annotations", "metadata.annotations", meta.annotations));
  return meta;
}

std::string_view KindName(PolicyKind kind) { return NamesOf(kind).name; }
std::string_view PluralName(PolicyKind kind) { return NamesOf(kind).plural; }

std::optional<PolicyKind> PolicyKindFromName(std::string_view kind) {
  for (const KindNames& names : kKindNames) {
    if (names.name == kind) return names.kind;
  }
  return std::nullopt;
}

bool Policy::IsGroup() const {
  return kind == PolicyKind::kClusterAdmissionPolicyGroup ||
         kind == PolicyKind::kAdmissionPolicyGroup;
}

bool IsNamespaced(PolicyKind kind) {
  return kind == PolicyKind::kAdmissionPolicy || kind == PolicyKind::kAdmissionPolicyGroup;
}

bool Policy::IsNamespaced() const { return crd::IsNamespaced(kind); }

std::string Policy::UniqueName() const {
  switch (kind) {
    case PolicyKind::kClusterAdmissionPolicy: return "clusterwide-" + meta.name;
    case PolicyKind::kAdmissionPolicy: return "namespaced-" + meta.ns + "-" + meta.name;
    case PolicyKind::kClusterAdmissionPolicyGroup: return "clusterwide-group-" + meta.name;
    case PolicyKind::kAdmissionPolicyGroup:
      return "namespaced-group-" + meta.ns + "-" + meta.name;
  }
  return {};
}

Result<Policy> ParsePolicy(const json::value& object) {
  std::string kind_name = StringAt(object, {"kind"});
  std::optional<PolicyKind> kind = PolicyKindFromName(kind_name);
  if (!kind) return json_fields::Invalid("not a Kubewarden policy kind: '" + kind_name + "'");
  Policy policy;
  policy.kind = *kind;
  KW_ASSIGN_OR_RETURN(policy.meta, ParseObjectMeta(object));
  KW_ASSIGN_OR_RETURN(const json::object* spec, Spec(object));
  KW_TRY(ReadCommonSpec(*spec, policy));
  if (policy.IsGroup()) {
    KW_TRY(ReadString(*spec, "expression", "spec.expression", policy.expression));
    KW_TRY(ReadMembers(*spec, policy));
  } else {
    KW_TRY(ReadString(*spec, "module", "spec.module", policy.module));
    ReadValue(*spec, "settings", policy.settings);
    KW_TRY(ReadBool(*spec, "mutating", "spec.mutating", policy.mutating));
    if (!policy.IsNamespaced()) {
      KW_TRY(ReadArray(*spec, "contextAwareResources", "spec.contextAwareResources",
                       policy.context_aware_resources));
    }
    KW_TRY(ReadOptionalInt(*spec, "timeoutEvalSeconds", "spec.timeoutEvalSeconds",
                           policy.timeout_eval_seconds));
  }
  if (const json::value* status = FindKey(object, "status")) policy.status = *status;
  return policy;
}

Result<PolicyServer> ParsePolicyServer(const json::value& object) {
  if (std::string kind = StringAt(object, {"kind"}); kind != "PolicyServer") {
    return json_fields::Invalid("not a PolicyServer: '" + kind + "'");
  }
  PolicyServer server;
  KW_ASSIGN_OR_RETURN(server.meta, ParseObjectMeta(object));
  KW_ASSIGN_OR_RETURN(const json::object* spec_ptr, Spec(object));
  const json::object& spec = *spec_ptr;
  KW_TRY(ReadString(spec, "image", "spec.image", server.image));
  KW_TRY(ReadInt(spec, "replicas", "spec.replicas", server.replicas));
  ReadValue(spec, "minAvailable", server.min_available);
  ReadValue(spec, "maxUnavailable", server.max_unavailable);
  KW_TRY(ReadStringMap(spec, "annotations", "spec.annotations", server.annotations));
  KW_TRY(ReadStringMap(spec, "labels", "spec.labels", server.labels));
  KW_TRY(ReadArray(spec, "env", "spec.env", server.env));
  KW_TRY(ReadString(spec, "serviceAccountName", "spec.serviceAccountName",
                    server.service_account_name));
  KW_TRY(ReadString(spec, "imagePullSecret", "spec.imagePullSecret", server.image_pull_secret));
  KW_TRY(ReadStringList(spec, "insecureSources", "spec.insecureSources",
                        server.insecure_sources));
  if (const json::value* authorities = FindSet(spec, "sourceAuthorities")) {
    if (!authorities->is_object()) {
      return WrongType("spec.sourceAuthorities", "an object", *authorities);
    }
    for (const auto& [host, certs] : authorities->get_object()) {
      KW_ASSIGN_OR_RETURN(server.source_authorities[std::string(host)],
                          json_fields::GetStringList(
                              certs, "spec.sourceAuthorities." + std::string(host)));
    }
  }
  KW_TRY(ReadString(spec, "verificationConfig", "spec.verificationConfig",
                    server.verification_config));
  KW_TRY(ReadString(spec, "sigstoreTrustConfig", "spec.sigstoreTrustConfig",
                    server.sigstore_trust_config));
  if (const json::value* contexts = FindSet(spec, "securityContexts")) {
    if (!contexts->is_object()) return WrongType("spec.securityContexts", "an object", *contexts);
    ReadValue(contexts->get_object(), "container", server.container_security_context);
    ReadValue(contexts->get_object(), "pod", server.pod_security_context);
  }
  ReadValue(spec, "affinity", server.affinity);
  KW_TRY(ReadArray(spec, "tolerations", "spec.tolerations", server.tolerations));
  KW_TRY(ReadString(spec, "priorityClassName", "spec.priorityClassName",
                    server.priority_class_name));
  KW_TRY(ReadObject(spec, "limits", "spec.limits", server.limits));
  KW_TRY(ReadObject(spec, "requests", "spec.requests", server.requests));
  if (FindSet(spec, "namespacedPoliciesCapabilities") != nullptr) {
    std::vector<std::string> capabilities;
    KW_TRY(ReadStringList(spec, "namespacedPoliciesCapabilities",
                          "spec.namespacedPoliciesCapabilities", capabilities));
    server.namespaced_policies_capabilities = std::move(capabilities);
  }
  KW_TRY(ReadInt(spec, "webhookPort", "spec.webhookPort", server.webhook_port));
  KW_TRY(ReadInt(spec, "readinessProbePort", "spec.readinessProbePort",
                 server.readiness_probe_port));
  KW_TRY(ReadOptionalInt(spec, "metricsPort", "spec.metricsPort", server.metrics_port));
  if (const json::value* status = FindKey(object, "status")) server.status = *status;
  return server;
}

}  // namespace kw::crd
