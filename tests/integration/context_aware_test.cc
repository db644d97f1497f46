// Context-aware policies end to end: test_policy.wasm (tests/data/policies) asks the kubernetes
// host capabilities what its `host_call` settings say and answers with what it got (accepted
// with the answer as the message, or rejected with "host error: <error>"), through the real
// policy-server and kwctl reading the API-server double (tests/kube_apiserver) over HTTPS.
#include <gtest/gtest.h>

#include <chrono>

#include "base/json.h"
#include "testing/json.h"
#include "testing/kube_double.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using testing::TestData;

constexpr char kCluster[] = R"(
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b, labels: {team: b}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: team-a, labels: {app: web}}
spec: {containers: [{name: c, image: nginx}], nodeName: node-1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: team-a, labels: {app: db}}
spec: {containers: [{name: c, image: postgres}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: team-b, labels: {app: web}}
spec: {containers: [{name: c, image: api}]}
)";

json::value HostCall(std::string_view operation, json::value payload) {
  return testing::TestPolicyHostCall("kubernetes", operation, std::move(payload));
}

json::value ListPods(std::string_view ns, std::string_view labels = "") {
  json::object payload{{"api_version", "v1"}, {"kind", "Pod"}, {"namespace", ns}};
  if (!labels.empty()) payload["label_selector"] = labels;
  return HostCall("list_resources_by_namespace", payload);
}

json::value GetNamespace(std::string_view name, bool disable_cache = false) {
  return HostCall("get_resource", json::object{{"api_version", "v1"},
                                               {"kind", "Namespace"},
                                               {"name", name},
                                               {"disable_cache", disable_cache}});
}

std::string Message(const json::value& response) {
  const json::value* status = FindKey(response, "status");
  const json::value* message = status ? FindKey(*status, "message") : nullptr;
  return message && message->is_string() ? std::string(message->get_string()) : ToJson(response);
}

// The names of the items of a List answer, in order ("<not a list>" otherwise).
std::string ItemNames(const std::string& list_text) {
  auto list = ParseJson(list_text);
  const json::value* items = list ? FindKey(*list, "items") : nullptr;
  if (items == nullptr || !items->is_array()) return "<not a list: " + list_text + ">";
  std::string names;
  for (const json::value& item : items->as_array()) {
    const json::value* metadata = FindKey(item, "metadata");
    const json::value* name = metadata ? FindKey(*metadata, "name") : nullptr;
    if (!names.empty()) names += ",";
    names += name && name->is_string() ? std::string(name->as_string()) : "?";
  }
  return names;
}

std::string Policy(const std::string& id, const json::value& settings,
                   const std::string& resources) {
  return id + ":\n  module: " + TestData("test_policy.wasm") + "\n  settings: " +
         ToJson(settings) + "\n  hostCapabilities: [\"*\"]\n  contextAwareResources: " +
         resources + "\n";
}

class ContextAwareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::KubeDoubleOptions options;
    options.seed_files = {testing::WriteTempFile("cluster.yaml", kCluster)};
    options.sar_rules = R"(
- user: alice
  verb: create
  resource: pods
  namespace: team-a
  allowed: true
  reason: team member
)";
    kube_ = std::make_unique<testing::KubeApiServerDouble>(options);
  }

  json::value Review(testing::PolicyServer& server, const std::string& id) {
    auto r = server.Post("/validate/" + id,
                         "{\"request\":" + testing::RequestFile("pod_plain.json") + "}");
    EXPECT_TRUE(r.ok()) << r.error;
    json::value review = testing::J(r.body);
    const json::value* response = FindKey(review, "response");
    return response ? *response : review;
  }

  std::unique_ptr<testing::KubeApiServerDouble> kube_;
};

constexpr char kPods[] = R"([{"apiVersion": "v1", "kind": "Pod"}])";
constexpr char kPodsAndNamespaces[] =
    R"([{"apiVersion": "v1", "kind": "Pod"}, {"apiVersion": "v1", "kind": "Namespace"}])";

TEST_F(ContextAwareTest, PolicyServerServesTheClusterToGrantedPolicies) {
  auto server = testing::PolicyServer::Start(
      Policy("team-a", ListPods("team-a"), kPods) +
          Policy("web", ListPods("team-b", "app=web"), kPods) +
          Policy("everywhere",
                 HostCall("list_resources_all",
                          json::object{{"api_version", "v1"}, {"kind", "Pod"},
                                       {"field_masks", json::array{"spec.nodeName"}}}),
                 kPods) +
          Policy("not-granted", ListPods("team-a"), "[]") +
          Policy("cluster-wide", HostCall("list_resources_by_namespace",
                                          json::object{{"api_version", "v1"},
                                                        {"kind", "Namespace"},
                                                        {"namespace", "team-a"}}),
                 kPodsAndNamespaces) +
          Policy("unknown", HostCall("list_resources_all",
                                     json::object{{"api_version", "v1"}, {"kind", "Nope"}}),
                 R"([{"apiVersion": "v1", "kind": "Nope"}])") +
          Policy("malformed", HostCall("list_resources_all", json::object{{"kind", "Pod"}}),
                 kPods) +
          Policy("namespace", GetNamespace("team-b"), kPodsAndNamespaces) +
          Policy("can-i", HostCall("can_i",
                                   json::object{{"subject_access_review",
                                                 json::object{{"user", "alice"},
                                                              {"resource_attributes",
                                                               json::object{{"resource", "pods"},
                                                                            {"verb", "create"},
                                                                            {"namespace",
                                                                             "team-a"}}}}},
                                                {"disable_cache", false}}),
                 "[]"),
      {"--kubeconfig", kube_->KubeconfigPath()});
  ASSERT_TRUE(server);

  EXPECT_EQ(ItemNames(Message(Review(*server, "team-a"))), "db,web");
  EXPECT_EQ(ItemNames(Message(Review(*server, "web"))), "api");
  const std::string everywhere = Message(Review(*server, "everywhere"));
  EXPECT_EQ(ItemNames(everywhere), "db,web,api");
  // Field masks keep only what was asked for, besides the object's identity.
  EXPECT_NE(everywhere.find(R"("spec":{"nodeName":"node-1"})"), std::string::npos) << everywhere;
  EXPECT_EQ(everywhere.find("nginx"), std::string::npos) << everywhere;
  EXPECT_TRUE(everywhere.starts_with(R"({"apiVersion":"v1","kind":"PodList","metadata":{},)"))
      << everywhere;

  EXPECT_EQ(Message(Review(*server, "not-granted")),
            "host error: Policy has not been granted access to Kubernetes v1/Pod resources. The "
            "violation has been reported.");
  EXPECT_EQ(Message(Review(*server, "cluster-wide")),
            "host error: resource v1/Namespace is cluster wide. Cannot search inside of a "
            "namespace");
  EXPECT_EQ(Message(Review(*server, "unknown")), "host error: Cannot find resource v1/Nope");
  EXPECT_EQ(Message(Review(*server, "malformed")), "host error: missing field `api_version`");

  const std::string team_b = Message(Review(*server, "namespace"));
  auto object = ParseJson(team_b);
  ASSERT_TRUE(object) << team_b;
  const json::value* labels = FindKey(*FindKey(*object, "metadata"), "labels");
  ASSERT_TRUE(labels) << team_b;
  EXPECT_EQ(ToJson(*FindKey(*labels, "team")), R"("b")");
  EXPECT_EQ(Message(Review(*server, "can-i")), R"({"allowed":true,"reason":"team member"})");

  // Changes reach the policies through the watch, without restarting anything.
  kube_->Seed("apiVersion: v1\nkind: Pod\nmetadata: {name: cache, namespace: team-a}\n"
              "spec: {containers: [{name: c, image: redis}]}\n");
  EXPECT_TRUE(testing::Eventually(
      [&] { return ItemNames(Message(Review(*server, "team-a"))) == "cache,db,web"; }));
}

// An account granted pods in some namespaces only (a RoleBinding per namespace, no ClusterRole):
// upstream lists one namespace at a time, so its policies work there; ours must too, though it
// shares one cluster-wide watch between namespaces when it may.
TEST_F(ContextAwareTest, AnAccountAllowedOnlySomeNamespacesListsThoseAsUpstream) {
  testing::KubeDoubleOptions options;
  options.seed_files = {testing::WriteTempFile("cluster.yaml", kCluster)};
  options.deny_rules = R"(
- {verb: list, resource: pods, namespace: ""}
- {verb: watch, resource: pods, namespace: ""}
- {verb: "*", resource: pods, namespace: team-b}
)";
  kube_ = std::make_unique<testing::KubeApiServerDouble>(options);
  auto server = testing::PolicyServer::Start(
      Policy("team-a", ListPods("team-a"), kPods) + Policy("team-b", ListPods("team-b"), kPods) +
          Policy("everywhere",
                 HostCall("list_resources_all", json::object{{"api_version", "v1"}, {"kind", "Pod"}}),
                 kPods),
      {"--kubeconfig", kube_->KubeconfigPath()});
  ASSERT_TRUE(server);
  EXPECT_EQ(ItemNames(Message(Review(*server, "team-a"))), "db,web");
  // What the account may not read is refused, as upstream's answer would be.
  EXPECT_NE(Message(Review(*server, "team-b")).find("forbidden"), std::string::npos)
      << Message(Review(*server, "team-b"));
  EXPECT_NE(Message(Review(*server, "everywhere")).find("forbidden"), std::string::npos)
      << Message(Review(*server, "everywhere"));
  // From now on team-a's list comes from that namespace's own watch, which follows changes,
  // without asking for the whole cluster again.
  kube_->ResetCounters();
  kube_->Seed("apiVersion: v1\nkind: Pod\nmetadata: {name: cache, namespace: team-a}\n"
              "spec: {containers: [{name: c, image: redis}]}\n");
  EXPECT_TRUE(testing::Eventually(
      [&] { return ItemNames(Message(Review(*server, "team-a"))) == "cache,db,web"; }));
  testing::HttpResult asked = kube_->Request("GET", "/double/requests?verb=list&path=/api/v1/pods");
  EXPECT_EQ(asked.body, R"({"count":0})");
}

TEST_F(ContextAwareTest, GetResourceAnswersAreCachedForFiveSeconds) {
  auto server = testing::PolicyServer::Start(
      Policy("cached", GetNamespace("team-a"), kPodsAndNamespaces) +
          Policy("uncached", GetNamespace("team-a", true), kPodsAndNamespaces),
      {"--kubeconfig", kube_->KubeconfigPath()});
  ASSERT_TRUE(server);
  kube_->ResetCounters();
  for (int i = 0; i < 5; ++i) {
    EXPECT_NE(Message(Review(*server, "cached")).find("team-a"), std::string::npos);
  }
  EXPECT_EQ(kube_->RequestCount("get", "/api/v1/namespaces/team-a"), 1u);
  for (int i = 0; i < 3; ++i) Review(*server, "uncached");
  EXPECT_EQ(kube_->RequestCount("get", "/api/v1/namespaces/team-a"), 4u);
}

// A policy that asks the API server on every request, cache disabled, cannot flood it: the client
// limits itself (50 requests a second after a burst of 100), and callers wait their turn.
TEST_F(ContextAwareTest, APolicyAskingOnEveryRequestCannotFloodTheApiServer) {
  auto server = testing::PolicyServer::Start(
      Policy("uncached", GetNamespace("team-a", true), kPodsAndNamespaces),
      {"--kubeconfig", kube_->KubeconfigPath()});
  ASSERT_TRUE(server);
  kube_->ResetCounters();
  const auto started = std::chrono::steady_clock::now();
  int answered = 0;
  for (int i = 0; i < 250; ++i) {
    answered += Message(Review(*server, "uncached")).find(R"("name":"team-a")") != std::string::npos;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(answered, 250);  // every request answered, none refused for the wait
  const std::uint64_t asked = kube_->RequestCount("get", "/api/v1/namespaces/team-a");
  EXPECT_EQ(asked, 250u);
  // However fast the requests came, the API server saw no more than the limit allows.
  EXPECT_LE(static_cast<double>(asked), 100 + 50 * seconds + 1) << seconds << " s";
}

TEST_F(ContextAwareTest, ABrokenApiServerIsAHostErrorAndTheServerKeepsServing) {
  auto server = testing::PolicyServer::Start(
      Policy("get", GetNamespace("team-a", true), kPodsAndNamespaces),
      {"--kubeconfig", kube_->KubeconfigPath()});
  ASSERT_TRUE(server);
  kube_->Faults(R"({"path":"/api/v1/namespaces/team-a","verb":"get","count":1,"garbage":true})");
  const std::string garbage = Message(Review(*server, "get"));
  EXPECT_TRUE(garbage.starts_with("host error: ")) << garbage;
  kube_->Faults(R"({"path":"/api/v1/namespaces/team-a","verb":"get","count":1,"status":503,
                    "reason":"ServiceUnavailable","message":"etcd is sad"})");
  EXPECT_EQ(Message(Review(*server, "get")), "host error: etcd is sad");
  EXPECT_NE(Message(Review(*server, "get")).find(R"("name":"team-a")"), std::string::npos);
}

// Rego policies read the cluster as data documents, kept current by the watches: the fixtures
// (tests/data/opa/*_context_v1_2.wat) look for the pod aaa/forbidden in their inventory's shape.
TEST_F(ContextAwareTest, RegoPoliciesReadTheClusterAsDataDocuments) {
  auto server = testing::PolicyServer::Start(
      "opa:\n  module: " + testing::AnnotatedRegoFixture("opa_context_v1_2.wasm", "opa") +
          "\n  contextAwareResources: " + kPods + "\ngatekeeper:\n  module: " +
          testing::AnnotatedRegoFixture("gatekeeper_context_v1_2.wasm", "gatekeeper") +
          "\n  contextAwareResources: " + kPodsAndNamespaces + "\n",
      {"--kubeconfig", kube_->KubeconfigPath()});
  ASSERT_TRUE(server);
  const auto verdicts = [&] {
    return Message(Review(*server, "opa")) + " | " + Message(Review(*server, "gatekeeper"));
  };
  const auto allowed = [&](const std::string& id) {
    const json::value review = Review(*server, id);  // kept: FindKey points into it
    const json::value* value = FindKey(review, "allowed");
    return value != nullptr && value->is_bool() && value->as_bool();
  };
  EXPECT_TRUE(allowed("opa"));
  EXPECT_EQ(Message(Review(*server, "gatekeeper")), "namespace aaa is missing from data.inventory");

  kube_->Seed("apiVersion: v1\nkind: Namespace\nmetadata: {name: aaa}\n");
  EXPECT_TRUE(testing::Eventually([&] { return allowed("gatekeeper"); })) << verdicts();
  kube_->Seed("apiVersion: v1\nkind: Pod\nmetadata: {name: forbidden, namespace: aaa}\n"
              "spec: {containers: [{name: c, image: nginx}]}\n");
  EXPECT_TRUE(testing::Eventually([&] {
    return verdicts() ==
           "pod aaa/forbidden is in data.kubernetes | pod aaa/forbidden is in data.inventory";
  })) << verdicts();
  kube_->Request("DELETE", "/api/v1/namespaces/aaa/pods/forbidden");
  EXPECT_TRUE(testing::Eventually([&] { return allowed("opa") && allowed("gatekeeper"); }))
      << verdicts();
}

TEST_F(ContextAwareTest, WithoutAClusterTheCapabilitiesSaySo) {
  auto server = testing::PolicyServer::Start(Policy("list", ListPods("team-a"), kPods));
  ASSERT_TRUE(server);
  EXPECT_EQ(Message(Review(*server, "list")),
            "host error: kube::Client was not initialized properly");
}

TEST_F(ContextAwareTest, KwctlReadsTheClusterOnlyWhenAllowed) {
  const std::string resource = testing::WriteTempFile("policy.yaml", R"(
apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: team-a}
spec:
  module: )" + TestData("test_policy.wasm") + R"(
  rules: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]}]
  contextAwareResources: [{apiVersion: v1, kind: Pod}]
  settings: )" + ToJson(ListPods("team-a")) + "\n");
  auto run = testing::RunProcess({testing::KwctlBinary(), "run", resource, "-r",
                                  testing::SourcePath("tests/data/requests/pod_plain.json"),
                                  "--kubeconfig", kube_->KubeconfigPath()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ItemNames(Message(testing::J(run.out))), "db,web") << run.out;

  // A module run directly gets no cluster without --allow-context-aware.
  auto plain = testing::RunProcess(
      {testing::KwctlBinary(), "run", TestData("test_policy.wasm"), "-r",
       testing::SourcePath("tests/data/requests/pod_plain.json"), "--settings-json",
       ToJson(ListPods("team-a")), "--kubeconfig", kube_->KubeconfigPath()});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(Message(testing::J(plain.out)),
            "host error: Policy has not been granted access to Kubernetes v1/Pod resources. The "
            "violation has been reported.");
}

}  // namespace
}  // namespace kw
