// kubewarden-controller against the API-server double, with real policy-server processes as the
// replicas of a PolicyServer. Nothing runs a kubelet here: the tests create each replica's Pod
// object and start policy-server with --pod-name/--pod-namespace, as the downward API would
// (crd/replica_report.h).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "base/base64.h"
#include "base/json.h"
#include "certs/certificates.h"
#include "testing/kube_double.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using std::chrono::seconds;

constexpr const char* kNamespace = "kubewarden";

std::string PrivilegedPod() { return testing::RequestFile("pod_privileged.json"); }

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::KubeDoubleOptions options;
    for (const char* crd : {"policyservers", "clusteradmissionpolicies", "admissionpolicies",
                            "clusteradmissionpolicygroups", "admissionpolicygroups"}) {
      options.seed_files.push_back(
          testing::SourcePath(std::string("deploy/crds/policies.kubewarden.io_") + crd + ".yaml"));
    }
    kube_ = std::make_unique<testing::KubeApiServerDouble>(options);
    kube_->Seed(std::string("apiVersion: v1\nkind: Namespace\nmetadata: {name: ") + kNamespace +
                "}\n");
    StartController();
  }

  void StartController() {
    std::vector<std::string> argv{testing::ControllerBinary(), "--kubeconfig",
                                  kube_->KubeconfigPath(), "--deployments-namespace", kNamespace,
                                  "--metrics-bind-address", "0", "--health-probe-bind-address",
                                  "0", "--zap-devel"};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    controller_ = std::make_unique<testing::ChildProcess>(argv);
  }

  // GET of an API path: the object, or null when it is not there.
  json::value Get(const std::string& path) {
    testing::HttpResult result = kube_->Request("GET", path);
    if (result.status != 200) return nullptr;
    auto parsed = ParseJson(result.body);
    return parsed ? *parsed : json::value();
  }

  void Apply(const std::string& yaml) { kube_->Seed(yaml); }

  void Patch(const std::string& path, const std::string& merge_patch) {
    testing::HttpResult result =
        kube_->Request("PATCH", path, merge_patch, "application/merge-patch+json");
    EXPECT_EQ(result.status, 200) << result.body;
  }

  json::value PolicyServerObject(const std::string& kind_path) {
    return Get("/api/v1/namespaces/kubewarden/" + kind_path + "/policy-server-default");
  }

  // A policy-server process serving the replica `pod` of PolicyServer `server`.
  std::unique_ptr<testing::PolicyServer> StartReplica(const std::string& pod,
                                                      const std::string& server = "default") {
    kube_->Seed("apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + pod + "\n  namespace: " +
                kNamespace + "\n  labels: {kubewarden/policy-server: " + server +
                "}\nspec:\n  containers: [{name: policy-server, image: policy-server}]\n");
    return testing::PolicyServer::Start(
        "{}", {"--kubeconfig", kube_->KubeconfigPath(), "--policies-configmap",
               "policy-server-" + server, "--pod-name", pod, "--pod-namespace", kNamespace,
               "--continue-on-errors"});
  }

  std::string PolicyStatus(const std::string& name) {
    json::value policy =
        Get("/apis/policies.kubewarden.io/v1/clusteradmissionpolicies/" + name);
    return policy.is_null() ? "" : StringAt(policy, {"status", "policyStatus"});
  }

  // The default PolicyServer with one replica, and the privileged policy active on it; the
  // replica, or nullptr (a test failure recorded) when that does not happen.
  std::unique_ptr<testing::PolicyServer> StartActivePolicy();

  void TearDown() override {
    if (controller_ && controller_->Running()) {
      controller_->Signal(SIGTERM);
      EXPECT_TRUE(controller_->Wait(seconds(10)).has_value());
    }
    if (HasFailure() && controller_) {
      std::cerr << "controller output:\n" << controller_->Stdout() << controller_->Stderr() << "\n";
    }
  }

  std::unique_ptr<testing::KubeApiServerDouble> kube_;
  std::unique_ptr<testing::ChildProcess> controller_;
  std::vector<std::string> extra_args_;
};

// With deploy/defaults applied as an operator would: the controller applies the documents of
// the kubewarden-defaults ConfigMap and keeps them as they say.
class ControllerDefaultsTest : public ControllerTest {
 protected:
  void SetUp() override {
    extra_args_ = {"--defaults-configmap-name", "kubewarden-defaults"};
    ControllerTest::SetUp();
    testing::ProcessResult rendered = testing::RunProcess(
        {"/usr/bin/kubectl", "kustomize", testing::SourcePath("deploy/defaults")});
    ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
    kube_->Seed(rendered.out);
  }
};

// Telemetry to a custom collector over TLS, as upstream's chart configures it.
class ControllerTelemetryTest : public ControllerTest {
 protected:
  void SetUp() override {
    extra_args_ = {"--enable-tracing", "--opentelemetry-certificate-secret", "otel-ca",
                   "--opentelemetry-client-certificate-secret", "otel-client"};
    ControllerTest::SetUp();
  }
};

const char* kPolicyServer = R"(apiVersion: policies.kubewarden.io/v1
kind: PolicyServer
metadata: {name: default}
spec:
  image: ghcr.io/kubewarden/policy-server:v1.37.2
  replicas: 1
  minAvailable: 1
)";

std::string PrivilegedPolicy(bool skip_init_containers, const std::string& extra = "") {
  return std::string(R"(apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: privileged}
spec:
  policyServer: default
  module: file://)") +
         testing::TestData("../../policies/pod-privileged.wasm") + R"(
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    resources: [pods]
    operations: [CREATE]
  mutating: false
  settings: {skip_init_containers: )" +
         (skip_init_containers ? "true" : "false") + "}\n" + extra;
}

std::unique_ptr<testing::PolicyServer> ControllerTest::StartActivePolicy() {
  Apply(kPolicyServer);
  auto replica = StartReplica("policy-server-default-1");
  if (replica == nullptr) return nullptr;
  Apply(PrivilegedPolicy(false));
  if (!testing::Eventually([&] { return PolicyStatus("privileged") == "active"; }, seconds(30))) {
    ADD_FAILURE() << "the policy is not active: " << PolicyStatus("privileged");
    return nullptr;
  }
  return replica;
}

TEST_F(ControllerTest, PolicyServerGetsItsObjectsSignedByTheCaItCreates) {
  Apply(kPolicyServer);
  ASSERT_TRUE(testing::Eventually(
      [&] {
        json::value server = Get("/apis/policies.kubewarden.io/v1/policyservers/default");
        const json::value* status = FindKey(server, "status");
        const json::value* conditions = status ? FindKey(*status, "conditions") : nullptr;
        if (conditions == nullptr || !conditions->is_array() || conditions->as_array().size() < 5) return false;
        for (const json::value& c : conditions->as_array()) {
          if (StringAt(c, {"status"}) != "True") return false;
        }
        return true;
      },
      seconds(20)));
  json::value server = Get("/apis/policies.kubewarden.io/v1/policyservers/default");
  EXPECT_EQ(server.at("metadata").at("finalizers"), json::array{"kubewarden.io/finalizer"});

  json::value deployment = Get("/apis/apps/v1/namespaces/kubewarden/deployments/policy-server-default");
  ASSERT_FALSE(deployment.is_null());
  json::value config_map = PolicyServerObject("configmaps");
  ASSERT_FALSE(config_map.is_null());
  EXPECT_EQ(config_map.at("data").at("policies.yml"), "{}");
  EXPECT_EQ(StringAt(deployment, {"metadata", "annotations", "kubewarden/config-version"}),
            StringAt(config_map, {"metadata", "resourceVersion"}));
  EXPECT_FALSE(PolicyServerObject("services").is_null());
  EXPECT_FALSE(Get("/apis/policy/v1/namespaces/kubewarden/poddisruptionbudgets/policy-server-default").is_null());

  json::value ca = Get("/api/v1/namespaces/kubewarden/secrets/kubewarden-ca");
  ASSERT_FALSE(ca.is_null());
  json::value secret = PolicyServerObject("secrets");
  ASSERT_FALSE(secret.is_null());
  const std::string ca_pem = *Base64Decode(ca.at("data").at("ca.crt").as_string());
  const std::string cert = *Base64Decode(secret.at("data").at("tls.crt").as_string());
  const std::string key = *Base64Decode(secret.at("data").at("tls.key").as_string());
  auto checked = certs::CheckServing(cert, key, {ca_pem}, "policy-server-default.kubewarden.svc",
                                     std::chrono::system_clock::now());
  EXPECT_TRUE(checked) << checked.error().message;
  for (const char* owned : {"configmaps", "services", "secrets"}) {
    EXPECT_EQ(StringAt(PolicyServerObject(owned).at("metadata").at("ownerReferences").at(0), {"uid"}),
              StringAt(server, {"metadata", "uid"}))
        << owned;
  }
}

TEST_F(ControllerTest, PolicyGoesLiveOnEveryReplicaWithoutARestartAndThenActive) {
  Apply(kPolicyServer);
  auto replica = StartReplica("policy-server-default-1");
  ASSERT_NE(replica, nullptr);
  Apply(PrivilegedPolicy(false));
  ASSERT_TRUE(testing::Eventually([&] { return PolicyStatus("privileged") == "active"; },
                                  seconds(30)))
      << PolicyStatus("privileged");

  json::value webhook = Get(
      "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/clusterwide-privileged");
  ASSERT_FALSE(webhook.is_null());
  json::value ca = Get("/api/v1/namespaces/kubewarden/secrets/kubewarden-ca");
  EXPECT_EQ(webhook.at("webhooks").at(0).at("clientConfig").at("caBundle"), ca.at("data").at("ca.crt"));
  json::value policy = Get("/apis/policies.kubewarden.io/v1/clusteradmissionpolicies/privileged");
  EXPECT_EQ(StringAt(policy, {"status", "mode"}), "protect");

  // The replica serves it, from the ConfigMap it follows through the API.
  const std::string review = PrivilegedPod();
  auto answer = replica->Post("/validate/clusterwide-privileged", review);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find("\"allowed\":false"), std::string::npos) << answer.body;

  // A change reaches the running replica (the same process: no pod restart), then every
  // replica reports the new ConfigMap version.
  Patch("/apis/policies.kubewarden.io/v1/clusteradmissionpolicies/privileged",
        R"({"spec":{"message":"privileged pods are not welcome"}})");
  ASSERT_TRUE(testing::Eventually(
      [&] {
        auto changed = replica->Post("/validate/clusterwide-privileged", review);
        return changed.body.find("privileged pods are not welcome") != std::string::npos;
      },
      seconds(10)));
  EXPECT_TRUE(replica->process().Running());
  ASSERT_TRUE(testing::Eventually(
      [&] {
        const std::string version =
            StringAt(PolicyServerObject("configmaps"), {"metadata", "resourceVersion"});
        json::value pod = Get("/api/v1/namespaces/kubewarden/pods/policy-server-default-1");
        const std::string report =
            StringAt(pod, {"metadata", "annotations", "kubewarden.io/served-configuration"});
        return report.find("\"resourceVersion\":\"" + version + "\"") != std::string::npos;
      },
      seconds(10)));
}

TEST_F(ControllerTelemetryTest, TheCollectorsCertificatesAreMountedIntoThePolicyServers) {
  Apply(kPolicyServer);
  json::value pod;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        pod = Get("/apis/apps/v1/namespaces/kubewarden/deployments/policy-server-default");
        return !pod.is_null();
      },
      seconds(20)));
  const json::value& spec = pod.at("spec").at("template").at("spec");
  std::map<std::string, std::string> secrets;
  for (const json::value& volume : spec.at("volumes").as_array()) {
    secrets[StringAt(volume, {"name"})] = StringAt(volume, {"secret", "secretName"});
  }
  EXPECT_EQ(secrets["otel-collector-certificate"], "otel-ca");
  EXPECT_EQ(secrets["otel-collector-client-certificate"], "otel-client");
  std::map<std::string, std::string> env;
  for (const json::value& variable : spec.at("containers").at(0).at("env").as_array()) {
    env[StringAt(variable, {"name"})] = StringAt(variable, {"value"});
  }
  EXPECT_EQ(env["KUBEWARDEN_LOG_FMT"], "otlp");
  EXPECT_EQ(env["OTEL_EXPORTER_OTLP_CERTIFICATE"], "/otel-collector-certificate/ca.crt");
  EXPECT_EQ(env["OTEL_EXPORTER_OTLP_CLIENT_KEY"], "/otel-collector-client-certificate/tls.key");
}

// What a PolicyServer stops asking for leaves its objects too: a label, an annotation, a
// resource limit taken out of the spec is gone from the Deployment, though what remains is
// still all there (the live object still "covers" the desired one).
TEST_F(ControllerTest, WhatAPolicyServerNoLongerSetsIsRemovedFromItsObjects) {
  Apply(R"(apiVersion: policies.kubewarden.io/v1
kind: PolicyServer
metadata: {name: default}
spec:
  image: policy-server
  replicas: 1
  labels: {team: a, tier: b}
  annotations: {note: x}
  limits: {cpu: "1", memory: 1Gi}
)");
  const auto deployment = [&] {
    return Get("/apis/apps/v1/namespaces/kubewarden/deployments/policy-server-default");
  };
  ASSERT_TRUE(testing::Eventually(
      [&] { return StringAt(deployment(), {"metadata", "labels", "team"}) == "a"; }, seconds(20)));
  const std::string path = "/apis/policies.kubewarden.io/v1/policyservers/default";
  Patch(path, R"({"spec":{"labels":{"team":null},"annotations":null,"limits":{"memory":null}}})");
  ASSERT_TRUE(testing::Eventually(
      [&] {
        const json::value d = deployment();
        const json::value& pod = d.at("spec").at("template");
        return StringAt(d, {"metadata", "labels", "team"}).empty() &&
               StringAt(d, {"metadata", "labels", "tier"}) == "b" &&
               StringAt(d, {"metadata", "annotations", "note"}).empty() &&
               StringAt(pod, {"metadata", "labels", "team"}).empty() &&
               StringAt(pod, {"metadata", "annotations", "note"}).empty() &&
               FindKey(pod.at("spec").at("containers").at(0).at("resources").at("limits"),
                       "memory") == nullptr;
      },
      seconds(20)))
      << ToJson(deployment());
  // And nothing more is written once it is so.
  std::this_thread::sleep_for(seconds(2));
  kube_->ResetCounters();
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(kube_->Request("GET", "/double/requests?verb=patch&path=/apis/apps/v1/namespaces/"
                                  "kubewarden/deployments/policy-server-default")
                .body,
            R"({"count":0})");
}

// Upstream's policy-server image does not report what it serves on its Pod (nor does ours
// without `patch` on it). For such replicas the controller does as upstream's does: the pod
// template carries the ConfigMap's version, so every change rolls out new pods, and a pod that
// is Ready with the current version serves it. Nothing runs a kubelet here: the test plays it,
// starting each pod's policy-server from the ConfigMap's policies.yml as its volume would hold it.
TEST_F(ControllerTest, ReplicasThatDoNotReportAreRolledOutOnEveryChangeAsUpstreamDoes) {
  Apply(kPolicyServer);
  const auto start_pod = [&](const std::string& name, const std::string& version) {
    kube_->Seed("apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " +
                kNamespace + "\n  labels: {kubewarden/policy-server: default" +
                (version.empty() ? "" : ", kubewarden/config-version: '" + version + "'") +
                "}\nspec:\n  containers: [{name: policy-server, image: policy-server}]\n");
    // Ready since long ago, as the kubelet would write it.
    testing::HttpResult ready = kube_->Request(
        "PATCH", "/api/v1/namespaces/kubewarden/pods/" + name + "/status",
        R"({"status":{"conditions":[{"type":"Ready","status":"True",)"
        R"("lastTransitionTime":"2000-01-01T00:00:00Z"}]}})",
        "application/merge-patch+json");
    EXPECT_EQ(ready.status, 200) << ready.body;
  };
  const auto template_version = [&] {
    return StringAt(Get("/apis/apps/v1/namespaces/kubewarden/deployments/policy-server-default"),
                    {"spec", "template", "metadata", "labels", "kubewarden/config-version"});
  };
  const auto config_map_version = [&] {
    return StringAt(PolicyServerObject("configmaps"), {"metadata", "resourceVersion"});
  };

  // A replica Ready for long without a report: from now on the template carries the version.
  start_pod("policy-server-default-a", "");
  ASSERT_TRUE(testing::Eventually([&] { return !template_version().empty(); }, seconds(20)));
  EXPECT_EQ(template_version(), config_map_version());

  // A new policy changes the ConfigMap, and the template with it: a rollout. Until a pod of the
  // new version is Ready, the policy waits.
  Apply(PrivilegedPolicy(false));
  ASSERT_TRUE(testing::Eventually(
      [&] {
        const json::value config_map = PolicyServerObject("configmaps");
        return StringAt(config_map, {"data", "policies.yml"}).find("clusterwide-privileged") !=
                   std::string::npos &&
               template_version() == StringAt(config_map, {"metadata", "resourceVersion"});
      },
      seconds(20)));
  ASSERT_TRUE(testing::Eventually([&] { return PolicyStatus("privileged") == "pending"; },
                                  seconds(10)));

  // The rollout: the old pod goes, a new one starts from the new configuration.
  const std::string version = config_map_version();
  EXPECT_EQ(kube_->Request("DELETE", "/api/v1/namespaces/kubewarden/pods/policy-server-default-a")
                .status,
            200);
  auto replica = testing::PolicyServer::Start(
      StringAt(PolicyServerObject("configmaps"), {"data", "policies.yml"}),
      {"--continue-on-errors"});
  ASSERT_NE(replica, nullptr);
  start_pod("policy-server-default-b", version);
  ASSERT_TRUE(testing::Eventually([&] { return PolicyStatus("privileged") == "active"; },
                                  seconds(30)))
      << PolicyStatus("privileged");
  EXPECT_FALSE(Get("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
                   "clusterwide-privileged")
                   .is_null());
  auto answer = replica->Post("/validate/clusterwide-privileged", PrivilegedPod());
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find("\"allowed\":false"), std::string::npos) << answer.body;

  // A replica of ours that reports turns the restarts off again.
  replica.reset();
  EXPECT_EQ(kube_->Request("DELETE", "/api/v1/namespaces/kubewarden/pods/policy-server-default-b")
                .status,
            200);
  auto reporting = StartReplica("policy-server-default-c");
  ASSERT_NE(reporting, nullptr);
  EXPECT_TRUE(testing::Eventually([&] { return template_version().empty(); }, seconds(20)));
}

TEST_F(ControllerTest, MakesNoWritesAtSteadyState) {
  auto replica = StartActivePolicy();
  ASSERT_NE(replica, nullptr);
  // Let the last events settle, then watch a quiet period.
  std::this_thread::sleep_for(seconds(2));
  kube_->ResetCounters();
  std::this_thread::sleep_for(seconds(5));
  testing::HttpResult requests = kube_->Request("GET", "/double/requests");
  auto parsed = ParseJson(requests.body);
  ASSERT_TRUE(parsed);
  for (const json::value& entry : parsed->at("requests").as_array()) {
    const std::string verb = StringAt(entry, {"verb"});
    EXPECT_TRUE(verb == "get" || verb == "list" || verb == "watch")
        << verb << " " << StringAt(entry, {"path"});
  }
}

TEST_F(ControllerTest, HandEditedConfigMapIsReverted) {
  Apply(kPolicyServer);
  ASSERT_TRUE(testing::Eventually([&] { return !PolicyServerObject("configmaps").is_null(); },
                                  seconds(20)));
  Patch("/api/v1/namespaces/kubewarden/configmaps/policy-server-default",
        R"({"data":{"policies.yml":"{\"clusterwide-evil\":{\"module\":\"registry://evil\"}}"}})");
  EXPECT_TRUE(testing::Eventually(
      [&] { return StringAt(PolicyServerObject("configmaps"), {"data", "policies.yml"}) == "{}"; },
      seconds(10)));
}

TEST_F(ControllerTest, ABrokenPolicyFailsAloneAndOpenWithFailurePolicyIgnore) {
  Apply(kPolicyServer);
  auto replica = StartReplica("policy-server-default-1");
  ASSERT_NE(replica, nullptr);
  Apply(R"(apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: broken}
spec:
  policyServer: default
  module: file:///nonexistent/policy.wasm
  failurePolicy: Ignore
  rules: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]}]
  mutating: false
)");
  Apply(PrivilegedPolicy(false));
  ASSERT_TRUE(testing::Eventually([&] { return PolicyStatus("privileged") == "active"; },
                                  seconds(30)));
  ASSERT_TRUE(testing::Eventually(
      [&] {
        json::value broken = Get("/apis/policies.kubewarden.io/v1/clusteradmissionpolicies/broken");
        const json::value* status = FindKey(broken, "status");
        const json::value* conditions = status ? FindKey(*status, "conditions") : nullptr;
        if (conditions == nullptr) return false;
        for (const json::value& c : conditions->as_array()) {
          if (StringAt(c, {"type"}) == "PolicyLoaded") {
            return StringAt(c, {"reason"}) == "LoadFailed" &&
                   StringAt(c, {"message"}).find("nonexistent") != std::string::npos;
          }
        }
        return false;
      },
      seconds(20)));
  EXPECT_EQ(PolicyStatus("broken"), "pending");
  EXPECT_TRUE(Get("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/clusterwide-broken")
                  .is_null());
}

TEST_F(ControllerTest, DeletionRemovesWebhooksAndFinalizers) {
  auto replica = StartActivePolicy();
  ASSERT_NE(replica, nullptr);
  const std::string webhook =
      "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/clusterwide-privileged";
  // The PolicyServer goes first: its policies lose their webhook and wait for a new server.
  kube_->Request("DELETE", "/apis/policies.kubewarden.io/v1/policyservers/default");
  EXPECT_TRUE(testing::Eventually(
      [&] { return Get("/apis/policies.kubewarden.io/v1/policyservers/default").is_null(); },
      seconds(20)));
  EXPECT_TRUE(Get(webhook).is_null());
  EXPECT_TRUE(testing::Eventually([&] { return PolicyStatus("privileged") == "scheduled"; },
                                  seconds(10)));
  // What it owned goes with it (the garbage collector follows the owner references).
  for (const char* owned : {"configmaps", "services", "secrets"}) {
    EXPECT_TRUE(testing::Eventually([&] { return PolicyServerObject(owned).is_null(); },
                                    seconds(10)))
        << owned;
  }
  EXPECT_TRUE(
      Get("/apis/apps/v1/namespaces/kubewarden/deployments/policy-server-default").is_null());
  kube_->Request("DELETE", "/apis/policies.kubewarden.io/v1/clusteradmissionpolicies/privileged");
  EXPECT_TRUE(testing::Eventually(
      [&] {
        return Get("/apis/policies.kubewarden.io/v1/clusteradmissionpolicies/privileged").is_null();
      },
      seconds(20)));
}

// A root CA 30 days from its end (an install made almost 10 years ago): the controller replaces
// it, keeps the old one in every caBundle while what it signed is still served, and re-issues
// the serving certificates under the new one.
TEST_F(ControllerTest, ACaNearItsEndIsRotatedWithTheOldOneKeptInTheBundles) {
  const auto now = std::chrono::system_clock::now();
  auto old_ca = certs::CreateCa(now - std::chrono::days(3620));
  ASSERT_TRUE(old_ca) << old_ca.error().message;
  controller_->Signal(SIGTERM);
  ASSERT_TRUE(controller_->Wait(seconds(10)).has_value());
  kube_->Seed(std::string("apiVersion: v1\nkind: Secret\nmetadata: {name: kubewarden-ca, namespace: ") +
              kNamespace + "}\ntype: Opaque\ndata:\n  ca.crt: " + Base64Encode(old_ca->cert_pem) +
              "\n  ca.key: " + Base64Encode(old_ca->key_pem) + "\n");
  StartController();
  auto replica = StartActivePolicy();
  ASSERT_NE(replica, nullptr);

  json::value ca = Get("/api/v1/namespaces/kubewarden/secrets/kubewarden-ca");
  const std::string new_ca = *Base64Decode(ca.at("data").at("ca.crt").as_string());
  EXPECT_NE(new_ca, old_ca->cert_pem);
  EXPECT_EQ(*Base64Decode(ca.at("data").at("old-ca.crt").as_string()), old_ca->cert_pem);
  // The policy can turn active before the controller has seen its own rotation come back
  // through the informer (it may have signed the first serving certificate with the CA it then
  // had in its cache); the rotation's arrival re-queues every policy server, which converges.
  const auto bundle = [&] {
    json::value webhook = Get(
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
        "clusterwide-privileged");
    return *Base64Decode(
        webhook.at("webhooks").at(0).at("clientConfig").at("caBundle").as_string());
  };
  EXPECT_TRUE(testing::Eventually([&] { return bundle() == new_ca + old_ca->cert_pem; },
                                  seconds(10)))
      << bundle();
  Result<void> checked;
  EXPECT_TRUE(testing::Eventually(
      [&] {
        json::value secret = PolicyServerObject("secrets");
        checked = certs::CheckServing(*Base64Decode(secret.at("data").at("tls.crt").as_string()),
                                      std::nullopt, {new_ca},
                                      "policy-server-default.kubewarden.svc", now);
        return checked.has_value();
      },
      seconds(10)))
      << checked.error().message;
}

TEST_F(ControllerTest, PolicyOfAMissingPolicyServerIsScheduled) {
  Apply(PrivilegedPolicy(false));
  EXPECT_TRUE(testing::Eventually([&] { return PolicyStatus("privileged") == "scheduled"; },
                                  seconds(10)));
  Patch("/apis/policies.kubewarden.io/v1/clusteradmissionpolicies/privileged",
        R"({"spec":{"policyServer":""}})");
  EXPECT_TRUE(testing::Eventually([&] { return PolicyStatus("privileged") == "unscheduled"; },
                                  seconds(10)));
}

TEST_F(ControllerTest, FailedApiRequestsAreRetriedUntilTheyGoThrough) {
  Apply(kPolicyServer);
  auto replica = StartReplica("policy-server-default-1");
  ASSERT_NE(replica, nullptr);
  ASSERT_TRUE(testing::Eventually([&] { return !PolicyServerObject("configmaps").is_null(); },
                                  seconds(20)));
  // The API server refuses the controller's writes and cuts its new watches for a while.
  kube_->Faults(R"([{"path":"/api/v1/namespaces/kubewarden/configmaps","verb":"patch","count":4,
                     "status":503,"reason":"ServiceUnavailable","message":"etcd is away"},
                    {"path":"/apis/policies.kubewarden.io","verb":"patch","count":4,"status":500,
                     "reason":"InternalError","message":"try again"},
                    {"path":"/apis/policies.kubewarden.io","verb":"update","count":4,"status":500,
                     "reason":"InternalError","message":"try again"}])");
  Apply(PrivilegedPolicy(false));
  EXPECT_TRUE(testing::Eventually([&] { return PolicyStatus("privileged") == "active"; },
                                  seconds(30)))
      << PolicyStatus("privileged");
  // It did meet the failures (and logged them).
  const std::string logs = controller_->Stdout();
  EXPECT_TRUE(logs.find("etcd is away") != std::string::npos ||
              logs.find("try again") != std::string::npos)
      << logs;
}

TEST_F(ControllerTest, OneLeaderAtATimeAndTheStandbyTakesOver) {
  // Replace the plain controller with two candidates.
  controller_->Signal(SIGTERM);
  ASSERT_TRUE(controller_->Wait(seconds(10)).has_value());
  extra_args_ = {"--leader-elect"};
  StartController();
  std::unique_ptr<testing::ChildProcess> first = std::move(controller_);
  ASSERT_TRUE(testing::Eventually(
      [&] { return first->Stdout().find("became the leader") != std::string::npos; },
      seconds(20)));
  StartController();  // the standby
  Apply(kPolicyServer);
  ASSERT_TRUE(testing::Eventually([&] { return !PolicyServerObject("configmaps").is_null(); },
                                  seconds(20)));
  EXPECT_EQ(controller_->Stdout().find("became the leader"), std::string::npos);
  json::value lease =
      Get("/apis/coordination.k8s.io/v1/namespaces/kubewarden/leases/a4ddbf36.kubewarden.io");
  EXPECT_FALSE(StringAt(lease, {"spec", "holderIdentity"}).empty());

  // The leader stops (releasing the Lease): the standby takes over and reconciles.
  first->Signal(SIGTERM);
  ASSERT_TRUE(first->Wait(seconds(10)).has_value());
  ASSERT_TRUE(testing::Eventually(
      [&] { return controller_->Stdout().find("became the leader") != std::string::npos; },
      seconds(30)));
  Apply(PrivilegedPolicy(false));
  EXPECT_TRUE(testing::Eventually([&] { return PolicyStatus("privileged") != ""; }, seconds(20)));
}

// With the controller's own webhooks installed from deploy/controller and the API server calling
// them: invalid resources are refused with upstream's messages, defaults filled in.
class ControllerWebhooksTest : public ControllerTest {
 protected:
  void SetUp() override {
    webhook_port_ = testing::FreeLoopbackPort();
    extra_args_ = {"--webhook-server-address", "127.0.0.1", "--webhook-server-port",
                   std::to_string(webhook_port_)};
    ControllerTest::SetUp();
    kube_->MapService(kNamespace, "kubewarden-controller-webhook-service",
                      "127.0.0.1:" + std::to_string(webhook_port_));
    testing::ProcessResult rendered = testing::RunProcess(
        {"/usr/bin/kubectl", "kustomize", testing::SourcePath("deploy/controller")});
    ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
    // Everything but the Namespace, which exists already.
    const std::size_t first_document = rendered.out.find("---\n");
    ASSERT_NE(first_document, std::string::npos);
    kube_->Seed(rendered.out.substr(first_document + 4));
    // Once the controller trusts its own webhooks, and serves them, they are in use.
    ASSERT_TRUE(testing::Eventually(
        [&] {
          json::value webhooks = Get(
              "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
              "kubewarden-controller-validating-webhook-configuration");
          return !StringAt(webhooks.at("webhooks").at(0), {"clientConfig", "caBundle"}).empty() &&
                 controller_->Stdout().find("serving the admission webhooks") != std::string::npos;
        },
        seconds(20)));
  }

  testing::HttpResult Create(const std::string& path, const std::string& yaml) {
    return kube_->Request("POST", path, yaml, "application/yaml");
  }

  int webhook_port_ = 0;
};

TEST_F(ControllerWebhooksTest, InvalidResourcesAreRefusedWithUpstreamsMessages) {
  const std::string caps = "/apis/policies.kubewarden.io/v1/clusteradmissionpolicies";
  testing::HttpResult no_rules = Create(caps, R"(apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: empty}
spec: {module: "registry://ghcr.io/kubewarden/policies/pod-privileged:v1.0.13", rules: [], mutating: false}
)");
  EXPECT_GE(no_rules.status, 400);
  EXPECT_NE(no_rules.body.find(R"(admission webhook \"vclusteradmissionpolicy.kb.io\" denied the request: ClusterAdmissionPolicy.policies.kubewarden.io \"empty\" is invalid: spec.rules: Required value)"),
            std::string::npos)
      << no_rules.body;
  EXPECT_EQ(no_rules.status, 422);

  testing::HttpResult group = Create(
      "/apis/policies.kubewarden.io/v1/clusteradmissionpolicygroups",
      R"j(apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicyGroup
metadata: {name: images}
spec:
  rules: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]}]
  expression: "signed() || unknown()"
  message: refused
  policies:
    signed: {module: "registry://ghcr.io/kubewarden/policies/verify-image-signatures:v1"}
)j");
  EXPECT_GE(group.status, 400);
  EXPECT_NE(group.body.find("unknown"), std::string::npos) << group.body;

  // A matchCondition that is not CEL: refused now, not when the webhook is registered.
  testing::HttpResult condition = Create(caps, R"(apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: bad-condition}
spec:
  module: "registry://ghcr.io/kubewarden/policies/pod-privileged:v1.0.13"
  rules: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]}]
  mutating: false
  matchConditions: [{name: broken, expression: "object.metadata.name =="}]
)");
  EXPECT_EQ(condition.status, 422) << condition.body;
  EXPECT_NE(condition.body.find(
                R"(spec.matchConditions[0].expression: Invalid value: \"object.metadata.name ==\": compilation failed: ERROR: <input>:1:24: Syntax error:)"),
            std::string::npos)
      << condition.body;

  // Defaulted by the mutating webhook: the finalizer (and the policy server, also a CRD default).
  testing::HttpResult good = Create(caps, PrivilegedPolicy(false));
  ASSERT_EQ(good.status, 201) << good.body;
  auto created = ParseJson(good.body);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->at("metadata").at("finalizers"), json::array{"kubewarden.io/finalizer"});

  // protect -> monitor is refused; the policy server cannot change.
  testing::HttpResult monitor = kube_->Request("PATCH", caps + "/privileged",
                                               R"({"spec":{"mode":"monitor"}})",
                                               "application/merge-patch+json");
  EXPECT_GE(monitor.status, 400);
  EXPECT_NE(monitor.body.find("Recreate instead"), std::string::npos) << monitor.body;
  testing::HttpResult moved = kube_->Request("PATCH", caps + "/privileged",
                                             R"({"spec":{"policyServer":"other"}})",
                                             "application/merge-patch+json");
  EXPECT_GE(moved.status, 400) << moved.body;

  // A PolicyServer whose image pull Secret does not exist.
  testing::HttpResult server = Create("/apis/policies.kubewarden.io/v1/policyservers",
                                      R"(apiVersion: policies.kubewarden.io/v1
kind: PolicyServer
metadata: {name: pulls}
spec: {image: policy-server, replicas: 1, imagePullSecret: missing}
)");
  EXPECT_GE(server.status, 400);
  EXPECT_NE(server.body.find("missing"), std::string::npos) << server.body;
}

// The whole path: a Pod created through the API server is refused by the policy a replica
// serves, through the webhook configuration the controller made.
TEST_F(ControllerTest, APodIsRefusedThroughTheWebhookTheControllerMade) {
  Apply(kPolicyServer);
  ASSERT_TRUE(testing::Eventually([&] { return !PolicyServerObject("secrets").is_null(); },
                                  seconds(20)));
  // The replica serves HTTPS with the certificate the controller issued for its Service.
  json::value secret = PolicyServerObject("secrets");
  const std::string dir = testing::TestData("");
  char cert_path[] = "/tmp/kw-controller-cert-XXXXXX";
  char key_path[] = "/tmp/kw-controller-key-XXXXXX";
  ASSERT_NE(mkstemp(cert_path), -1);
  ASSERT_NE(mkstemp(key_path), -1);
  std::ofstream(cert_path) << *Base64Decode(secret.at("data").at("tls.crt").as_string());
  std::ofstream(key_path) << *Base64Decode(secret.at("data").at("tls.key").as_string());
  kube_->Seed(std::string("apiVersion: v1\nkind: Pod\nmetadata:\n  name: replica\n  namespace: ") +
              kNamespace + "\n  labels: {kubewarden/policy-server: default}\nspec:\n  containers: "
              "[{name: policy-server, image: policy-server}]\n");
  auto replica = testing::PolicyServer::Start(
      "{}", {"--kubeconfig", kube_->KubeconfigPath(), "--policies-configmap",
             "policy-server-default", "--pod-name", "replica", "--pod-namespace", kNamespace,
             "--cert-file", cert_path, "--key-file", key_path});
  ASSERT_NE(replica, nullptr);
  kube_->MapService(kNamespace, "policy-server-default",
                    "127.0.0.1:" + std::to_string(replica->port()));
  Apply(PrivilegedPolicy(false));
  ASSERT_TRUE(testing::Eventually([&] { return PolicyStatus("privileged") == "active"; },
                                  seconds(30)));

  kube_->Seed("apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n");
  // A Pod created through the API server, as kubectl would.
  const auto create_pod = [&](const std::string& ns, const std::string& name, bool privileged) {
    return kube_->Request(
        "POST", "/api/v1/namespaces/" + ns + "/pods",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
            "}\nspec:\n  containers:\n  - name: c\n    image: nginx\n" +
            (privileged ? "    securityContext: {privileged: true}\n" : ""),
        "application/yaml");
  };
  testing::HttpResult privileged = create_pod("team", "root", true);
  EXPECT_EQ(privileged.status, 400) << privileged.body;
  EXPECT_NE(privileged.body.find(
                R"(admission webhook \"clusterwide-privileged.kubewarden.admission\" denied the request: Privileged container is not allowed)"),
            std::string::npos)
      << privileged.body;
  testing::HttpResult plain = create_pod("team", "fine", false);
  EXPECT_EQ(plain.status, 201) << plain.body;
  // The deployments namespace is excluded by the namespace selector.
  testing::HttpResult own = create_pod("kubewarden", "root", true);
  EXPECT_EQ(own.status, 201) << own.body;
  std::remove(cert_path);
  std::remove(key_path);
}

TEST_F(ControllerTest, EveryDeployBaseRendersAndApplies) {
  for (const char* base : {"deploy/controller", "deploy/defaults", "deploy/audit-scanner"}) {
    testing::ProcessResult rendered =
        testing::RunProcess({"/usr/bin/kubectl", "kustomize", testing::SourcePath(base)});
    ASSERT_EQ(rendered.exit_code, 0) << base << ": " << rendered.err;
    std::string documents = rendered.out;
    // The controller's base makes the namespace, which the fixture made already.
    if (documents.starts_with("apiVersion: v1\nkind: Namespace\n")) {
      documents = documents.substr(documents.find("---\n") + 4);
    }
    kube_->Seed(documents);
  }
  EXPECT_FALSE(Get("/apis/apps/v1/namespaces/kubewarden/deployments/kubewarden-controller").is_null());
  EXPECT_FALSE(Get("/apis/batch/v1/namespaces/kubewarden/cronjobs/audit-scanner").is_null());
  EXPECT_FALSE(Get("/api/v1/namespaces/kubewarden/configmaps/kubewarden-defaults").is_null());
}

json::value ListItems(testing::KubeApiServerDouble& kube, const std::string& path) {
  testing::HttpResult result = kube.Request("GET", path);
  auto parsed = ParseJson(result.body);
  return parsed ? parsed->at("items") : json::value();
}

TEST_F(ControllerDefaultsTest, AppliesTheDefaultsAndKeepsThem) {
  const std::string policies = "/apis/policies.kubewarden.io/v1/clusteradmissionpolicies";
  ASSERT_TRUE(testing::Eventually(
      [&] {
        json::value items = ListItems(*kube_, policies);
        return items.is_array() && items.as_array().size() == 6;
      },
      seconds(20)));
  json::value server = Get("/apis/policies.kubewarden.io/v1/policyservers/default");
  ASSERT_FALSE(server.is_null());
  EXPECT_EQ(StringAt(server, {"metadata", "labels", "kubewarden.io/managed-by"}),
            "kubewarden-controller-defaults");
  json::value privileged = Get(policies + "/no-privileged-pod");
  EXPECT_EQ(StringAt(privileged, {"spec", "mode"}), "monitor");
  EXPECT_EQ(privileged.at("spec").at("rules").as_array().size(), 4u);

  // An edit of a default is reverted.
  Patch(policies + "/no-privileged-pod", R"({"spec":{"settings":{"skip_init_containers":true}}})");
  EXPECT_TRUE(testing::Eventually(
      [&] {
        return Get(policies + "/no-privileged-pod").at("spec").at("settings").at("skip_init_containers") ==
               false;
      },
      seconds(10)));

  // A document that leaves the ConfigMap takes its object with it.
  Patch("/api/v1/namespaces/kubewarden/configmaps/kubewarden-defaults",
        R"({"data":{"capabilities.yaml":null}})");
  EXPECT_TRUE(testing::Eventually([&] { return Get(policies + "/drop-capabilities").is_null(); },
                                  seconds(10)));
  EXPECT_FALSE(Get(policies + "/no-privileged-pod").is_null());
}

}  // namespace
}  // namespace kw
