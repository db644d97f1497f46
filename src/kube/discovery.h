// API discovery: which resource an apiVersion + kind names, whether it is namespaced, and what
// can be done with it, from the API server's /api/v1 and /apis/<group>/<version> documents.
//
// Each group/version document is fetched once and kept. A kind it does not list is looked up
// again at most every `refresh_after` (a CRD may have been installed meanwhile), so a policy
// asking about an unknown kind in a loop costs one request per period, not one per call.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "kube/client.h"

namespace kw::kube {

struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::string plural;  // the resource name in paths: "pods"
  bool namespaced = false;
  std::vector<std::string> verbs;

  // "v1" or "<group>/<version>".
  std::string ApiVersion() const;
  // "/api/v1/namespaces/<ns>/pods", or the cluster-wide "/api/v1/pods" when `ns` is empty (and
  // always for cluster-scoped resources).
  std::string CollectionPath(std::string_view ns) const;
  // CollectionPath(ns) + "/<name>" [+ "/<subresource>"], each segment percent-encoded.
  std::string ObjectPath(std::string_view ns, std::string_view name,
                         std::string_view subresource = {}) const;
  bool Supports(std::string_view verb) const;
};

class Discovery {
 public:
  explicit Discovery(std::shared_ptr<const Client> client,
                     std::chrono::milliseconds refresh_after = std::chrono::seconds(10));

  // The resource for `api_version` ("v1", "apps/v1") and `kind`. An unknown one is kNotFound
  // with upstream's message `Cannot find resource <apiVersion>/<kind>`; a failed request keeps
  // its own error. Thread-safe.
  Result<ResourceType> Find(std::string_view api_version, std::string_view kind);
  // The same by the resource's plural name ("pods"), as admission rules name resources.
  Result<ResourceType> FindResource(std::string_view api_version, std::string_view plural);

 private:
  // `name` compared with the resource types' `field` (kind or plural).
  Result<ResourceType> Lookup(std::string_view api_version, std::string_view name,
                              std::string ResourceType::*field);
  struct GroupVersion {
    std::vector<ResourceType> resources;
    std::chrono::steady_clock::time_point fetched;
  };
  Result<std::vector<ResourceType>> Fetch(std::string_view api_version) const;

  const std::shared_ptr<const Client> client_;
  const std::chrono::milliseconds refresh_after_;
  std::mutex mutex_;
  std::map<std::string, GroupVersion, std::less<>> cache_;
};

// Parses an APIResourceList document (the body of /api/v1 or /apis/<group>/<version>) into the
// resources it lists, subresources ("pods/status") left out. kSyntax when it is not one.
Result<std::vector<ResourceType>> ParseApiResourceList(std::string_view api_version,
                                                       std::string_view body);

}  // namespace kw::kube
