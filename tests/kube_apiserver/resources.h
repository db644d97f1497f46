// The resource types the double serves, and the discovery documents that describe them.
//
// Built-in types are fixed at start-up; custom resources come and go with their
// CustomResourceDefinitions (Register/Unregister). A type is identified by (group, version,
// plural); several versions of one CRD share one storage key (group/plural), so an object created
// through one served version is read through another with only `apiVersion` rewritten (no
// conversion, see ASSUMPTIONS in main.cc).
//
// Thread-safety: the registry is guarded by the caller (the store's lock).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "kube_apiserver/api_error.h"

namespace kw::kube_double {

struct ResourceType {
  std::string group;  // "" = core
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  std::vector<std::string> verbs;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  // Subresources discovery lists besides `status` (served or not: only status is served).
  std::vector<std::pair<std::string, std::string>> other_subresources;  // name, kind
  bool has_status = false;      // a status subresource: main-resource writes ignore `.status`
  bool has_generation = false;  // metadata.generation is kept
  bool custom = false;          // served from a CRD: list items carry apiVersion and kind
  bool returns_deleted_object = false;  // DELETE answers the object rather than a Status
  std::vector<std::string> field_selectors;  // besides metadata.name/namespace
  // A CRD version's openAPIV3Schema (null: none; custom resources only).
  std::shared_ptr<const json::value> schema;

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string StorageKey() const { return group + "/" + plural; }
  ResourceName Name() const { return {plural, group}; }
  bool Allows(std::string_view verb) const;
  std::vector<std::string> SupportedFieldSelectors() const;
};

class ResourceRegistry {
 public:
  ResourceRegistry();  // with the built-in types

  // The type served at group/version/plural, or nullptr.
  const ResourceType* Find(std::string_view group, std::string_view version,
                           std::string_view plural) const;
  // Whether group/version is served at all (for 404s on discovery and unknown paths).
  bool Serves(std::string_view group, std::string_view version) const;
  // The type of an object by apiVersion and kind (for seeds), or nullptr.
  const ResourceType* FindByKind(std::string_view api_version, std::string_view kind) const;
  // The versions of the type stored under `storage_key`.
  std::vector<const ResourceType*> Versions(std::string_view storage_key) const;
  // The storage keys of every namespaced type (each once).
  std::vector<std::string> NamespacedStorageKeys() const;

  // Registers the served versions of a CRD (its JSON), replacing what it registered before.
  // Fails with an ApiError (422) when the CRD lacks what registration needs.
  ApiResult<void> RegisterCrd(const json::object& crd);
  void UnregisterCrd(std::string_view crd_name);

  json::object ApiVersions() const;                     // /api
  json::object GroupList() const;                       // /apis
  std::optional<json::object> Group(std::string_view group) const;  // /apis/<group>
  // The aggregated discovery document (APIGroupDiscoveryList of apidiscovery.k8s.io/<version>,
  // "v2" or "v2beta1") of /api (`core`) or /apis.
  json::object AggregatedDiscovery(bool core, std::string_view version) const;
  // /api/v1 or /apis/<group>/<version>; nullopt when not served.
  std::optional<json::object> ResourceList(std::string_view group,
                                           std::string_view version) const;

 private:
  void Add(ResourceType type);

  std::vector<std::shared_ptr<ResourceType>> types_;
  std::map<std::string, std::vector<std::shared_ptr<ResourceType>>, std::less<>> by_crd_;
  std::vector<std::string> group_order_;  // the order groups were first registered in
};

}  // namespace kw::kube_double
