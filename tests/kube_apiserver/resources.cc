#include "kube_apiserver/resources.h"

#include <algorithm>

#include "base/strings.h"

namespace kw::kube_double {
namespace {

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};

struct Spec {
  std::string group, version, plural, singular, kind;
  bool namespaced;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status;
  bool generation;
  std::vector<std::pair<std::string, std::string>> others = {};
  std::vector<std::string> field_selectors = {};
  std::vector<std::string> verbs = kAllVerbs;
  bool returns_deleted = false;
};

std::vector<Spec> BuiltIns() {
  const std::vector<std::string> all = {"all"};
  const std::vector<std::string> ext = {"api-extensions"};
  return {
      {"", "v1", "pods", "pod", "Pod", true, {"po"}, all, true, false,
       {{"attach", "PodAttachOptions"}, {"binding", "Binding"}, {"ephemeralcontainers", "Pod"},
        {"eviction", "Eviction"}, {"exec", "PodExecOptions"}, {"log", "Pod"},
        {"portforward", "PodPortForwardOptions"}, {"proxy", "PodProxyOptions"}},
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
        "status.nominatedNodeName"},
       kAllVerbs, true},
      {"", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, {}, true, false,
       {{"finalize", "Namespace"}}, {"status.phase"},
       {"create", "delete", "get", "list", "patch", "update", "watch"}, true},
      {"", "v1", "services", "service", "Service", true, {"svc"}, all, true, false,
       {{"proxy", "ServiceProxyOptions"}}, {"spec.clusterIP", "spec.type"}, kAllVerbs, true},
      {"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"}, {}, false,
       false, {{"token", "TokenRequest"}}},
      {"", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, {}, false, false},
      {"", "v1", "secrets", "secret", "Secret", true, {}, {}, false, false, {}, {"type"}},
      {"", "v1", "nodes", "node", "Node", false, {"no"}, {}, true, false,
       {{"proxy", "NodeProxyOptions"}}, {"spec.unschedulable"}},
      {"", "v1", "events", "event", "Event", true, {"ev"}, {}, false, false, {},
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "type"}},
      {"", "v1", "endpoints", "endpoints", "Endpoints", true, {"ep"}, {}, false, false},
      {"", "v1", "replicationcontrollers", "replicationcontroller", "ReplicationController", true,
       {"rc"}, all, true, true, {{"scale", "Scale"}}},
      {"", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true,
       {"pvc"}, {}, true, false},
      {"apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"}, all, true, true,
       {{"scale", "Scale"}}},
      {"apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, {"rs"}, all, true, true,
       {{"scale", "Scale"}}, {"status.replicas"}},
      {"apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, {"ds"}, all, true, true},
      {"apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, {"sts"}, all, true, true,
       {{"scale", "Scale"}}},
      {"authorization.k8s.io", "v1", "subjectaccessreviews", "subjectaccessreview",
       "SubjectAccessReview", false, {}, {}, false, false, {}, {}, {"create"}},
      {"batch", "v1", "jobs", "job", "Job", true, {}, all, true, true, {}, {"status.successful"}},
      {"batch", "v1", "cronjobs", "cronjob", "CronJob", true, {"cj"}, all, true, true},
      {"networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, {"ing"}, {}, true,
       true},
      {"networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true,
       {"netpol"}, {}, false, true},
      {"policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true,
       {"pdb"}, {}, true, true},
      {"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding",
       "ClusterRoleBinding", false, {}, {}, false, false},
      {"rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, {},
       {}, false, false},
      {"rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, {},
       {}, false, false},
      {"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, {}, {}, false, false},
      {"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
       "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", false, {}, ext, false,
       true},
      {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
       "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", false, {}, ext, false,
       true},
      {"apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
       "CustomResourceDefinition", false, {"crd", "crds"}, ext, true, true, {}, {}, kAllVerbs,
       true},
      {"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {}, {}, false, false},
  };
}

json::array Strings(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

json::object GroupVersion(std::string_view group, std::string_view version) {
  json::object gv;
  gv["groupVersion"] = std::string(group) + "/" + std::string(version);
  gv["version"] = version;
  return gv;
}

// Where a subresource's kind lives when not in the parent's group (as discovery says it).
std::optional<std::pair<std::string, std::string>> SubresourceGroupVersion(std::string_view name) {
  if (name == "eviction") return std::pair<std::string, std::string>{"policy", "v1"};
  if (name == "scale") return std::pair<std::string, std::string>{"autoscaling", "v1"};
  if (name == "token") return std::pair<std::string, std::string>{"authentication.k8s.io", "v1"};
  return std::nullopt;
}

std::string Text(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::vector<std::string> TextList(const json::object& object, std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = object.if_contains(key);
  if (!v || !v->is_array()) return out;
  for (const auto& item : v->get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

}  // namespace

bool ResourceType::Allows(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

std::vector<std::string> ResourceType::SupportedFieldSelectors() const {
  std::vector<std::string> out = {"metadata.name", "metadata.namespace"};
  out.insert(out.end(), field_selectors.begin(), field_selectors.end());
  return out;
}

ResourceRegistry::ResourceRegistry() {
  for (auto& spec : BuiltIns()) {
    ResourceType t;
    t.group = spec.group;
    t.version = spec.version;
    t.plural = spec.plural;
    t.singular = spec.singular;
    t.kind = spec.kind;
    t.list_kind = spec.kind + "List";
    t.namespaced = spec.namespaced;
    t.verbs = spec.verbs;
    t.short_names = spec.short_names;
    t.categories = spec.categories;
    t.other_subresources = spec.others;
    t.has_status = spec.status;
    t.has_generation = spec.generation;
    t.field_selectors = spec.field_selectors;
    t.returns_deleted_object = spec.returns_deleted;
    Add(std::move(t));
  }
}

void ResourceRegistry::Add(ResourceType type) {
  if (std::find(group_order_.begin(), group_order_.end(), type.group) == group_order_.end()) {
    group_order_.push_back(type.group);
  }
  types_.push_back(std::make_shared<ResourceType>(std::move(type)));
}

const ResourceType* ResourceRegistry::Find(std::string_view group, std::string_view version,
                                           std::string_view plural) const {
  for (const auto& t : types_) {
    if (t->group == group && t->version == version && t->plural == plural) return t.get();
  }
  return nullptr;
}

bool ResourceRegistry::Serves(std::string_view group, std::string_view version) const {
  return std::any_of(types_.begin(), types_.end(), [&](const auto& t) {
    return t->group == group && t->version == version;
  });
}

const ResourceType* ResourceRegistry::FindByKind(std::string_view api_version,
                                                 std::string_view kind) const {
  for (const auto& t : types_) {
    if (t->kind == kind && t->ApiVersion() == api_version) return t.get();
  }
  return nullptr;
}

std::vector<const ResourceType*> ResourceRegistry::Versions(std::string_view storage_key) const {
  std::vector<const ResourceType*> out;
  for (const auto& t : types_) {
    if (t->StorageKey() == storage_key) out.push_back(t.get());
  }
  return out;
}

std::vector<std::string> ResourceRegistry::NamespacedStorageKeys() const {
  std::vector<std::string> out;
  for (const auto& t : types_) {
    if (t->namespaced && std::find(out.begin(), out.end(), t->StorageKey()) == out.end()) {
      out.push_back(t->StorageKey());
    }
  }
  return out;
}

ApiResult<void> ResourceRegistry::RegisterCrd(const json::object& crd) {
  const json::value* spec_value = crd.if_contains("spec");
  const json::object* metadata = crd.if_contains("metadata") ? crd.at("metadata").if_object()
                                                             : nullptr;
  std::string name = metadata ? Text(*metadata, "name") : "";
  auto invalid = [&](std::string_view field, std::string_view detail) {
    return Reject(Invalid("apiextensions.k8s.io", "CustomResourceDefinition", name, field,
                          "FieldValueRequired", detail));
  };
  if (!spec_value || !spec_value->is_object()) return invalid("spec", "Required value");
  const json::object& spec = spec_value->get_object();
  const json::object* names = spec.if_contains("names") ? spec.at("names").if_object() : nullptr;
  std::string group = Text(spec, "group");
  if (group.empty()) return invalid("spec.group", "Required value");
  if (!names || Text(*names, "plural").empty()) return invalid("spec.names.plural", "Required value");
  if (Text(*names, "kind").empty()) return invalid("spec.names.kind", "Required value");
  if (name != Text(*names, "plural") + "." + group) {
    return Reject(Invalid("apiextensions.k8s.io", "CustomResourceDefinition", name,
                          "metadata.name", "FieldValueInvalid",
                          "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group"));
  }
  const json::value* versions = spec.if_contains("versions");
  if (!versions || !versions->is_array() || versions->get_array().empty()) {
    return invalid("spec.versions", "Required value: must have exactly one version marked as storage version");
  }
  UnregisterCrd(name);
  for (const auto& v : versions->get_array()) {
    if (!v.is_object()) continue;
    const json::object& version = v.get_object();
    const json::value* served = version.if_contains("served");
    if (served && served->is_bool() && !served->get_bool()) continue;
    ResourceType t;
    t.group = group;
    t.version = Text(version, "name");
    t.plural = Text(*names, "plural");
    t.singular = Text(*names, "singular");
    if (t.singular.empty()) t.singular = AsciiLower(Text(*names, "kind"));
    t.kind = Text(*names, "kind");
    t.list_kind = Text(*names, "listKind");
    if (t.list_kind.empty()) t.list_kind = t.kind + "List";
    t.namespaced = Text(spec, "scope") != "Cluster";
    t.verbs = kAllVerbs;
    t.short_names = TextList(*names, "shortNames");
    t.categories = TextList(*names, "categories");
    const json::value* subresources = version.if_contains("subresources");
    t.has_status = subresources && subresources->is_object() &&
                   subresources->get_object().contains("status");
    if (subresources && subresources->is_object() && subresources->get_object().contains("scale")) {
      t.other_subresources.push_back({"scale", "Scale"});
    }
    t.has_generation = true;
    t.custom = true;
    t.returns_deleted_object = true;
    if (const json::value* fields = version.if_contains("selectableFields");
        fields && fields->is_array()) {
      for (const auto& f : fields->get_array()) {
        if (f.is_object() && f.get_object().contains("jsonPath")) {
          std::string path = Text(f.get_object(), "jsonPath");
          if (!path.empty() && path.front() == '.') path.erase(0, 1);
          t.field_selectors.push_back(path);
        }
      }
    }
    if (const json::value* schema = version.if_contains("schema"); schema && schema->is_object()) {
      if (const json::value* openapi = schema->get_object().if_contains("openAPIV3Schema")) {
        t.schema = std::make_shared<const json::value>(*openapi);
      }
    }
    if (t.version.empty()) continue;
    auto shared = std::make_shared<ResourceType>(std::move(t));
    by_crd_[name].push_back(shared);
    if (std::find(group_order_.begin(), group_order_.end(), group) == group_order_.end()) {
      group_order_.push_back(group);
    }
    types_.push_back(std::move(shared));
  }
  return {};
}

void ResourceRegistry::UnregisterCrd(std::string_view crd_name) {
  auto it = by_crd_.find(crd_name);
  if (it == by_crd_.end()) return;
  for (const auto& t : it->second) {
    std::erase(types_, t);
  }
  by_crd_.erase(it);
}

json::object ResourceRegistry::ApiVersions() const {
  json::object out;
  out["kind"] = "APIVersions";
  out["versions"] = json::array{"v1"};
  json::object address;
  address["clientCIDR"] = "0.0.0.0/0";
  address["serverAddress"] = "127.0.0.1:6443";
  out["serverAddressByClientCIDRs"] = json::array{address};
  return out;
}

std::optional<json::object> ResourceRegistry::Group(std::string_view group) const {
  json::array versions;
  std::vector<std::string> seen;
  for (const auto& t : types_) {
    if (t->group != group) continue;
    if (std::find(seen.begin(), seen.end(), t->version) != seen.end()) continue;
    seen.push_back(t->version);
    versions.push_back(GroupVersion(group, t->version));
  }
  if (versions.empty()) return std::nullopt;
  // The preferred version of a CRD group is the highest by Kubernetes version priority; the
  // double takes the first one declared, which is what CRDs usually list first.
  json::object out;
  out["kind"] = "APIGroup";
  out["apiVersion"] = "v1";
  out["name"] = group;
  out["preferredVersion"] = versions.front();
  out["versions"] = std::move(versions);
  return out;
}

json::object ResourceRegistry::GroupList() const {
  json::array groups;
  for (const auto& group : group_order_) {
    if (group.empty()) continue;
    auto g = Group(group);
    if (!g) continue;
    json::object entry;
    entry["name"] = group;
    entry["versions"] = (*g)["versions"];
    entry["preferredVersion"] = (*g)["preferredVersion"];
    groups.push_back(std::move(entry));
  }
  json::object out;
  out["kind"] = "APIGroupList";
  out["apiVersion"] = "v1";
  out["groups"] = std::move(groups);
  return out;
}

namespace {

json::object ResponseKind(std::string_view group, std::string_view version, std::string_view kind) {
  return json::object{{"group", group}, {"version", version}, {"kind", kind}};
}

json::object DiscoveredResource(const ResourceType& t) {
  json::object entry;
  entry["resource"] = t.plural;
  entry["responseKind"] = ResponseKind(t.group, t.version, t.kind);
  entry["scope"] = t.namespaced ? "Namespaced" : "Cluster";
  entry["singularResource"] = t.singular;
  entry["verbs"] = Strings(t.verbs);
  if (!t.short_names.empty()) entry["shortNames"] = Strings(t.short_names);
  if (!t.categories.empty()) entry["categories"] = Strings(t.categories);
  std::vector<std::pair<std::string, std::string>> subresources = t.other_subresources;
  if (t.has_status) subresources.push_back({"status", t.kind});
  std::sort(subresources.begin(), subresources.end());
  json::array subs;
  for (const auto& [name, kind] : subresources) {
    auto gv = SubresourceGroupVersion(name);
    subs.push_back(json::object{
        {"subresource", name},
        {"responseKind", gv ? ResponseKind(gv->first, gv->second, kind)
                            : ResponseKind(t.group, t.version, kind)},
        {"verbs", name == "status" || name == "scale" ? json::array{"get", "patch", "update"}
                  : name == "log"                     ? json::array{"get"}
                                                      : json::array{"create", "get"}}});
  }
  if (!subs.empty()) entry["subresources"] = std::move(subs);
  return entry;
}

}  // namespace

json::object ResourceRegistry::AggregatedDiscovery(bool core, std::string_view version) const {
  json::array items;
  for (const auto& group : group_order_) {
    if (core != group.empty()) continue;
    std::vector<std::string> versions;
    for (const auto& t : types_) {
      if (t->group == group &&
          std::find(versions.begin(), versions.end(), t->version) == versions.end()) {
        versions.push_back(t->version);
      }
    }
    if (versions.empty()) continue;
    json::array version_list;
    for (const auto& v : versions) {
      std::vector<const ResourceType*> types;
      for (const auto& t : types_) {
        if (t->group == group && t->version == v) types.push_back(t.get());
      }
      std::sort(types.begin(), types.end(), [](const ResourceType* a, const ResourceType* b) {
        return a->plural < b->plural;
      });
      json::array resources;
      for (const ResourceType* t : types) resources.push_back(DiscoveredResource(*t));
      version_list.push_back(json::object{
          {"version", v}, {"resources", std::move(resources)}, {"freshness", "Current"}});
    }
    json::object metadata;
    if (!core) metadata["name"] = group;
    metadata["creationTimestamp"] = nullptr;
    items.push_back(json::object{{"metadata", std::move(metadata)},
                                 {"versions", std::move(version_list)}});
  }
  return json::object{{"kind", "APIGroupDiscoveryList"},
                      {"apiVersion", "apidiscovery.k8s.io/" + std::string(version)},
                      {"metadata", json::object()},
                      {"items", std::move(items)}};
}

std::optional<json::object> ResourceRegistry::ResourceList(std::string_view group,
                                                           std::string_view version) const {
  if (!Serves(group, version)) return std::nullopt;
  std::vector<const ResourceType*> types;
  for (const auto& t : types_) {
    if (t->group == group && t->version == version) types.push_back(t.get());
  }
  std::sort(types.begin(), types.end(),
            [](const ResourceType* a, const ResourceType* b) { return a->plural < b->plural; });
  json::array resources;
  for (const ResourceType* t : types) {
    json::object entry;
    entry["name"] = t->plural;
    entry["singularName"] = t->singular;
    entry["namespaced"] = t->namespaced;
    entry["kind"] = t->kind;
    entry["verbs"] = Strings(t->verbs);
    if (!t->short_names.empty()) entry["shortNames"] = Strings(t->short_names);
    if (!t->categories.empty()) entry["categories"] = Strings(t->categories);
    resources.push_back(std::move(entry));
    std::vector<std::pair<std::string, std::string>> subresources = t->other_subresources;
    if (t->has_status) subresources.push_back({"status", t->kind});
    std::sort(subresources.begin(), subresources.end());
    for (const auto& [name, kind] : subresources) {
      json::object sub;
      sub["name"] = t->plural + "/" + name;
      sub["singularName"] = "";
      sub["namespaced"] = t->namespaced;
      if (auto gv = SubresourceGroupVersion(name)) {
        sub["group"] = gv->first;
        sub["version"] = gv->second;
      }
      sub["kind"] = kind;
      sub["verbs"] = name == "status" || name == "scale"
                         ? json::array{"get", "patch", "update"}
                     : name == "log" ? json::array{"get"}
                                     : json::array{"create", "get"};
      resources.push_back(std::move(sub));
    }
  }
  json::object out;
  out["kind"] = "APIResourceList";
  if (!group.empty()) out["apiVersion"] = "v1";
  out["groupVersion"] = group.empty() ? std::string(version)
                                      : std::string(group) + "/" + std::string(version);
  out["resources"] = std::move(resources);
  return out;
}

}  // namespace kw::kube_double
