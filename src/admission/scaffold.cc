#include "admission/scaffold.h"

#include <array>

#include "base/strings.h"

namespace kw::admission {
namespace {

struct KnownResource {
  std::string_view group;
  std::string_view kind;
  std::string_view plural;
  bool namespaced;
};

constexpr std::array kKnownResources = {
    // core
    KnownResource{"", "Binding", "bindings", true},
    KnownResource{"", "ComponentStatus", "componentstatuses", false},
    KnownResource{"", "ConfigMap", "configmaps", true},
    KnownResource{"", "Endpoints", "endpoints", true},
    KnownResource{"", "Event", "events", true},
    KnownResource{"", "LimitRange", "limitranges", true},
    KnownResource{"", "Namespace", "namespaces", false},
    KnownResource{"", "Node", "nodes", false},
    KnownResource{"", "PersistentVolume", "persistentvolumes", false},
    KnownResource{"", "PersistentVolumeClaim", "persistentvolumeclaims", true},
    KnownResource{"", "Pod", "pods", true},
    KnownResource{"", "PodTemplate", "podtemplates", true},
    KnownResource{"", "ReplicationController", "replicationcontrollers", true},
    KnownResource{"", "ResourceQuota", "resourcequotas", true},
    KnownResource{"", "Secret", "secrets", true},
    KnownResource{"", "Service", "services", true},
    KnownResource{"", "ServiceAccount", "serviceaccounts", true},
    // apps
    KnownResource{"apps", "ControllerRevision", "controllerrevisions", true},
    KnownResource{"apps", "DaemonSet", "daemonsets", true},
    KnownResource{"apps", "Deployment", "deployments", true},
    KnownResource{"apps", "ReplicaSet", "replicasets", true},
    KnownResource{"apps", "StatefulSet", "statefulsets", true},
    // batch
    KnownResource{"batch", "CronJob", "cronjobs", true},
    KnownResource{"batch", "Job", "jobs", true},
    // autoscaling
    KnownResource{"autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true},
    // networking
    KnownResource{"networking.k8s.io", "Ingress", "ingresses", true},
    KnownResource{"networking.k8s.io", "IngressClass", "ingressclasses", false},
    KnownResource{"networking.k8s.io", "NetworkPolicy", "networkpolicies", true},
    KnownResource{"discovery.k8s.io", "EndpointSlice", "endpointslices", true},
    // policy
    KnownResource{"policy", "PodDisruptionBudget", "poddisruptionbudgets", true},
    // rbac
    KnownResource{"rbac.authorization.k8s.io", "ClusterRole", "clusterroles", false},
    KnownResource{"rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", false},
    KnownResource{"rbac.authorization.k8s.io", "Role", "roles", true},
    KnownResource{"rbac.authorization.k8s.io", "RoleBinding", "rolebindings", true},
    // storage, scheduling, coordination, certificates
    KnownResource{"storage.k8s.io", "CSIDriver", "csidrivers", false},
    KnownResource{"storage.k8s.io", "StorageClass", "storageclasses", false},
    KnownResource{"storage.k8s.io", "VolumeAttachment", "volumeattachments", false},
    KnownResource{"scheduling.k8s.io", "PriorityClass", "priorityclasses", false},
    KnownResource{"coordination.k8s.io", "Lease", "leases", true},
    KnownResource{"certificates.k8s.io", "CertificateSigningRequest", "certificatesigningrequests",
                  false},
    // admission and API extension
    KnownResource{"admissionregistration.k8s.io", "MutatingWebhookConfiguration",
                  "mutatingwebhookconfigurations", false},
    KnownResource{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration",
                  "validatingwebhookconfigurations", false},
    KnownResource{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy",
                  "validatingadmissionpolicies", false},
    KnownResource{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding",
                  "validatingadmissionpolicybindings", false},
    KnownResource{"apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions",
                  false},
    // Kubewarden
    KnownResource{"policies.kubewarden.io", "AdmissionPolicy", "admissionpolicies", true},
    KnownResource{"policies.kubewarden.io", "AdmissionPolicyGroup", "admissionpolicygroups", true},
    KnownResource{"policies.kubewarden.io", "ClusterAdmissionPolicy", "clusteradmissionpolicies",
                  false},
    KnownResource{"policies.kubewarden.io", "ClusterAdmissionPolicyGroup",
                  "clusteradmissionpolicygroups", false},
    KnownResource{"policies.kubewarden.io", "PolicyServer", "policyservers", false},
};

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

std::string EnglishPlural(std::string_view kind) {
  std::string lower = AsciiLower(kind);
  if (lower.empty()) return lower;
  const char last = lower.back();
  if (last == 's' || last == 'x' || last == 'z' || lower.ends_with("ch") || lower.ends_with("sh")) {
    return lower + "es";
  }
  if (last == 'y' && lower.size() > 1 && !IsVowel(lower[lower.size() - 2])) {
    lower.pop_back();
    return lower + "ies";
  }
  return lower + "s";
}

std::unexpected<Error> BadObject(std::string message) {
  return Fail(ErrorKind::kInvalidArgument, "invalid object: " + std::move(message));
}

}  // namespace

ResourceInfo LookupResource(std::string_view group, std::string_view kind) {
  const KnownResource* any_group = nullptr;
  for (const KnownResource& r : kKnownResources) {
    if (r.kind != kind) continue;
    if (r.group == group) return {std::string(r.plural), r.namespaced};
    if (any_group == nullptr) any_group = &r;
  }
  if (any_group != nullptr) return {std::string(any_group->plural), any_group->namespaced};
  return {EnglishPlural(kind), true};
}

Result<json::value> ScaffoldAdmissionRequest(std::string_view operation, const json::value& object,
                                             const json::value* old_object) {
  if (operation == "UPDATE" || operation == "DELETE" || operation == "CONNECT") {
    return Fail(ErrorKind::kUnimplemented,
                "operation " + std::string(operation) +
                    " is not supported yet: only CREATE admission requests can be scaffolded");
  }
  if (operation != "CREATE") {
    return Fail(ErrorKind::kInvalidArgument,
                "unknown operation `" + std::string(operation) +
                    "`: expected one of CREATE, UPDATE, DELETE, CONNECT");
  }
  if (old_object != nullptr && !old_object->is_null()) {
    return Fail(ErrorKind::kInvalidArgument, "a CREATE request cannot have an old object");
  }
  if (!object.is_object()) return BadObject("expected a JSON object");
  const json::value* api_version = FindKey(object, "apiVersion");
  if (api_version == nullptr || !api_version->is_string()) {
    return BadObject("missing or non-string `apiVersion`");
  }
  const json::value* kind = FindKey(object, "kind");
  if (kind == nullptr || !kind->is_string() || kind->get_string().empty()) {
    return BadObject("missing, empty or non-string `kind`");
  }
  const std::string_view gv = api_version->get_string();
  std::string_view group;
  std::string_view version = gv;
  if (const std::size_t slash = gv.find('/'); slash != std::string_view::npos) {
    group = gv.substr(0, slash);
    version = gv.substr(slash + 1);
  }
  if (version.empty() || version.find('/') != std::string_view::npos) {
    return BadObject("malformed `apiVersion` \"" + std::string(gv) + "\"");
  }
  const std::string_view kind_name = kind->get_string();
  const ResourceInfo resource = LookupResource(group, kind_name);

  const json::object gvk = {{"group", group}, {"version", version}, {"kind", kind_name}};
  const json::object gvr = {{"group", group}, {"version", version}, {"resource", resource.plural}};
  json::object request;
  request.reserve(10);
  request.emplace("uid", kScaffoldUid);
  request.emplace("kind", gvk);
  request.emplace("resource", gvr);
  request.emplace("requestKind", gvk);
  request.emplace("requestResource", gvr);
  if (resource.namespaced) {
    const json::value* ns = nullptr;
    if (const json::value* metadata = FindKey(object, "metadata"))
      ns = FindKey(*metadata, "namespace");
    if (ns != nullptr && ns->is_string() && !ns->get_string().empty()) {
      request.emplace("namespace", ns->get_string());
    } else {
      request.emplace("namespace", "default");
    }
  }
  request.emplace("operation", "CREATE");
  // k8s-openapi's UserInfo key order: alphabetical.
  request.emplace("userInfo", json::object{{"groups", json::array{"system:masters"}},
                                           {"username", "test-user"}});
  request.emplace("object", object);
  return json::value(std::move(request));
}

}  // namespace kw::admission
