// kubewarden-controller's reconcilers: from PolicyServers and the four policy kinds to what
// enforces them (spec/tooling.md §6), reacting to every change of the objects involved.
//
// Informers (kube/reflector.h) keep the custom resources, the owned objects in the deployments
// namespace (ConfigMaps, Deployments, Services, PodDisruptionBudgets, Secrets, policy-server
// Pods) and the webhook configurations labelled part-of=kubewarden in memory; each change
// queues the keys it concerns (work_queue.h); workers reconcile one key at a time, computing the
// desired objects (desired.h) and writing only differences (applier.h). At steady state nothing
// is written.
//
// Keys: "PolicyServer//<name>", "<PolicyKind>/<namespace>/<name>", "CA" (the root CA and the
// webhook bundles, reconciled at start and every 12 hours), and "Defaults" (the objects of
// --defaults-configmap-name, labelled kubewarden.io/managed-by=kubewarden-controller-defaults,
// applied when they differ from the ConfigMap's documents and deleted when they leave it).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "certs/certificates.h"
#include "controller/applier.h"
#include "controller/desired.h"
#include "controller/text_memo.h"
#include "controller/work_queue.h"
#include "crd/replica_report.h"
#include "crd/types.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/reflector.h"

namespace kw::controller {

struct ControllerOptions {
  ClusterSettings cluster;
  // The Service of the controller's own webhooks: its serving certificate is for
  // <name>.<deployments namespace>.svc.
  std::string webhook_service_name = "kubewarden-controller-webhook-service";
  // --defaults-configmap-name: a ConfigMap in the deployments namespace whose documents (a
  // PolicyServer, policies) are applied and kept as they say; "" for none.
  std::string defaults_config_map;
  unsigned workers = 2;
  // How often a policy waiting for its replicas is looked at again (besides Pod events).
  std::chrono::milliseconds rollout_poll{2000};
  // How long a replica may be Ready without reporting what it serves before the controller
  // takes it for one that never will (upstream's image, or no RBAC to patch its Pod) and rolls
  // out new pods on every configuration change instead (crd/replica_report.h).
  std::chrono::milliseconds unreported_replica_grace{30000};
  std::chrono::hours ca_check_interval{12};
  // The clock certificates are issued and checked with (tests move it).
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

class Controller {
 public:
  Controller(std::shared_ptr<const kube::Client> client, ControllerOptions options);
  ~Controller();  // Stop()
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Looks the resource types up, starts the informers, waits until they have listed, then
  // starts the workers. Fails when a type is missing (the CRDs are not installed) or a first
  // list fails by `deadline`.
  Result<void> Start(std::chrono::steady_clock::time_point deadline);
  // Stops the workers and informers (work in progress finishes first).
  void Stop();

  // Writes made so far, and keys waiting (for tests and metrics).
  std::uint64_t writes() const { return applier_ ? applier_->writes() : 0; }
  std::size_t pending() const { return queue_.Pending(); }

 private:
  struct Informer;
  Result<void> StartInformer(std::unique_ptr<kube::Reflector>& slot, std::string_view api_version,
                             std::string_view kind, std::string_view ns,
                             kube::Selectors selectors,
                             std::function<void(std::string_view, std::string_view)> on_change);
  void Worker();
  // Reconciles `key`; returns the delay after which it must be looked at again, if any.
  Result<std::optional<std::chrono::milliseconds>> Reconcile(const std::string& key);

  Result<std::optional<std::chrono::milliseconds>> ReconcileCa();
  Result<std::optional<std::chrono::milliseconds>> ReconcileDefaults();
  Result<std::optional<std::chrono::milliseconds>> ReconcilePolicyServer(const std::string& name);
  Result<std::optional<std::chrono::milliseconds>> ReconcilePolicy(crd::PolicyKind kind,
                                                                   const std::string& ns,
                                                                   const std::string& name);
  // Issues the certificate of a Secret holding tls.crt/tls.key for `dns_name` when it needs it
  // (certs::NeedsReissue); `desired` builds the Secret around a new key pair.
  Result<void> EnsureServingSecret(
      std::string_view secret_name, std::string_view dns_name,
      const std::function<json::value(const certs::IssuedCertificate&)>& desired);
  // The caBundle of the controller's own webhook configurations.
  Result<void> EnsureOwnWebhooksTrust(const std::string& bundle);

  // Reading the informers. Objects are parsed once per version (text_memo.h) and shared:
  // nullptr when the informer does not hold the object.
  using Object = std::shared_ptr<const json::value>;
  Object Cached(const kube::Reflector& reflector, std::string_view ns,
                std::string_view name) const;
  // The object whose text `json` the informer holds (from Visit; or from Find, which gives the
  // shared text too).
  Object Parsed(const kube::Reflector& reflector, std::string_view ns, std::string_view name,
                std::string_view json, kube::Reflector::Text shared = nullptr) const;
  // The policy whose text `json` the informer holds, as read once per version; nullptr when it
  // cannot be read (ParsePolicy says why).
  std::shared_ptr<const crd::Policy> PolicyOf(const kube::Reflector& reflector,
                                              std::string_view ns, std::string_view name,
                                              std::string_view json,
                                              kube::Reflector::Text shared = nullptr) const;
  // The policies bound to `policy_server` and not being deleted.
  std::vector<std::shared_ptr<const crd::Policy>> PoliciesOf(std::string_view policy_server) const;
  std::vector<json::value> PodsOf(std::string_view policy_server) const;
  Object CaSecret() const;
  std::string CaBundle() const;
  // What the ConfigMap of `policy_server` lists: policies.yml names every policy, and each
  // policy's reconciliation looks into it. nullptr when there is none.
  std::shared_ptr<const crd::ServedConfiguration> ServedConfigurationOf(
      std::string_view policy_server);

  // Mapping events to keys.
  void EnqueuePolicyServer(std::string_view name);
  void EnqueuePoliciesOf(std::string_view policy_server);
  void EnqueueOwnedObject(std::string_view name);  // "policy-server-<ps>"
  void EnqueueDefaults();
  void EnqueueAll();

  const std::shared_ptr<const kube::Client> client_;
  const ControllerOptions options_;
  std::shared_ptr<kube::Discovery> discovery_;
  std::unique_ptr<Applier> applier_;
  WorkQueue queue_;

  std::unique_ptr<kube::Reflector> policy_servers_;
  std::unique_ptr<kube::Reflector> policies_[4];  // by PolicyKind
  std::unique_ptr<kube::Reflector> config_maps_, deployments_, services_, budgets_, secrets_,
      pods_, validating_webhooks_, mutating_webhooks_, defaults_;

  mutable TextMemo<json::value> objects_;             // by ObjectKey()
  mutable TextMemo<crd::Policy> policies_read_;       // by ObjectKey()
  TextMemo<crd::ServedConfiguration> served_;          // by ConfigMap name
  mutable TextMemo<std::string> ca_bundles_;           // of the CA Secret, by its name

  std::atomic<bool> informers_ready_{false};
  std::vector<std::thread> workers_;
  bool started_ = false;
};

}  // namespace kw::controller
