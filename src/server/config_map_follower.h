// Inside a cluster, policy-server follows its policies through the Kubernetes API rather than
// its ConfigMap volume, and reports on its own Pod which configuration it serves.
//
// A ConfigMap volume reaches the pod only after the kubelet's next sync (a minute or more), and
// upstream rolls out new pods on every policy change instead. Here the ConfigMap named by
// --policies-configmap (KUBEWARDEN_POLICIES_CONFIGMAP, set by the controller) is watched in the
// pod's namespace; each new version's `policies.yml` is built and served like a changed
// policies file (served_policies.h: last good versions kept, unchanged policies reused), then
// the Pod named by --pod-name/--pod-namespace (the downward API's KUBEWARDEN_POD_NAME and
// KUBEWARDEN_POD_NAMESPACE) is annotated with the ConfigMap's resourceVersion and the policies
// that failed to load (crd/replica_report.h), which is what the controller waits for before it
// turns a policy's webhook on. A failed annotation is retried with backoff; the policies are
// served meanwhile. Needs get/list/watch on that ConfigMap and patch on that Pod.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kube/client.h"
#include "kube/reflector.h"
#include "server/served_policies.h"

namespace kw::server {

struct ConfigMapFollowerOptions {
  std::string ns;
  std::string config_map;
  std::string pod_name;  // empty: nothing is reported
};

class ConfigMapFollower {
 public:
  // `policies` must outlive the follower.
  ConfigMapFollower(std::shared_ptr<const kube::Client> client, ConfigMapFollowerOptions options,
                    ServedPolicies& policies);
  ~ConfigMapFollower();
  ConfigMapFollower(const ConfigMapFollower&) = delete;
  ConfigMapFollower& operator=(const ConfigMapFollower&) = delete;

 private:
  void Run();
  Result<void> Report(const std::string& resource_version,
                      const evaluator::Environment& environment);

  const std::shared_ptr<const kube::Client> client_;
  const ConfigMapFollowerOptions options_;
  ServedPolicies& policies_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool pending_ = false;
  bool stopping_ = false;
  std::unique_ptr<kube::Reflector> reflector_;
  std::thread thread_;
};

}  // namespace kw::server
