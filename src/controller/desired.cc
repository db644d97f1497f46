#include "controller/desired.h"

#include <map>

#include "base/base64.h"
#include "base/go_json.h"
#include "crd/quantity.h"
#include "crd/replica_report.h"

namespace kw::controller {
namespace {

constexpr std::string_view kPolicyServerLabel = "kubewarden/policy-server";
constexpr std::string_view kConfigVersionAnnotation = "kubewarden/config-version";
constexpr std::string_view kPartOfLabel = "app.kubernetes.io/part-of";
constexpr std::string_view kInstanceLabel = "app.kubernetes.io/instance";

json::object ObjectMetadata(std::string_view name, std::string_view ns) {
  json::object metadata;
  metadata["name"] = name;
  if (!ns.empty()) metadata["namespace"] = ns;
  return metadata;
}

json::object StringMap(const std::map<std::string, std::string>& map) {
  json::object object;
  for (const auto& [key, value] : map) object[key] = value;
  return object;
}

json::object NameValue(std::string_view name, std::string_view value) {
  return json::object{{"name", name}, {"value", value}};
}

// The hostCapabilities a policy gets: everything for the cluster-wide kinds; for namespaced
// ones, what the PolicyServer grants them (everything when it says nothing, as upstream's
// controller does although an older API comment said the opposite).
json::array HostCapabilities(const crd::Policy& policy, const crd::PolicyServer& server) {
  json::array capabilities;
  if (policy.IsNamespaced() && server.namespaced_policies_capabilities) {
    for (const std::string& pattern : *server.namespaced_policies_capabilities) {
      capabilities.emplace_back(pattern);
    }
  } else {
    capabilities.emplace_back("*");
  }
  return capabilities;
}

json::object NamespacedName(const crd::Policy& policy) {
  // Go's field names, since upstream marshals a types.NamespacedName (policy-server ignores it).
  return json::object{{"Namespace", policy.meta.ns}, {"Name", policy.meta.name}};
}

// One entry of policies.yml, fields in upstream's order, empty ones omitted as upstream's
// omitempty tags do.
json::object PoliciesYmlEntry(const crd::Policy& policy, const crd::PolicyServer& server) {
  json::object entry;
  entry["namespacedName"] = NamespacedName(policy);
  if (policy.IsGroup()) {
    entry["policyMode"] = policy.mode;
    json::object members;
    for (const auto& [name, member] : policy.members) {
      json::object m;
      m["module"] = member.module;
      if (!member.settings.is_null()) m["settings"] = member.settings;
      if (!member.context_aware_resources.empty()) {
        m["contextAwareResources"] = member.context_aware_resources;
      }
      if (member.timeout_eval_seconds) m["timeoutEvalSeconds"] = *member.timeout_eval_seconds;
      m["hostCapabilities"] = HostCapabilities(policy, server);
      members[name] = std::move(m);
    }
    entry["policies"] = std::move(members);
    entry["expression"] = policy.expression;
    entry["message"] = policy.message;
    return entry;
  }
  entry["module"] = policy.module;
  entry["policyMode"] = policy.mode;
  entry["allowedToMutate"] = policy.mutating;
  if (!policy.context_aware_resources.empty()) {
    entry["contextAwareResources"] = policy.context_aware_resources;
  }
  if (!policy.settings.is_null()) entry["settings"] = policy.settings;
  if (!policy.message.empty()) entry["message"] = policy.message;
  if (policy.timeout_eval_seconds) entry["timeoutEvalSeconds"] = *policy.timeout_eval_seconds;
  entry["hostCapabilities"] = HostCapabilities(policy, server);
  return entry;
}

json::object PolicyServerSelectorLabels(std::string_view policy_server) {
  return json::object{{kInstanceLabel, PolicyServerObjectName(policy_server)},
                      {kPartOfLabel, "kubewarden"}};
}

json::object Volume(std::string_view name, std::string_view source_key, json::object source) {
  return json::object{{"name", name}, {source_key, std::move(source)}};
}

json::object KeyToPath(std::string_view key, std::string_view path) {
  return json::object{{"key", key}, {"path", path}};
}

json::object VolumeMount(std::string_view name, std::string_view path) {
  return json::object{{"name", name}, {"mountPath", path}, {"readOnly", true}};
}

// A ResourceList as the API server writes it back (quantities in canonical form, "0.5" as
// "500m"), so that the live Deployment covers the desired one and no write repeats at every
// reconciliation. What does not parse goes as it is (the server says why it refuses it).
json::object CanonicalResourceList(const json::object& list) {
  json::object canonical;
  for (const auto& [name, value] : list) {
    const std::string text = value.is_string() ? std::string(value.get_string())
                             : value.is_number() ? ToJson(value)
                                                 : std::string();
    auto quantity = crd::Quantity::Parse(text);
    if (quantity && quantity->canonical()) {
      canonical[name] = *quantity->canonical();
    } else {
      canonical[name] = value;
    }
  }
  return canonical;
}

json::object FieldRefEnv(std::string_view name, std::string_view field_path) {
  return json::object{
      {"name", name},
      {"valueFrom", json::object{{"fieldRef", json::object{{"fieldPath", field_path}}}}}};
}

json::value DefaultContainerSecurityContext() {
  return json::object{{"readOnlyRootFilesystem", true},
                      {"privileged", false},
                      {"allowPrivilegeEscalation", false},
                      {"capabilities", json::object{{"drop", json::array{"ALL"}}}},
                      {"runAsNonRoot", true}};
}

json::value DefaultPodSecurityContext() {
  return json::object{{"seccompProfile", json::object{{"type", "RuntimeDefault"}}}};
}

}  // namespace

std::string PolicyServerObjectName(std::string_view policy_server) {
  return "policy-server-" + std::string(policy_server);
}

json::object CommonLabels(std::string_view policy_server) {
  return json::object{{"app.kubernetes.io/component", "policy-server"},
                      {kInstanceLabel, PolicyServerObjectName(policy_server)},
                      {kPartOfLabel, "kubewarden"},
                      {"app.kubernetes.io/managed-by", "kubewarden-controller"}};
}

json::object OwnerReference(const crd::PolicyServer& server) {
  return json::object{{"apiVersion", crd::kApiVersion},
                      {"kind", "PolicyServer"},
                      {"name", server.meta.name},
                      {"uid", server.meta.uid},
                      {"controller", true},
                      {"blockOwnerDeletion", true}};
}

std::string PoliciesYml(const crd::PolicyServer& server,
                        std::span<const crd::Policy* const> policies) {
  // Go marshals a map with its keys sorted.
  std::map<std::string, const crd::Policy*> by_id;
  for (const crd::Policy* policy : policies) by_id[policy->UniqueName()] = policy;
  json::object document;
  for (const auto& [id, policy] : by_id) document[id] = PoliciesYmlEntry(*policy, server);
  return MarshalLikeGo(document);
}

std::string SourcesYml(const crd::PolicyServer& server) {
  json::array insecure;
  for (const std::string& source : server.insecure_sources) insecure.emplace_back(source);
  json::object authorities;
  for (const auto& [host, certificates] : server.source_authorities) {
    json::array list;
    for (const std::string& pem : certificates) {
      list.emplace_back(json::object{{"type", "Data"}, {"data", pem}});
    }
    authorities[host] = std::move(list);
  }
  return MarshalLikeGo(json::object{{"insecure_sources", std::move(insecure)},
                                    {"source_authorities", std::move(authorities)}});
}

json::value DesiredConfigMap(const crd::PolicyServer& server,
                             std::span<const crd::Policy* const> policies,
                             const ClusterSettings& settings) {
  json::object metadata =
      ObjectMetadata(PolicyServerObjectName(server.meta.name), settings.deployments_namespace);
  metadata["labels"] = json::object{{kPolicyServerLabel, server.meta.name}};
  metadata["ownerReferences"] = json::array{OwnerReference(server)};
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", std::move(metadata)},
      {"data", json::object{{"policies.yml", PoliciesYml(server, policies)},
                            {"sources.yml", SourcesYml(server)}}}};
}

json::value DesiredDeployment(const crd::PolicyServer& server, std::string_view config_version,
                              const ClusterSettings& settings, ConfigRollout rollout) {
  const std::string name = PolicyServerObjectName(server.meta.name);
  const std::string& ns = settings.deployments_namespace;

  // Labels: the user's first, then the system ones, which win.
  json::object labels = StringMap(server.labels);
  labels[kPolicyServerLabel] = server.meta.name;
  for (auto& [key, value] : CommonLabels(server.meta.name)) labels[key] = value;

  json::object annotations = StringMap(server.annotations);
  annotations[kConfigVersionAnnotation] = config_version;
  json::object metadata = ObjectMetadata(name, ns);
  metadata["labels"] = labels;
  metadata["annotations"] = std::move(annotations);
  metadata["ownerReferences"] = json::array{OwnerReference(server)};

  json::object pod_labels = StringMap(server.labels);
  pod_labels["app"] = "kubewarden-policy-server-" + server.meta.name;
  pod_labels[kPolicyServerLabel] = server.meta.name;
  if (rollout == ConfigRollout::kRestart) pod_labels[crd::kConfigVersionLabel] = config_version;
  for (auto& [key, value] : CommonLabels(server.meta.name)) pod_labels[key] = value;
  json::object pod_annotations = StringMap(server.annotations);
  if (settings.otel_sidecar) pod_annotations["sidecar.opentelemetry.io/inject"] = "true";

  // Volumes and mounts, in upstream's order.
  json::array volumes;
  json::array mounts;
  volumes.emplace_back(Volume("policy-store", "emptyDir", json::object{}));
  mounts.emplace_back(json::object{{"name", "policy-store"}, {"mountPath", "/tmp"}});
  volumes.emplace_back(Volume("certs", "secret", json::object{{"secretName", name}}));
  mounts.emplace_back(VolumeMount("certs", "/pki"));
  volumes.emplace_back(
      Volume("policies", "configMap",
             json::object{{"name", name},
                          {"items", json::array{KeyToPath("policies.yml", "policies.yml")}}}));
  mounts.emplace_back(VolumeMount("policies", "/config"));

  json::array env{
      NameValue("KUBEWARDEN_CERT_FILE", "/pki/tls.crt"),
      NameValue("KUBEWARDEN_KEY_FILE", "/pki/tls.key"),
      NameValue("KUBEWARDEN_PORT", std::to_string(server.webhook_port)),
      NameValue("KUBEWARDEN_READINESS_PROBE_PORT", std::to_string(server.readiness_probe_port)),
      NameValue("KUBEWARDEN_POLICIES_DOWNLOAD_DIR", "/tmp"),
      NameValue("KUBEWARDEN_POLICIES", "/config/policies.yml"),
      NameValue("KUBEWARDEN_SIGSTORE_CACHE_DIR", "/tmp/sigstore-data"),
      // Ours: follow the ConfigMap through the API and report what is served on the Pod.
      NameValue("KUBEWARDEN_POLICIES_CONFIGMAP", name),
      FieldRefEnv("KUBEWARDEN_POD_NAME", "metadata.name"),
      FieldRefEnv("KUBEWARDEN_POD_NAMESPACE", "metadata.namespace"),
  };
  for (const json::value& variable : server.env) env.push_back(variable);
  if (settings.always_accept_admission_reviews_on_deployments_namespace) {
    env.emplace_back(NameValue("KUBEWARDEN_ALWAYS_ACCEPT_ADMISSION_REVIEWS_ON_NAMESPACE", ns));
  }
  if (!server.insecure_sources.empty() || !server.source_authorities.empty()) {
    volumes.emplace_back(Volume("sources", "configMap", json::object{{"name", name}}));
    mounts.emplace_back(VolumeMount("sources", "/sources"));
    env.emplace_back(NameValue("KUBEWARDEN_SOURCES_PATH", "/sources/sources.yml"));
  }
  if (!server.verification_config.empty()) {
    volumes.emplace_back(Volume(
        "verification", "configMap",
        json::object{{"name", server.verification_config},
                     {"items",
                      json::array{KeyToPath("verification-config", "verification.yml")}}}));
    mounts.emplace_back(VolumeMount("verification", "/verification"));
    env.emplace_back(NameValue("KUBEWARDEN_VERIFICATION_CONFIG_PATH",
                               "/verification/verification.yml"));
  }
  if (!server.sigstore_trust_config.empty()) {
    volumes.emplace_back(Volume(
        "sigstore-trust-config", "configMap",
        json::object{{"name", server.sigstore_trust_config},
                     {"items", json::array{KeyToPath("sigstore-trust-config",
                                                     "sigstore-trust-config.json")}}}));
    mounts.emplace_back(VolumeMount("sigstore-trust-config", "/sigstore-trust"));
    env.emplace_back(NameValue("KUBEWARDEN_SIGSTORE_TRUST_CONFIG_PATH",
                               "/sigstore-trust/sigstore-trust-config.json"));
  }
  if (!server.image_pull_secret.empty()) {
    volumes.emplace_back(Volume(
        "imagepullsecret", "secret",
        json::object{{"secretName", server.image_pull_secret},
                     {"items", json::array{KeyToPath(".dockerconfigjson", "config.json")}}}));
    mounts.emplace_back(VolumeMount("imagepullsecret", "/home/kubewarden/.docker"));
    env.emplace_back(
        NameValue("KUBEWARDEN_DOCKER_CONFIG_JSON_PATH", "/home/kubewarden/.docker"));
  }
  if (!settings.client_ca_configmap_name.empty()) {
    volumes.emplace_back(Volume(
        "kubewarden-ca-cert", "secret",
        json::object{{"secretName", "kubewarden-ca"},
                     {"items", json::array{KeyToPath("ca.crt", "ca.crt")}}}));
    mounts.emplace_back(VolumeMount("kubewarden-ca-cert", "/ca"));
    volumes.emplace_back(Volume(
        "client-ca-cert", "configMap",
        json::object{{"name", settings.client_ca_configmap_name},
                     {"items", json::array{KeyToPath("client-ca.crt", "client-ca.crt")}}}));
    mounts.emplace_back(VolumeMount("client-ca-cert", "/client-ca"));
    env.emplace_back(
        NameValue("KUBEWARDEN_CLIENT_CA_FILE", "/ca/ca.crt,/client-ca/client-ca.crt"));
  }
  if (settings.enable_metrics) env.emplace_back(NameValue("KUBEWARDEN_ENABLE_METRICS", "true"));
  if (settings.enable_tracing) env.emplace_back(NameValue("KUBEWARDEN_LOG_FMT", "otlp"));
  if (settings.enable_metrics || settings.enable_tracing) {
    if (settings.otel_sidecar) {
      // Upstream points at the sidecar's gRPC port 4317; our exporters speak OTLP/HTTP, which
      // the same collector takes on 4318.
      env.emplace_back(NameValue("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318"));
    } else {
      // The controller's own exporter settings, but for the files of the collector's
      // certificates when the Secrets holding them are mounted below: its paths are its own.
      const bool mounted_ca = !settings.otel_certificate_secret.empty();
      const bool mounted_client = !settings.otel_client_certificate_secret.empty();
      for (const auto& [key, value] : settings.otel_environment) {
        const bool client_file = key.ends_with("_CLIENT_CERTIFICATE") || key.ends_with("_CLIENT_KEY");
        const bool ca_file = !client_file && key.ends_with("_CERTIFICATE");
        if ((ca_file && mounted_ca) || (client_file && mounted_client)) continue;
        env.emplace_back(NameValue(key, value));
      }
      if (mounted_ca) {
        volumes.emplace_back(Volume("otel-collector-certificate", "secret",
                                    json::object{{"secretName", settings.otel_certificate_secret}}));
        mounts.emplace_back(VolumeMount("otel-collector-certificate", "/otel-collector-certificate"));
        env.emplace_back(
            NameValue("OTEL_EXPORTER_OTLP_CERTIFICATE", "/otel-collector-certificate/ca.crt"));
      }
      if (mounted_client) {
        volumes.emplace_back(
            Volume("otel-collector-client-certificate", "secret",
                   json::object{{"secretName", settings.otel_client_certificate_secret}}));
        mounts.emplace_back(VolumeMount("otel-collector-client-certificate",
                                        "/otel-collector-client-certificate"));
        env.emplace_back(NameValue("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                                   "/otel-collector-client-certificate/tls.crt"));
        env.emplace_back(NameValue("OTEL_EXPORTER_OTLP_CLIENT_KEY",
                                   "/otel-collector-client-certificate/tls.key"));
      }
    }
  }

  json::object container{
      {"name", name},
      {"image", server.image},
      {"env", std::move(env)},
      {"readinessProbe",
       json::object{{"httpGet", json::object{{"path", "/readiness"},
                                             {"port", server.readiness_probe_port},
                                             {"scheme", "HTTP"}}}}},
      {"volumeMounts", std::move(mounts)},
      {"securityContext", server.container_security_context.is_null()
                              ? DefaultContainerSecurityContext()
                              : server.container_security_context},
  };
  json::object resources;
  if (!server.limits.empty()) resources["limits"] = CanonicalResourceList(server.limits);
  if (!server.requests.empty()) resources["requests"] = CanonicalResourceList(server.requests);
  if (!resources.empty()) container["resources"] = std::move(resources);

  json::object pod_spec{
      {"containers", json::array{std::move(container)}},
      {"volumes", std::move(volumes)},
      {"securityContext", server.pod_security_context.is_null() ? DefaultPodSecurityContext()
                                                                : server.pod_security_context},
  };
  if (!server.service_account_name.empty()) {
    pod_spec["serviceAccountName"] = server.service_account_name;
  }
  if (!settings.image_pull_secrets.empty()) {
    json::array secrets;
    for (const std::string& secret : settings.image_pull_secrets) {
      secrets.emplace_back(json::object{{"name", secret}});
    }
    pod_spec["imagePullSecrets"] = std::move(secrets);
  }
  if (!server.tolerations.empty()) pod_spec["tolerations"] = server.tolerations;
  if (!server.affinity.is_null()) pod_spec["affinity"] = server.affinity;
  if (!server.priority_class_name.empty()) {
    pod_spec["priorityClassName"] = server.priority_class_name;
  }
  if (settings.host_network) {
    pod_spec["hostNetwork"] = true;
    pod_spec["dnsPolicy"] = "ClusterFirstWithHostNet";
  }

  json::object template_metadata{{"labels", std::move(pod_labels)}};
  if (!pod_annotations.empty()) template_metadata["annotations"] = std::move(pod_annotations);

  return json::object{
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", std::move(metadata)},
      {"spec",
       json::object{
           {"replicas", server.replicas},
           {"selector",
            json::object{{"matchLabels",
                          json::object{{"app", "kubewarden-policy-server-" + server.meta.name}}}}},
           {"strategy", json::object{{"type", "RollingUpdate"}}},
           {"template", json::object{{"metadata", std::move(template_metadata)},
                                     {"spec", std::move(pod_spec)}}},
       }},
  };
}

json::value DesiredService(const crd::PolicyServer& server, const ClusterSettings& settings) {
  json::object metadata =
      ObjectMetadata(PolicyServerObjectName(server.meta.name), settings.deployments_namespace);
  json::object labels{{kPolicyServerLabel, server.meta.name}};
  for (auto& [key, value] : CommonLabels(server.meta.name)) labels[key] = value;
  metadata["labels"] = std::move(labels);
  metadata["ownerReferences"] = json::array{OwnerReference(server)};
  json::array ports{json::object{{"name", "policy-server"},
                                 {"port", 443},
                                 {"targetPort", server.webhook_port},
                                 {"protocol", "TCP"}}};
  if (settings.enable_metrics) {
    ports.emplace_back(
        json::object{{"name", "metrics"},
                     {"port", server.metrics_port.value_or(settings.policy_server_metrics_port)},
                     {"targetPort", settings.policy_server_metrics_port},
                     {"protocol", "TCP"}});
  }
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", std::move(metadata)},
      {"spec", json::object{{"ports", std::move(ports)},
                            {"selector", PolicyServerSelectorLabels(server.meta.name)}}}};
}

std::optional<json::value> DesiredPodDisruptionBudget(const crd::PolicyServer& server,
                                                      const ClusterSettings& settings) {
  if (server.min_available.is_null() && server.max_unavailable.is_null()) return std::nullopt;
  json::object metadata =
      ObjectMetadata(PolicyServerObjectName(server.meta.name), settings.deployments_namespace);
  metadata["ownerReferences"] = json::array{OwnerReference(server)};
  json::object selector = PolicyServerSelectorLabels(server.meta.name);
  selector[kPolicyServerLabel] = server.meta.name;
  json::object spec{{"selector", json::object{{"matchLabels", std::move(selector)}}}};
  if (!server.min_available.is_null()) spec["minAvailable"] = server.min_available;
  if (!server.max_unavailable.is_null()) spec["maxUnavailable"] = server.max_unavailable;
  return json::object{{"apiVersion", "policy/v1"},
                      {"kind", "PodDisruptionBudget"},
                      {"metadata", std::move(metadata)},
                      {"spec", std::move(spec)}};
}

json::value DesiredCertificateSecret(const crd::PolicyServer& server, std::string_view cert_pem,
                                     std::string_view key_pem, const ClusterSettings& settings) {
  json::object metadata =
      ObjectMetadata(PolicyServerObjectName(server.meta.name), settings.deployments_namespace);
  metadata["labels"] = json::object{{kPartOfLabel, "kubewarden"},
                                    {"app.kubernetes.io/component", "policy-server"}};
  metadata["annotations"] = json::object{{kCertFormatVersionAnnotation, kCertFormatVersion}};
  metadata["ownerReferences"] = json::array{OwnerReference(server)};
  return json::object{{"apiVersion", "v1"},
                      {"kind", "Secret"},
                      {"metadata", std::move(metadata)},
                      {"type", "Opaque"},
                      {"data", json::object{{"tls.crt", Base64Encode(cert_pem)},
                                            {"tls.key", Base64Encode(key_pem)}}}};
}

std::string_view WebhookConfigurationKind(const crd::Policy& policy) {
  return policy.mutating ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration";
}

json::value DesiredWebhookConfiguration(const crd::Policy& policy, std::string_view ca_bundle,
                                        const ClusterSettings& settings) {
  const std::string unique_name = policy.UniqueName();
  json::object metadata = ObjectMetadata(unique_name, "");
  metadata["labels"] = json::object{{kPartOfLabel, "kubewarden"}};
  metadata["annotations"] = json::object{{"kubewardenPolicyName", policy.meta.name},
                                         {"kubewardenPolicyNamespace", policy.meta.ns}};

  json::array rules = policy.rules;
  if (policy.IsNamespaced()) {
    for (json::value& rule : rules) {
      if (rule.is_object()) rule.as_object()["scope"] = "Namespaced";
    }
  }

  json::value namespace_selector;
  if (policy.IsNamespaced()) {
    namespace_selector = json::object{
        {"matchLabels", json::object{{"kubernetes.io/metadata.name", policy.meta.ns}}}};
  } else if (policy.allow_inside_admission_controller_namespace) {
    namespace_selector = policy.namespace_selector;
  } else {
    // Upstream keeps only the user's matchExpressions here and drops matchLabels: a quirk its
    // own tests pin down, kept so that the same CR selects the same namespaces.
    json::array expressions{json::object{
        {"key", "kubernetes.io/metadata.name"},
        {"operator", "NotIn"},
        {"values", json::array{settings.deployments_namespace}}}};
    if (const json::value* user = FindKey(policy.namespace_selector, "matchExpressions");
        user != nullptr && user->is_array()) {
      for (const json::value& expression : user->get_array()) expressions.push_back(expression);
    }
    namespace_selector = json::object{{"matchExpressions", std::move(expressions)}};
  }

  json::object webhook{
      {"name", unique_name + ".kubewarden.admission"},
      {"clientConfig",
       json::object{{"service", json::object{{"namespace", settings.deployments_namespace},
                                             {"name", PolicyServerObjectName(policy.policy_server)},
                                             {"path", "/validate/" + unique_name},
                                             {"port", 443}}},
                    {"caBundle", Base64Encode(ca_bundle)}}},
      {"rules", std::move(rules)},
      {"sideEffects", policy.side_effects.empty() ? "None" : policy.side_effects},
      {"admissionReviewVersions", json::array{"v1"}},
      {"timeoutSeconds", policy.timeout_seconds},
  };
  if (!namespace_selector.is_null()) webhook["namespaceSelector"] = std::move(namespace_selector);
  if (!policy.failure_policy.empty()) webhook["failurePolicy"] = policy.failure_policy;
  if (!policy.match_policy.empty()) webhook["matchPolicy"] = policy.match_policy;
  if (!policy.object_selector.is_null()) webhook["objectSelector"] = policy.object_selector;
  if (!policy.match_conditions.empty()) webhook["matchConditions"] = policy.match_conditions;

  return json::object{{"apiVersion", "admissionregistration.k8s.io/v1"},
                      {"kind", WebhookConfigurationKind(policy)},
                      {"metadata", std::move(metadata)},
                      {"webhooks", json::array{std::move(webhook)}}};
}

}  // namespace kw::controller
