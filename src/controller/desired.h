// What the cluster should hold, as pure functions of the custom resources: the objects the
// controller owns for each PolicyServer (ConfigMap, Deployment, Service, PodDisruptionBudget,
// certificate Secret) and the webhook configuration of each policy, in upstream's exact shapes
// (spec/tooling.md §6.2-§6.4). No I/O: the appliers (applier.h) compare these with what the API
// server holds and write only the differences.
//
// Where this departs from upstream, on purpose:
//  - The pod template carries no `kubewarden/config-version`: a policy change must not roll
//    out new pods. policy-server follows its ConfigMap through the API instead (env
//    KUBEWARDEN_POLICIES_CONFIGMAP) and reports, on its own Pod, which configuration it serves
//    (see replica_report.h); the Deployment's metadata still carries the annotation, as upstream.
//  - No `kubewarden.io/managed-{label,annotation}-keys` annotations: server-side apply removes
//    the labels and annotations the controller stops setting, which is what they tracked.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/json.h"
#include "crd/types.h"

namespace kw::controller {

// The controller-wide settings that shape the objects (its flags, §6.1).
struct ClusterSettings {
  std::string deployments_namespace = "kubewarden";
  bool always_accept_admission_reviews_on_deployments_namespace = false;
  std::vector<std::string> image_pull_secrets;
  bool host_network = false;
  bool enable_metrics = false;
  bool enable_tracing = false;
  bool otel_sidecar = false;
  // OTEL_EXPORTER_OTLP_* variables of the controller, passed on to policy-server (custom
  // collector mode), in the order given.
  std::vector<std::pair<std::string, std::string>> otel_environment;
  // --opentelemetry-certificate-secret / --opentelemetry-client-certificate-secret (custom
  // collector mode): Secrets in the deployments namespace mounted into the policy server pods,
  // the collector's CA (`ca.crt`) and a client certificate (`tls.crt`, `tls.key`).
  std::string otel_certificate_secret;
  std::string otel_client_certificate_secret;
  int policy_server_metrics_port = 8080;  // KUBEWARDEN_POLICY_SERVER_SERVICES_METRICS_PORT
  std::string client_ca_configmap_name;   // mTLS when set
};

// "policy-server-<ps>": the name of every object of a PolicyServer.
std::string PolicyServerObjectName(std::string_view policy_server);

// The labels every owned object carries (app.kubernetes.io/part-of and friends), and the
// selector labels of the pods.
json::object CommonLabels(std::string_view policy_server);

// ownerReferences entry pointing at the PolicyServer (controller, blocking deletion).
json::object OwnerReference(const crd::PolicyServer& server);

// policies.yml (JSON, as upstream) for the policies bound to `server`.
std::string PoliciesYml(const crd::PolicyServer& server,
                        std::span<const crd::Policy* const> policies);
// sources.yml (JSON, as upstream).
std::string SourcesYml(const crd::PolicyServer& server);

json::value DesiredConfigMap(const crd::PolicyServer& server,
                             std::span<const crd::Policy* const> policies,
                             const ClusterSettings& settings);
// How the pods take a new configuration: by following their ConfigMap and reporting on their
// Pod (ours), or by being replaced, the pod template labelled with the version (upstream's, for
// replicas that do not report; crd/replica_report.h).
enum class ConfigRollout { kLive, kRestart };
// `config_version`: the resourceVersion of the ConfigMap the Deployment's pods serve.
json::value DesiredDeployment(const crd::PolicyServer& server, std::string_view config_version,
                              const ClusterSettings& settings,
                              ConfigRollout rollout = ConfigRollout::kLive);
json::value DesiredService(const crd::PolicyServer& server, const ClusterSettings& settings);
// nullopt: the PolicyServer wants no PodDisruptionBudget (neither minAvailable nor
// maxUnavailable), so an existing one must go.
std::optional<json::value> DesiredPodDisruptionBudget(const crd::PolicyServer& server,
                                                      const ClusterSettings& settings);
json::value DesiredCertificateSecret(const crd::PolicyServer& server, std::string_view cert_pem,
                                     std::string_view key_pem, const ClusterSettings& settings);
inline constexpr std::string_view kCertFormatVersionAnnotation =
    "kubewarden.io/cert-format-version";
inline constexpr std::string_view kCertFormatVersion = "1";

// The webhook configuration of `policy` (Mutating when it mutates, else Validating) with
// `ca_bundle` (PEM) trusted for the policy server's certificate.
json::value DesiredWebhookConfiguration(const crd::Policy& policy, std::string_view ca_bundle,
                                        const ClusterSettings& settings);
// "admissionregistration.k8s.io/v1" kinds.
std::string_view WebhookConfigurationKind(const crd::Policy& policy);

}  // namespace kw::controller
