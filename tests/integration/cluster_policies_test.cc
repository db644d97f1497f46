// The catalogue's context-aware policies end to end on the cluster's answers: the built
// high-risk-service-account and namespace-label-propagator (build/policies) run through the real
// `kwctl run --allow-context-aware --kubeconfig` against the API-server double
// (tests/kube_apiserver), whose SubjectAccessReview rules stand for RBAC bindings and whose
// Namespaces carry the labels to propagate. policies/*/tests/cases.yaml cover what needs no
// cluster.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "admission/json_patch.h"
#include "base/base64.h"
#include "base/json.h"
#include "testing/json.h"
#include "testing/kube_double.h"
#include "testing/process.h"

namespace kw {
namespace {

std::string PolicyWasm(const std::string& name) {
  return std::string(KW_TEST_BINARY_DIR) + "/policies/" + name + ".wasm";
}

// An AdmissionReview creating `object` in `ns` ("" = a request without namespace).
std::string ReviewFile(const json::value& object, std::string_view ns) {
  const std::string kind(object.at("kind").as_string());
  const std::string api_version(object.at("apiVersion").as_string());
  std::string group, version = api_version;
  if (auto slash = api_version.find('/'); slash != std::string::npos) {
    group = api_version.substr(0, slash);
    version = api_version.substr(slash + 1);
  }
  json::object request{
      {"uid", "cluster-test"},
      {"kind", {{"group", group}, {"version", version}, {"kind", kind}}},
      {"resource", {{"group", group}, {"version", version}, {"resource", "objects"}}},
      {"name", object.at("metadata").at("name")},
      {"operation", "CREATE"},
      {"userInfo", {{"username", "kubernetes-admin"}}},
      {"object", object},
      {"oldObject", nullptr},
  };
  if (!ns.empty()) request["namespace"] = ns;
  return testing::WriteTempFile(
      "review.json", ToJson(json::value{{"apiVersion", "admission.k8s.io/v1"},
                                        {"kind", "AdmissionReview"},
                                        {"request", std::move(request)}}));
}

struct Verdict {
  testing::ProcessResult run;
  json::value response;  // kwctl's printed AdmissionResponse (null when it printed none)

  bool allowed() const { return response.is_object() && response.at("allowed") == true; }
  std::string Message() const {
    const json::value* status = response.is_object() ? FindKey(response, "status") : nullptr;
    const json::value* message = status ? FindKey(*status, "message") : nullptr;
    return message && message->is_string() ? std::string(message->as_string()) : "";
  }
  json::value Code() const {
    const json::value* status = response.is_object() ? FindKey(response, "status") : nullptr;
    const json::value* code = status ? FindKey(*status, "code") : nullptr;
    return code ? *code : json::value();
  }
  // The JSON Patch, decoded (null when there is none).
  json::value Patch() const {
    const json::value* patch = response.is_object() ? FindKey(response, "patch") : nullptr;
    if (patch == nullptr || !patch->is_string()) return nullptr;
    auto text = Base64Decode(std::string(patch->as_string()));
    return text ? testing::J(*text) : json::value();
  }
  // `object` with the patch applied (null, and a failed expectation, without a usable patch).
  json::value Patched(const json::value& object) const {
    json::value patch = Patch();
    EXPECT_TRUE(patch.is_array()) << run.out;
    if (!patch.is_array()) return nullptr;
    auto patched = admission::ApplyPatch(object, patch.as_array());
    EXPECT_TRUE(patched) << patched.error().message;
    return patched ? *patched : json::value();
  }
};

class ClusterPoliciesTest : public ::testing::Test {
 protected:
  static constexpr char kCluster[] = R"(
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {team: a, cost-center: "42", kubernetes.io/metadata.name: team-a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: plain}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: admin, namespace: team-a}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: viewer, namespace: team-a}
)";

  // What RBAC would grant: team-a's `admin` reads secrets everywhere and deletes pods in team-b;
  // `viewer` lists pods. Anything else is denied.
  static constexpr char kBindings[] = R"(
- user: system:serviceaccount:team-a:admin
  verb: get
  resource: secrets
  allowed: true
  reason: 'RBAC: allowed by ClusterRoleBinding "secret-readers"'
- user: system:serviceaccount:team-a:admin
  verb: delete
  resource: pods
  namespace: team-b
  allowed: true
- user: system:serviceaccount:team-a:viewer
  verb: list
  resource: pods
  allowed: true
)";

  void SetUp() override {
    testing::KubeDoubleOptions options;
    options.seed_files = {testing::WriteTempFile("cluster.yaml", kCluster)};
    options.sar_rules = kBindings;
    kube_ = std::make_unique<testing::KubeApiServerDouble>(options);
  }

  Verdict Run(const std::string& policy, const json::value& settings, const json::value& object,
              std::string_view ns, bool allow_context_aware = true) {
    std::vector<std::string> args = {testing::KwctlBinary(), "run",
                                     PolicyWasm(policy),     "-r",
                                     ReviewFile(object, ns), "--settings-json",
                                     ToJson(settings),       "--kubeconfig",
                                     kube_->KubeconfigPath()};
    if (allow_context_aware) args.push_back("--allow-context-aware");
    Verdict verdict{testing::RunProcess(args), nullptr};
    EXPECT_EQ(verdict.run.exit_code, 0) << verdict.run.err;
    if (auto parsed = ParseJson(verdict.run.out)) verdict.response = std::move(*parsed);
    return verdict;
  }

  std::unique_ptr<testing::KubeApiServerDouble> kube_;
};

// ---------------------------------------------------------------- high-risk-service-account

json::value PodWithAccount(std::string_view account) {
  return testing::J(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "team-a"},
    "spec": {"serviceAccountName": ")" + std::string(account) + R"(",
             "containers": [{"name": "web", "image": "nginx"}]}})");
}

json::value BlockRules(std::string_view rules_json) {
  return json::object{{"blockRules", testing::J(rules_json)}};
}

TEST_F(ClusterPoliciesTest, HighRiskServiceAccountRejectsAnAccountTheClusterLetsReadSecrets) {
  Verdict verdict =
      Run("high-risk-service-account",
          BlockRules(R"([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list", "get"]}])"),
          PodWithAccount("admin"), "team-a");
  EXPECT_FALSE(verdict.allowed()) << verdict.run.out;
  EXPECT_EQ(verdict.Message(),
            "Cannot use service account 'system:serviceaccount:team-a:admin' with permissions to "
            "perform get /secrets in the cluster");
  EXPECT_EQ(verdict.Code(), json::value(403));
}

TEST_F(ClusterPoliciesTest, HighRiskServiceAccountAcceptsWhatTheClusterDenies) {
  const json::value rules =
      BlockRules(R"([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "delete"]}])");
  Verdict viewer = Run("high-risk-service-account", rules, PodWithAccount("viewer"), "team-a");
  EXPECT_TRUE(viewer.allowed()) << viewer.run.out;
  EXPECT_EQ(viewer.Patch(), json::value(nullptr));

  // A ServiceAccount that does not exist has no bindings: every review says no.
  Verdict ghost = Run("high-risk-service-account", rules, PodWithAccount("ghost"), "team-a");
  EXPECT_TRUE(ghost.allowed()) << ghost.run.out;
}

TEST_F(ClusterPoliciesTest, HighRiskServiceAccountAsksAboutTheRuleNamespace) {
  const json::value deployment = testing::J(R"({"apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "team-a"},
    "spec": {"template": {"spec": {"serviceAccountName": "admin",
                                   "containers": [{"name": "web", "image": "nginx"}]}}}})");
  Verdict team_b = Run("high-risk-service-account",
                       BlockRules(R"([{"apiGroups": [""], "resources": ["pods"],
                                       "verbs": ["delete"], "namespace": "team-b"}])"),
                       deployment, "team-a");
  EXPECT_FALSE(team_b.allowed()) << team_b.run.out;
  EXPECT_EQ(team_b.Message(),
            "Cannot use service account 'system:serviceaccount:team-a:admin' with permissions to "
            "perform delete /pods in namespace 'team-b'");

  Verdict team_c = Run("high-risk-service-account",
                       BlockRules(R"([{"apiGroups": [""], "resources": ["pods"],
                                       "verbs": ["delete"], "namespace": "team-c"}])"),
                       deployment, "team-a");
  EXPECT_TRUE(team_c.allowed()) << team_c.run.out;
}

TEST_F(ClusterPoliciesTest, HighRiskServiceAccountWithoutClusterAccessCannotCheck) {
  Verdict verdict =
      Run("high-risk-service-account",
          BlockRules(R"([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])"),
          PodWithAccount("admin"), "team-a", /*allow_context_aware=*/false);
  EXPECT_FALSE(verdict.allowed()) << verdict.run.out;
  EXPECT_EQ(verdict.Message(), "Failed to check permissions for all SubjectAccessReviews");
  EXPECT_EQ(verdict.Code(), json::value(403));
}

// ---------------------------------------------------------------- namespace-label-propagator

const json::value kPropagate =
    json::object{{"propagatedLabels", json::array{"team", "cost-center", "absent"}}};

TEST_F(ClusterPoliciesTest, NamespaceLabelPropagatorCopiesTheNamespaceLabelsOntoAPod) {
  const json::value pod = testing::J(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "team-a", "labels": {"app": "web", "team": "z"}},
    "spec": {"containers": [{"name": "web", "image": "nginx"}]}})");
  Verdict verdict = Run("namespace-label-propagator", kPropagate, pod, "team-a");
  ASSERT_TRUE(verdict.allowed()) << verdict.run.out;
  json::value patched = verdict.Patched(pod);
  ASSERT_TRUE(patched.is_object());
  // The Namespace's value wins over the object's; labels the Namespace lacks are not invented.
  EXPECT_EQ(patched.at("metadata").at("labels"),
            testing::J(R"({"app": "web", "team": "a", "cost-center": "42"})"));
}

TEST_F(ClusterPoliciesTest, NamespaceLabelPropagatorLabelsACronJobAndItsPodTemplate) {
  const json::value cronjob = testing::J(R"({"apiVersion": "batch/v1", "kind": "CronJob",
    "metadata": {"name": "nightly", "namespace": "team-a"},
    "spec": {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": {
      "spec": {"containers": [{"name": "job", "image": "busybox"}]}}}}}})");
  Verdict verdict = Run("namespace-label-propagator", kPropagate, cronjob, "team-a");
  ASSERT_TRUE(verdict.allowed()) << verdict.run.out;
  json::value patched = verdict.Patched(cronjob);
  ASSERT_TRUE(patched.is_object());
  const json::value want = testing::J(R"({"team": "a", "cost-center": "42"})");
  EXPECT_EQ(patched.at("metadata").at("labels"), want);
  EXPECT_EQ(patched.at("spec").at("jobTemplate").at("spec").at("template").at("metadata").at(
                "labels"),
            want);
}

TEST_F(ClusterPoliciesTest, NamespaceLabelPropagatorLeavesAlignedOrUnlabelledObjectsAlone) {
  const json::value aligned = testing::J(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "team-a", "labels": {"team": "a", "cost-center": "42"}},
    "spec": {"containers": [{"name": "web", "image": "nginx"}]}})");
  Verdict same = Run("namespace-label-propagator", kPropagate, aligned, "team-a");
  EXPECT_TRUE(same.allowed()) << same.run.out;
  EXPECT_EQ(same.Patch(), json::value(nullptr));

  const json::value plain = testing::J(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "plain"},
    "spec": {"containers": [{"name": "web", "image": "nginx"}]}})");
  Verdict unlabelled = Run("namespace-label-propagator", kPropagate, plain, "plain");
  EXPECT_TRUE(unlabelled.allowed()) << unlabelled.run.out;
  EXPECT_EQ(unlabelled.Patch(), json::value(nullptr));
}

TEST_F(ClusterPoliciesTest, NamespaceLabelPropagatorRejectsWhenTheNamespaceIsMissing) {
  const json::value pod = testing::J(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "ghost"},
    "spec": {"containers": [{"name": "web", "image": "nginx"}]}})");
  Verdict verdict = Run("namespace-label-propagator", kPropagate, pod, "ghost");
  EXPECT_FALSE(verdict.allowed()) << verdict.run.out;
  EXPECT_EQ(verdict.Code(), json::value(400));
  // The host's error carries the API server's Status message.
  EXPECT_TRUE(verdict.Message().starts_with("cannot get namespace data: ")) << verdict.Message();
  EXPECT_NE(verdict.Message().find("namespaces \"ghost\" not found"), std::string::npos)
      << verdict.Message();
}

TEST_F(ClusterPoliciesTest, NamespaceLabelPropagatorNeedsClusterAccess) {
  const json::value pod = testing::J(R"({"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "team-a"},
    "spec": {"containers": [{"name": "web", "image": "nginx"}]}})");
  Verdict verdict = Run("namespace-label-propagator", kPropagate, pod, "team-a",
                        /*allow_context_aware=*/false);
  EXPECT_FALSE(verdict.allowed()) << verdict.run.out;
  EXPECT_EQ(verdict.Code(), json::value(400));
  EXPECT_EQ(verdict.Message(),
            "cannot get namespace data: Policy has not been granted access to Kubernetes "
            "v1/Namespace resources. The violation has been reported.");
}

}  // namespace
}  // namespace kw
