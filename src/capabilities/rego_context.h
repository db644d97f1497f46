// The cluster documents of Rego policies (host::RegoContext): `data.kubernetes` for opa mode and
// `data.inventory` for gatekeeper mode, built from the reflectors the kubernetes capabilities
// use (every object of each contextAwareResources kind, no selectors, no masks).
//
// An inventory is assembled from the stored JSON texts without parsing them and kept per
// (resource set, shape) until one of its reflectors changes, so an unchanged cluster costs one
// comparison per evaluation. Without a cluster, asking for one is kube::kNoClientMessage.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "capabilities/kubernetes.h"
#include "host/host.h"

namespace kw::capabilities {

class ClusterRegoContext final : public host::RegoContext {
 public:
  explicit ClusterRegoContext(std::shared_ptr<Cluster> cluster) : cluster_(std::move(cluster)) {}

  Result<std::shared_ptr<const std::string>> Inventory(
      const host::HostCapabilities& capabilities, Shape shape,
      std::optional<std::chrono::steady_clock::time_point> deadline) const override;

 private:
  struct Built {
    std::shared_ptr<const std::string> text;
    std::chrono::steady_clock::time_point at;
  };
  const std::shared_ptr<Cluster> cluster_;
  mutable std::mutex mutex_;
  mutable std::map<std::pair<std::vector<host::HostCapabilities::KubernetesResource>, Shape>, Built>
      built_;
};

}  // namespace kw::capabilities
