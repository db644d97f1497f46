// The `kubernetes` host capabilities (policy-server.md §4.c.2): list_resources_by_namespace,
// list_resources_all, get_resource and can_i.
//
// Lists are served from reflectors (kube/reflector.h): one watch per (resource, selectors, field
// masks) shared by every policy and worker, started on the first call that needs it, which waits
// for the first list (up to the guest call's deadline). A list answer is assembled from the stored
// JSON text without parsing it again. get_resource asks the API server, its answers cached for
// 5 s unless `disable_cache`; can_i posts a SubjectAccessReview, cached the same way. Caches are
// bounded in entries: a policy asking for 100,000 distinct names cannot grow them without limit.
//
// Access: list_* and get_resource need the exact (api_version, kind) in the policy's
// contextAwareResources (HostCapabilities::AllowsKubernetesResource), else upstream's "has not
// been granted access to Kubernetes <apiVersion>/<kind> resources" error; can_i only needs the
// capability itself. Without a cluster every call answers kube::kNoClientMessage.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "host/host.h"
#include "kube/client.h"
#include "kube/reflector.h"

namespace kw::capabilities {

struct KubernetesOptions {
  std::chrono::milliseconds get_resource_ttl{5000};
  std::chrono::milliseconds can_i_ttl{5000};
  std::size_t max_cached_answers = 1024;  // per cache
  // How long a call without a guest deadline may wait (for a first list, for the API server).
  std::chrono::milliseconds default_wait{10000};
  std::size_t max_reflectors = 256;
};

// The cluster the capabilities read, shared by the provider and by the Rego context builders.
class Cluster {
 public:
  // nullptr client: no cluster configured.
  explicit Cluster(std::shared_ptr<const kube::Client> client, KubernetesOptions options = {});
  ~Cluster();

  bool connected() const { return client_ != nullptr; }
  const KubernetesOptions& options() const { return options_; }

  // The reflector serving a list; kNoClientMessage without a cluster.
  Result<std::shared_ptr<const kube::Reflector>> Reflector(
      kube::ReflectorKey key, std::chrono::steady_clock::time_point deadline);
  // The reflector serving a list of namespace `ns`: the cluster-wide one of `key`, shared by
  // every namespace, unless the API server refuses this process a cluster-wide list (403);
  // then one of `ns` alone, as upstream always lists, so that an account granted only some
  // namespaces gets what upstream gives it. A refusal is remembered for five minutes.
  Result<std::shared_ptr<const kube::Reflector>> NamespaceReflector(
      kube::ReflectorKey key, std::string ns, std::chrono::steady_clock::time_point deadline);
  Result<kube::ResourceType> Discover(std::string_view api_version, std::string_view kind);
  const std::shared_ptr<const kube::Client>& shared_client() const { return client_; }

  struct Caches;
  Caches& caches() { return *caches_; }

 private:
  const std::shared_ptr<const kube::Client> client_;
  const KubernetesOptions options_;
  std::shared_ptr<kube::Discovery> discovery_;
  std::unique_ptr<kube::ReflectorCache> reflectors_;
  std::unique_ptr<Caches> caches_;
  std::mutex refused_mutex_;
  // Cluster-wide keys the API server refused to list, and when.
  std::map<kube::ReflectorKey, std::chrono::steady_clock::time_point> refused_cluster_wide_;
};

// Registers the `kubernetes` namespace, reading `cluster`. It does not check the policy's
// contextAwareResources: GateKubernetesResources does, around whatever provider answers (the real
// one, a recording of it, or a replayed session).
void RegisterKubernetes(host::Dispatcher& dispatcher, std::shared_ptr<Cluster> cluster);

// `inner` behind the contextAwareResources check of list_* and get_resource (the payload decoded
// first, so a malformed one is reported as such, as upstream).
host::Provider GateKubernetesResources(host::Provider inner);

// Upstream's access error for a resource outside contextAwareResources.
std::string KubernetesAccessDenied(std::string_view api_version, std::string_view kind);

}  // namespace kw::capabilities
