// unique-ingress-policy (policies-more.md §11, context-aware): a waPC port of the Gatekeeper
// `uniqueingresshost` Rego policy. A host of the reviewed Ingress conflicts when another
// Ingress of the cluster (any namespace) has a rule with that host.
//
// Rego facts kept: the group check is the regular expression ^(extensions|networking.k8s.io)$
// (its dots match any character); an object without metadata.namespace is never "the same" as
// a listed one; violations are a set (sorted, without duplicates), joined by ", ". The Rego
// inventory becomes a list_resources_all call, and a failed call counts as an empty inventory.
#include <kubewarden/kubewarden.h>

#include "../common/upstream_kubernetes.h"

namespace kw = kubewarden;

namespace {

// re_match("^(extensions|networking.k8s.io)$", group), where '.' is any character.
bool IsIngressGroup(std::string_view group) {
  constexpr std::string_view kNetworking = "networking.k8s.io";
  if (group == "extensions") return true;
  if (group.size() != kNetworking.size()) return false;
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (kNetworking[i] != '.' && kNetworking[i] != group[i]) return false;
  }
  return true;
}

// The string hosts of `ingress`'s spec.rules.
std::vector<std::string_view> Hosts(const kw::json::Value& ingress) {
  std::vector<std::string_view> hosts;
  const kw::json::Value* rules = ingress.GetArray("spec/rules");
  if (rules == nullptr) return hosts;
  for (const kw::json::Value& rule : *rules) {
    if (auto host = rule.GetString("host")) hosts.push_back(*host);
  }
  return hosts;
}

// Rego's identical(obj, review): both namespace and name are defined and equal.
bool SameObject(const kw::json::Value& listed, const kw::json::Value& reviewed) {
  const kw::json::Value* ns = reviewed.Get("metadata/namespace");
  const kw::json::Value* name = reviewed.Get("metadata/name");
  const kw::json::Value* listed_ns = listed.Get("metadata/namespace");
  const kw::json::Value* listed_name = listed.Get("metadata/name");
  if (!ns || !name || !listed_ns || !listed_name) return false;
  return ns->AsString() && name->AsString() && ns->AsString() == listed_ns->AsString() &&
         name->AsString() == listed_name->AsString();
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  kw::GroupVersionKind kind = request.kind();
  const kw::json::Value* object = request.object();
  if (kind.kind != "Ingress" || !IsIngressGroup(kind.group) || object == nullptr) {
    return kw::Accept();
  }
  std::vector<std::string_view> hosts = Hosts(*object);
  if (hosts.empty()) return kw::Accept();

  kw::json::Document doc;
  auto list = upstream::RustListResourcesAll(doc, "networking.k8s.io/v1", "Ingress");
  const kw::json::Value* items = list ? (*list)->GetArray("items") : nullptr;
  if (items == nullptr) return kw::Accept();

  std::vector<std::string_view> conflicts;
  for (const kw::json::Value& other : *items) {
    // The inventory holds namespaced objects by namespace.
    if (!other.GetString("metadata/namespace") || SameObject(other, *object)) continue;
    for (std::string_view host : Hosts(other)) {
      if (std::find(hosts.begin(), hosts.end(), host) != hosts.end()) conflicts.push_back(host);
    }
  }
  if (conflicts.empty()) return kw::Accept();
  kw::SortUnique(conflicts);
  std::string message;
  for (std::string_view host : conflicts) {
    if (!message.empty()) message.append(", ");
    message.append("ingress host conflicts with an existing ingress ").append(host);
  }
  return kw::Reject(message);
}

}  // namespace

KUBEWARDEN_POLICY_NO_SETTINGS(Validate)
