#include "controller/desired.h"

#include <gtest/gtest.h>

#include "base/base64.h"
#include "testing/json.h"

namespace kw::controller {
namespace {

using testing::J;

crd::PolicyServer Server(std::string_view spec = R"({"image":"ghcr.io/kubewarden/policy-server:v1","replicas":2})") {
  auto server = crd::ParsePolicyServer(J(
      std::string(R"({"apiVersion":"policies.kubewarden.io/v1","kind":"PolicyServer",)"
                  R"("metadata":{"name":"default","uid":"u-1"},"spec":)") +
      std::string(spec) + "}"));
  EXPECT_TRUE(server) << server.error().message;
  return *server;
}

crd::Policy Policy(std::string_view yaml_json) {
  auto policy = crd::ParsePolicy(J(yaml_json));
  EXPECT_TRUE(policy) << policy.error().message;
  return *policy;
}

const crd::Policy kCap = Policy(R"({"kind":"ClusterAdmissionPolicy","metadata":{"name":"privileged"},
  "spec":{"module":"registry://ghcr.io/kubewarden/policies/pod-privileged:v1.0.13",
  "rules":[{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"],"operations":["CREATE"]}],
  "mutating":false,"settings":{"skip_init_containers":false},"message":"no <privileged> & co"}})");
const crd::Policy kAp = Policy(R"({"kind":"AdmissionPolicy","metadata":{"name":"psa","namespace":"team-a"},
  "spec":{"module":"registry://ghcr.io/kubewarden/policies/psa-label-enforcer:v1","mode":"monitor",
  "rules":[{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"],"operations":["CREATE"],"scope":"*"}],
  "mutating":true,"timeoutEvalSeconds":3}})");
const crd::Policy kGroup = Policy(R"j({"kind":"ClusterAdmissionPolicyGroup","metadata":{"name":"images"},
  "spec":{"rules":[{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"],"operations":["CREATE"]}],
  "expression":"signed() || trusted()","message":"untrusted image",
  "policies":{"trusted":{"module":"registry://x/trusted-repos:v1","settings":{"registries":{"allow":["a"]}}},
              "signed":{"module":"registry://x/verify:v1","contextAwareResources":[{"apiVersion":"v1","kind":"Secret"}]}}}})j");

TEST(PoliciesYml, IsUpstreamsJsonKeyedByUniqueName) {
  const crd::Policy* policies[] = {&kGroup, &kCap, &kAp};
  EXPECT_EQ(
      PoliciesYml(Server(), policies),
      R"({"clusterwide-group-images":{"namespacedName":{"Namespace":"","Name":"images"},"policyMode":"protect",)"
      R"("policies":{"signed":{"module":"registry://x/verify:v1","contextAwareResources":[{"apiVersion":"v1","kind":"Secret"}],"hostCapabilities":["*"]},)"
      R"("trusted":{"module":"registry://x/trusted-repos:v1","settings":{"registries":{"allow":["a"]}},"hostCapabilities":["*"]}},)"
      R"j("expression":"signed() || trusted()","message":"untrusted image"},)j"
      R"("clusterwide-privileged":{"namespacedName":{"Namespace":"","Name":"privileged"},"module":"registry://ghcr.io/kubewarden/policies/pod-privileged:v1.0.13",)"
      R"("policyMode":"protect","allowedToMutate":false,"settings":{"skip_init_containers":false},"message":"no \u003cprivileged\u003e \u0026 co","hostCapabilities":["*"]},)"
      R"("namespaced-team-a-psa":{"namespacedName":{"Namespace":"team-a","Name":"psa"},"module":"registry://ghcr.io/kubewarden/policies/psa-label-enforcer:v1",)"
      R"("policyMode":"monitor","allowedToMutate":true,"timeoutEvalSeconds":3,"hostCapabilities":["*"]}})");
}

TEST(PoliciesYml, NamespacedPoliciesGetWhatThePolicyServerGrants) {
  const crd::Policy* policies[] = {&kAp, &kCap};
  const std::string yml = PoliciesYml(
      Server(R"({"image":"i","replicas":1,"namespacedPoliciesCapabilities":["oci/*","net/v1/dns_lookup_host"]})"),
      policies);
  json::value document = J(yml);
  EXPECT_EQ(document.at("namespaced-team-a-psa").at("hostCapabilities"),
            J(R"(["oci/*","net/v1/dns_lookup_host"])"));
  EXPECT_EQ(document.at("clusterwide-privileged").at("hostCapabilities"), J(R"(["*"])"));
}

TEST(SourcesYml, AlwaysHasBothKeys) {
  EXPECT_EQ(SourcesYml(Server()), R"({"insecure_sources":[],"source_authorities":{}})");
  EXPECT_EQ(SourcesYml(Server(R"({"image":"i","replicas":1,"insecureSources":["r:5000"],
                                 "sourceAuthorities":{"r:443":["PEM1","PEM2"]}})")),
            R"({"insecure_sources":["r:5000"],"source_authorities":{"r:443":[{"type":"Data","data":"PEM1"},{"type":"Data","data":"PEM2"}]}})");
}

TEST(DesiredConfigMap, IsOwnedAndLabelled) {
  ClusterSettings settings;
  json::value cm = DesiredConfigMap(Server(), {}, settings);
  EXPECT_EQ(cm.at("metadata"), J(R"({"name":"policy-server-default","namespace":"kubewarden",
      "labels":{"kubewarden/policy-server":"default"},
      "ownerReferences":[{"apiVersion":"policies.kubewarden.io/v1","kind":"PolicyServer","name":"default","uid":"u-1","controller":true,"blockOwnerDeletion":true}]})"));
  EXPECT_EQ(cm.at("data").at("policies.yml"), "{}");
}

std::string EnvValue(const json::value& deployment, std::string_view name) {
  for (const json::value& variable :
       deployment.at("spec").at("template").at("spec").at("containers").at(0).at("env").as_array()) {
    if (variable.at("name").as_string() == name) {
      return variable.as_object().contains("value") ? std::string(variable.at("value").as_string())
                                                    : "<valueFrom>";
    }
  }
  return "<absent>";
}

TEST(DesiredDeployment, CarriesUpstreamsLabelsEnvAndVolumes) {
  ClusterSettings settings;
  settings.always_accept_admission_reviews_on_deployments_namespace = true;
  settings.image_pull_secrets = {"regcred"};
  json::value d = DesiredDeployment(
      Server(R"({"image":"img","replicas":3,"labels":{"team":"a","app.kubernetes.io/part-of":"mine"},
                 "annotations":{"note":"x"},"env":[{"name":"KUBEWARDEN_LOG_LEVEL","value":"debug"}],
                 "serviceAccountName":"policy-server","verificationConfig":"vc","imagePullSecret":"pull",
                 "webhookPort":9443,"limits":{"cpu":"1"}})"),
      "4711", settings);
  EXPECT_EQ(d.at("metadata").at("labels"), J(R"({"team":"a","app.kubernetes.io/part-of":"kubewarden",
      "kubewarden/policy-server":"default","app.kubernetes.io/component":"policy-server",
      "app.kubernetes.io/instance":"policy-server-default","app.kubernetes.io/managed-by":"kubewarden-controller"})"));
  EXPECT_EQ(d.at("metadata").at("annotations"), J(R"({"note":"x","kubewarden/config-version":"4711"})"));
  const json::value& pod = d.at("spec").at("template");
  EXPECT_EQ(pod.at("metadata").at("labels").at("app"), "kubewarden-policy-server-default");
  // A policy change must not roll the pods: the template does not carry the version.
  EXPECT_FALSE(pod.at("metadata").at("labels").as_object().contains("kubewarden/config-version"));
  // Unless the replicas do not report what they serve: then every change rolls them, as upstream.
  json::value restarting = DesiredDeployment(Server(), "4711", settings, ConfigRollout::kRestart);
  EXPECT_EQ(restarting.at("spec").at("template").at("metadata").at("labels").at(
                "kubewarden/config-version"),
            "4711");
  EXPECT_EQ(d.at("spec").at("replicas"), 3);
  EXPECT_EQ(d.at("spec").at("selector"),
            J(R"({"matchLabels":{"app":"kubewarden-policy-server-default"}})"));
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_PORT"), "9443");
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_READINESS_PROBE_PORT"), "8081");
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_POLICIES"), "/config/policies.yml");
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_LOG_LEVEL"), "debug");
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_ALWAYS_ACCEPT_ADMISSION_REVIEWS_ON_NAMESPACE"), "kubewarden");
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_VERIFICATION_CONFIG_PATH"), "/verification/verification.yml");
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_DOCKER_CONFIG_JSON_PATH"), "/home/kubewarden/.docker");
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_SOURCES_PATH"), "<absent>");
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_POLICIES_CONFIGMAP"), "policy-server-default");
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_POD_NAME"), "<valueFrom>");
  const json::value& spec = pod.at("spec");
  EXPECT_EQ(spec.at("serviceAccountName"), "policy-server");
  EXPECT_EQ(spec.at("imagePullSecrets"), J(R"([{"name":"regcred"}])"));
  EXPECT_EQ(spec.at("securityContext"), J(R"({"seccompProfile":{"type":"RuntimeDefault"}})"));
  const json::value& container = spec.at("containers").at(0);
  EXPECT_EQ(container.at("name"), "policy-server-default");
  EXPECT_EQ(container.at("resources"), J(R"({"limits":{"cpu":"1"}})"));
  EXPECT_EQ(container.at("readinessProbe").at("httpGet").at("port"), 8081);
  std::vector<std::string> volumes;
  for (const json::value& volume : spec.at("volumes").as_array()) {
    volumes.emplace_back(volume.at("name").as_string());
  }
  EXPECT_EQ(volumes, (std::vector<std::string>{"policy-store", "certs", "policies", "verification",
                                               "imagepullsecret"}));
}

TEST(DesiredDeployment, UserSecurityContextsReplaceTheDefaults) {
  json::value d = DesiredDeployment(
      Server(R"({"image":"i","replicas":1,"securityContexts":{"container":{"runAsUser":1000},"pod":{"fsGroup":2}}})"),
      "1", {});
  const json::value& spec = d.at("spec").at("template").at("spec");
  EXPECT_EQ(spec.at("securityContext"), J(R"({"fsGroup":2})"));
  EXPECT_EQ(spec.at("containers").at(0).at("securityContext"), J(R"({"runAsUser":1000})"));
}

TEST(DesiredDeployment, ResourceQuantitiesAreWrittenAsTheApiServerWritesThemBack) {
  json::value d = DesiredDeployment(
      Server(R"({"image":"i","replicas":1,"limits":{"cpu":"0.5","memory":"1024Mi"},
                 "requests":{"cpu":1,"memory":"100Mi","bogus":"x y"}})"),
      "1", ClusterSettings{});
  EXPECT_EQ(d.at("spec").at("template").at("spec").at("containers").at(0).at("resources"),
            J(R"({"limits":{"cpu":"500m","memory":"1Gi"},
                  "requests":{"cpu":"1","memory":"100Mi","bogus":"x y"}})"));
}

TEST(DesiredDeployment, TelemetryGoesToTheSidecarOverOtlpHttpOrToTheCustomCollector) {
  ClusterSettings sidecar;
  sidecar.enable_tracing = true;
  sidecar.otel_sidecar = true;
  json::value d = DesiredDeployment(Server(), "1", sidecar);
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_LOG_FMT"), "otlp");
  EXPECT_EQ(EnvValue(d, "OTEL_EXPORTER_OTLP_ENDPOINT"), "http://localhost:4318");

  ClusterSettings custom;
  custom.enable_metrics = true;
  custom.otel_environment = {{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"}};
  d = DesiredDeployment(Server(), "1", custom);
  EXPECT_EQ(EnvValue(d, "KUBEWARDEN_LOG_FMT"), "<absent>");
  EXPECT_EQ(EnvValue(d, "OTEL_EXPORTER_OTLP_ENDPOINT"), "https://collector:4318");
  EXPECT_EQ(d.at("spec").at("template").at("spec").at("volumes").as_array().size(), 3u);

  // The collector's certificates, from Secrets mounted into the pod: the controller's own paths
  // for them are not passed on.
  custom.otel_environment.emplace_back("OTEL_EXPORTER_OTLP_CERTIFICATE", "/controller/ca.crt");
  custom.otel_environment.emplace_back("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "/controller/k");
  custom.otel_certificate_secret = "otel-ca";
  custom.otel_client_certificate_secret = "otel-client";
  d = DesiredDeployment(Server(), "1", custom);
  EXPECT_EQ(EnvValue(d, "OTEL_EXPORTER_OTLP_CERTIFICATE"), "/otel-collector-certificate/ca.crt");
  EXPECT_EQ(EnvValue(d, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"),
            "/otel-collector-client-certificate/tls.crt");
  EXPECT_EQ(EnvValue(d, "OTEL_EXPORTER_OTLP_CLIENT_KEY"), "/otel-collector-client-certificate/tls.key");
  EXPECT_EQ(EnvValue(d, "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY"), "<absent>");
  const json::value& pod = d.at("spec").at("template").at("spec");
  EXPECT_EQ(pod.at("volumes").at(3), J(R"({"name":"otel-collector-certificate","secret":{"secretName":"otel-ca"}})"));
  EXPECT_EQ(pod.at("volumes").at(4),
            J(R"({"name":"otel-collector-client-certificate","secret":{"secretName":"otel-client"}})"));
  EXPECT_EQ(pod.at("containers").at(0).at("volumeMounts").at(4),
            J(R"({"name":"otel-collector-client-certificate","mountPath":"/otel-collector-client-certificate","readOnly":true})"));
  // The sidecar has no use for them.
  sidecar.otel_certificate_secret = "otel-ca";
  d = DesiredDeployment(Server(), "1", sidecar);
  EXPECT_EQ(EnvValue(d, "OTEL_EXPORTER_OTLP_CERTIFICATE"), "<absent>");
}

TEST(DesiredService, ExposesTheWebhookAndMetricsPorts) {
  ClusterSettings settings;
  settings.enable_metrics = true;
  json::value s = DesiredService(Server(R"({"image":"i","replicas":1,"webhookPort":9443,"metricsPort":9090})"), settings);
  EXPECT_EQ(s.at("spec"), J(R"({"ports":[{"name":"policy-server","port":443,"targetPort":9443,"protocol":"TCP"},
      {"name":"metrics","port":9090,"targetPort":8080,"protocol":"TCP"}],
      "selector":{"app.kubernetes.io/instance":"policy-server-default","app.kubernetes.io/part-of":"kubewarden"}})"));
}

TEST(DesiredPodDisruptionBudget, OnlyWhenAskedFor) {
  EXPECT_FALSE(DesiredPodDisruptionBudget(Server(), {}));
  auto pdb = DesiredPodDisruptionBudget(Server(R"({"image":"i","replicas":2,"minAvailable":"50%"})"), {});
  ASSERT_TRUE(pdb);
  EXPECT_EQ(pdb->at("spec"), J(R"({"selector":{"matchLabels":{"app.kubernetes.io/instance":"policy-server-default",
      "app.kubernetes.io/part-of":"kubewarden","kubewarden/policy-server":"default"}},"minAvailable":"50%"})"));
}

TEST(DesiredCertificateSecret, HoldsTheKeyPairWithTheFormatVersion) {
  json::value s = DesiredCertificateSecret(Server(), "CERT", "KEY", {});
  EXPECT_EQ(s.at("type"), "Opaque");
  EXPECT_EQ(s.at("data"), J(R"({"tls.crt":"Q0VSVA==","tls.key":"S0VZ"})"));
  EXPECT_EQ(s.at("metadata").at("annotations").at("kubewarden.io/cert-format-version"), "1");
}

TEST(DesiredWebhookConfiguration, ClusterWidePolicyExcludesTheDeploymentsNamespace) {
  crd::Policy policy = kCap;
  policy.policy_server = "default";
  policy.namespace_selector = J(R"({"matchLabels":{"env":"prod"},
      "matchExpressions":[{"key":"tier","operator":"In","values":["web"]}]})");
  json::value w = DesiredWebhookConfiguration(policy, "CA", {});
  EXPECT_EQ(w.at("kind"), "ValidatingWebhookConfiguration");
  EXPECT_EQ(w.at("metadata"), J(R"({"name":"clusterwide-privileged","labels":{"app.kubernetes.io/part-of":"kubewarden"},
      "annotations":{"kubewardenPolicyName":"privileged","kubewardenPolicyNamespace":""}})"));
  const json::value& webhook = w.at("webhooks").at(0);
  EXPECT_EQ(webhook.at("name"), "clusterwide-privileged.kubewarden.admission");
  EXPECT_EQ(webhook.at("clientConfig"), J(R"({"service":{"namespace":"kubewarden","name":"policy-server-default",
      "path":"/validate/clusterwide-privileged","port":443},"caBundle":"Q0E="})"));
  // Upstream's quirk: the user's matchLabels are dropped, their expressions kept.
  EXPECT_EQ(webhook.at("namespaceSelector"), J(R"({"matchExpressions":[
      {"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kubewarden"]},
      {"key":"tier","operator":"In","values":["web"]}]})"));
  EXPECT_EQ(webhook.at("sideEffects"), "None");
  EXPECT_EQ(webhook.at("timeoutSeconds"), 10);
  EXPECT_EQ(webhook.at("admissionReviewVersions"), J(R"(["v1"])"));
  EXPECT_FALSE(webhook.as_object().contains("failurePolicy"));

  policy.allow_inside_admission_controller_namespace = true;
  EXPECT_EQ(DesiredWebhookConfiguration(policy, "CA", {}).at("webhooks").at(0).at("namespaceSelector"),
            policy.namespace_selector);
}

TEST(DesiredWebhookConfiguration, NamespacedPolicyIsConfinedToItsNamespace) {
  crd::Policy policy = kAp;
  policy.policy_server = "default";
  json::value w = DesiredWebhookConfiguration(policy, "CA", {});
  EXPECT_EQ(w.at("kind"), "MutatingWebhookConfiguration");
  const json::value& webhook = w.at("webhooks").at(0);
  EXPECT_EQ(webhook.at("namespaceSelector"),
            J(R"({"matchLabels":{"kubernetes.io/metadata.name":"team-a"}})"));
  EXPECT_EQ(webhook.at("rules").at(0).at("scope"), "Namespaced");
  EXPECT_EQ(webhook.at("clientConfig").at("service").at("path"), "/validate/namespaced-team-a-psa");
}

}  // namespace
}  // namespace kw::controller
