// The CRDs of deploy/crds, rendered by the real `kubectl kustomize`, in the API-server double:
// discovery shows them as a cluster would, upstream's example objects (tests/data/crds) and
// kwctl's scaffolded manifests apply unchanged and come back with the schema's defaults, and
// invalid objects get the API server's 422. The compliance UI's base (deploy/ui) applies beside
// them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/json.h"
#include "base/yaml.h"
#include "testing/kube_double.h"
#include "testing/process.h"

namespace kw {
namespace {

using ::testing::HasSubstr;
using testing::HttpResult;
using testing::KubeApiServerDouble;
using testing::RunProcess;
using testing::SourcePath;

struct ResourceOfKind {
  std::string group;
  std::string plural;
  bool namespaced = false;
};

json::object AsObject(const std::string& body) {
  auto value = ParseJson(body);
  if (!value || !value->is_object()) {
    ADD_FAILURE() << "not a JSON object: " << body;
    return {};
  }
  return value->get_object();
}

std::vector<json::value> YamlDocuments(const std::string& text, const std::string& what) {
  auto documents = ParseYamlDocumentsAsJson(text, what);
  EXPECT_TRUE(documents) << documents.error().message;
  return documents ? *documents : std::vector<json::value>();
}

std::vector<json::value> Fixture(const std::string& name) {
  auto text = ReadFile(SourcePath("tests/data/crds/" + name), 1u << 20);
  EXPECT_TRUE(text) << name;
  return text ? YamlDocuments(*text, name) : std::vector<json::value>();
}

std::string At(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* at = &v;
  for (auto key : path) {
    at = FindKey(*at, key);
    if (!at) return "<missing>";
  }
  return at->is_string() ? std::string(at->get_string()) : ToJson(*at);
}

// Every field of `given` is in `stored` with the same value (arrays element by element): nothing
// was pruned or changed, whatever defaults were added.
::testing::AssertionResult Keeps(const json::value& stored, const json::value& given,
                                 const std::string& path = "") {
  if (given.is_object()) {
    if (!stored.is_object()) return ::testing::AssertionFailure() << path << " is not an object";
    for (const auto& [key, value] : given.get_object()) {
      const json::value* kept = stored.get_object().if_contains(key);
      std::string child = path + "." + std::string(key);
      if (!kept) return ::testing::AssertionFailure() << child << " was dropped";
      if (auto r = Keeps(*kept, value, child); !r) return r;
    }
    return ::testing::AssertionSuccess();
  }
  if (given.is_array()) {
    if (!stored.is_array() || stored.get_array().size() != given.get_array().size()) {
      return ::testing::AssertionFailure() << path << " changed: " << ToJson(stored);
    }
    for (std::size_t i = 0; i < given.get_array().size(); ++i) {
      if (auto r = Keeps(stored.get_array()[i], given.get_array()[i],
                         path + "[" + std::to_string(i) + "]");
          !r) {
        return r;
      }
    }
    return ::testing::AssertionSuccess();
  }
  if (stored != given) {
    return ::testing::AssertionFailure()
           << path << " is " << ToJson(stored) << " instead of " << ToJson(given);
  }
  return ::testing::AssertionSuccess();
}

class CrdsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    double_ = new KubeApiServerDouble();
    rendered_ = new testing::ProcessResult(
        RunProcess({"/usr/bin/env", "kubectl", "kustomize", SourcePath("deploy/crds")}));
    crds_ = new std::vector<json::value>(YamlDocuments(rendered_->out, "kubectl kustomize"));
    created_ = new std::vector<HttpResult>();
    kinds_ = new std::map<std::string, ResourceOfKind>();
    for (const auto& crd : *crds_) {
      created_->push_back(double_->Request(
          "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", ToJson(crd)));
      (*kinds_)[At(crd, {"spec", "names", "kind"})] = {
          At(crd, {"spec", "group"}), At(crd, {"spec", "names", "plural"}),
          At(crd, {"spec", "scope"}) == "Namespaced"};
    }
  }
  static void TearDownTestSuite() {
    delete double_;
    delete rendered_;
    delete crds_;
    delete created_;
    delete kinds_;
  }

  // The collection `object` belongs in, through its own apiVersion.
  static std::string CollectionOf(const json::value& object) {
    std::string kind = At(object, {"kind"});
    auto found = kinds_->find(kind);
    EXPECT_NE(found, kinds_->end()) << "no CRD for " << kind;
    if (found == kinds_->end()) return "/unknown";
    std::string path = "/apis/" + At(object, {"apiVersion"});
    if (found->second.namespaced) {
      std::string ns = At(object, {"metadata", "namespace"});
      path += "/namespaces/" + (ns == "<missing>" ? std::string("default") : ns);
    }
    return path + "/" + found->second.plural;
  }

  static HttpResult Apply(const json::value& object) {
    return double_->Request("POST", CollectionOf(object), ToJson(object));
  }

  // Creates `object`; what the server stored.
  static json::object Created(const json::value& object) {
    HttpResult r = Apply(object);
    EXPECT_EQ(r.status, 201) << r.body;
    json::object stored = AsObject(r.body);
    EXPECT_TRUE(Keeps(stored, object)) << ToJson(object);
    return stored;
  }

  static KubeApiServerDouble* double_;
  static testing::ProcessResult* rendered_;
  static std::vector<json::value>* crds_;
  static std::vector<HttpResult>* created_;
  static std::map<std::string, ResourceOfKind>* kinds_;
};

KubeApiServerDouble* CrdsTest::double_ = nullptr;
testing::ProcessResult* CrdsTest::rendered_ = nullptr;
std::vector<json::value>* CrdsTest::crds_ = nullptr;
std::vector<HttpResult>* CrdsTest::created_ = nullptr;
std::map<std::string, ResourceOfKind>* CrdsTest::kinds_ = nullptr;

TEST_F(CrdsTest, KustomizeRendersEveryCrdAndTheServerTakesThem) {
  ASSERT_EQ(rendered_->exit_code, 0) << rendered_->err;
  ASSERT_EQ(crds_->size(), 9u) << rendered_->out;
  for (std::size_t i = 0; i < crds_->size(); ++i) {
    EXPECT_EQ(created_->at(i).status, 201)
        << At(crds_->at(i), {"metadata", "name"}) << ": " << created_->at(i).body;
    EXPECT_THAT(created_->at(i).body, HasSubstr(R"("type":"Established","status":"True")"));
  }
}

TEST_F(CrdsTest, DiscoveryShowsKindsShortNamesAndVersions) {
  struct Expected {
    std::string group_version, plural, kind, short_name;
    bool namespaced;
    bool kubewarden;
  };
  const std::vector<Expected> expected = {
      {"policies.kubewarden.io/v1", "policyservers", "PolicyServer", "ps", false, true},
      {"policies.kubewarden.io/v1", "clusteradmissionpolicies", "ClusterAdmissionPolicy", "cap",
       false, true},
      {"policies.kubewarden.io/v1", "admissionpolicies", "AdmissionPolicy", "ap", true, true},
      {"policies.kubewarden.io/v1", "clusteradmissionpolicygroups", "ClusterAdmissionPolicyGroup",
       "capg", false, true},
      {"policies.kubewarden.io/v1", "admissionpolicygroups", "AdmissionPolicyGroup", "apg", true,
       true},
      {"policies.kubewarden.io/v1alpha2", "policyservers", "PolicyServer", "ps", false, true},
      {"policies.kubewarden.io/v1alpha2", "clusteradmissionpolicies", "ClusterAdmissionPolicy",
       "cap", false, true},
      {"policies.kubewarden.io/v1alpha2", "admissionpolicies", "AdmissionPolicy", "ap", true, true},
      {"wgpolicyk8s.io/v1alpha2", "policyreports", "PolicyReport", "polr", true, false},
      {"wgpolicyk8s.io/v1alpha2", "clusterpolicyreports", "ClusterPolicyReport", "cpolr", false,
       false},
      {"openreports.io/v1alpha1", "reports", "Report", "rep", true, false},
      {"openreports.io/v1alpha1", "clusterreports", "ClusterReport", "crep", false, false},
  };
  std::map<std::string, json::object> documents;
  for (const auto& e : expected) {
    if (!documents.contains(e.group_version)) {
      HttpResult r = double_->Request("GET", "/apis/" + e.group_version);
      ASSERT_EQ(r.status, 200) << e.group_version << ": " << r.body;
      documents[e.group_version] = AsObject(r.body);
    }
    const json::value* found = nullptr;
    for (const auto& resource : documents[e.group_version]["resources"].get_array()) {
      if (At(resource, {"name"}) == e.plural) found = &resource;
    }
    ASSERT_NE(found, nullptr) << e.group_version << " lacks " << e.plural;
    EXPECT_EQ(At(*found, {"kind"}), e.kind);
    EXPECT_EQ(At(*found, {"shortNames"}), "[\"" + e.short_name + "\"]");
    EXPECT_EQ(At(*found, {"namespaced"}), e.namespaced ? "true" : "false");
    EXPECT_EQ(At(*found, {"categories"}), e.kubewarden ? "[\"kubewarden\"]" : "<missing>");
  }
  // The policies have a status subresource; the groups exist in v1 only.
  EXPECT_THAT(ToJson(documents["policies.kubewarden.io/v1"]),
              HasSubstr(R"("name":"clusteradmissionpolicies/status")"));
  EXPECT_THAT(ToJson(documents["policies.kubewarden.io/v1alpha2"]),
              ::testing::Not(HasSubstr("policygroups")));
  json::object group = AsObject(double_->Request("GET", "/apis/policies.kubewarden.io").body);
  EXPECT_EQ(At(group, {"preferredVersion", "version"}), "v1");
  EXPECT_EQ(group["versions"].get_array().size(), 2u);
}

TEST_F(CrdsTest, PoliciesComeBackWithTheirDefaults) {
  json::object privileged = Created(Fixture("clusteradmissionpolicy-pod-privileged.yaml").at(0));
  EXPECT_EQ(At(privileged, {"spec", "policyServer"}), "default");
  EXPECT_EQ(At(privileged, {"spec", "mode"}), "protect");
  EXPECT_EQ(At(privileged, {"spec", "backgroundAudit"}), "true");
  EXPECT_EQ(At(privileged, {"spec", "timeoutSeconds"}), "10");
  EXPECT_EQ(At(privileged, {"spec", "allowInsideAdmissionControllerNamespace"}), "false");
  EXPECT_EQ(At(privileged, {"spec", "failurePolicy"}), "<missing>");  // Kubernetes' default
  EXPECT_EQ(At(privileged, {"status"}), "<missing>");

  // What is given wins over the defaults.
  json::object recommended = Created(Fixture("clusteradmissionpolicy-recommended.yaml").at(0));
  EXPECT_EQ(At(recommended, {"spec", "mode"}), "monitor");
  EXPECT_EQ(At(recommended, {"spec", "timeoutSeconds"}), "10");

  json::object namespaced = Created(Fixture("admissionpolicy.yaml").at(0));
  EXPECT_EQ(At(namespaced, {"spec", "policyServer"}), "reserved-instance-for-tenant-a");
  EXPECT_EQ(At(namespaced, {"spec", "mode"}), "protect");
  EXPECT_EQ(At(namespaced, {"spec", "backgroundAudit"}), "true");
  EXPECT_EQ(At(namespaced, {"spec", "timeoutSeconds"}), "10");
  // Only the cluster-wide kinds have it.
  EXPECT_EQ(At(namespaced, {"spec", "allowInsideAdmissionControllerNamespace"}), "<missing>");

  json::object cluster_group = Created(Fixture("clusteradmissionpolicygroup.yaml").at(0));
  EXPECT_EQ(At(cluster_group, {"spec", "policyServer"}), "default");
  EXPECT_EQ(At(cluster_group, {"spec", "mode"}), "protect");
  EXPECT_EQ(At(cluster_group, {"spec", "backgroundAudit"}), "true");
  EXPECT_EQ(At(cluster_group, {"spec", "timeoutSeconds"}), "10");
  EXPECT_EQ(At(cluster_group, {"spec", "policies", "signed_by_alice", "timeoutEvalSeconds"}),
            "<missing>");

  json::object group = Created(Fixture("admissionpolicygroup.yaml").at(0));
  EXPECT_EQ(At(group, {"spec", "policyServer"}), "default");
  EXPECT_EQ(At(group, {"spec", "mode"}), "monitor");
  EXPECT_EQ(At(group, {"spec", "timeoutSeconds"}), "10");
}

TEST_F(CrdsTest, PolicyServersApplyUnchanged) {
  json::object defaults = Created(Fixture("policyserver-default.yaml").at(0));
  EXPECT_EQ(At(defaults, {"metadata", "finalizers"}), R"(["kubewarden.io/finalizer"])");
  // No CRD defaults for the ports: the controller picks 8443 and 8081 itself.
  EXPECT_EQ(At(defaults, {"spec", "webhookPort"}), "<missing>");
  json::object tuned = Created(Fixture("policyserver-tuned.yaml").at(0));
  EXPECT_EQ(At(tuned, {"spec", "minAvailable"}), "50%");
  EXPECT_EQ(At(tuned, {"spec", "requests", "cpu"}), "1");
  EXPECT_EQ(At(tuned, {"spec", "limits", "memory"}), "1Gi");
}

TEST_F(CrdsTest, DeprecatedVersionObjectsApply) {
  std::vector<json::value> objects = Fixture("v1alpha2.yaml");
  ASSERT_EQ(objects.size(), 3u);
  json::object server = Created(objects[0]);
  EXPECT_EQ(At(server, {"apiVersion"}), "policies.kubewarden.io/v1alpha2");
  json::object policy = Created(objects[1]);
  EXPECT_EQ(At(policy, {"spec", "policyServer"}), "legacy");
  EXPECT_EQ(At(policy, {"spec", "mode"}), "protect");
  EXPECT_EQ(At(policy, {"spec", "timeoutSeconds"}), "10");
  json::object namespaced = Created(objects[2]);
  EXPECT_EQ(At(namespaced, {"spec", "policyServer"}), "default");

  // The same objects read through v1.
  HttpResult v1 = double_->Request(
      "GET", "/apis/policies.kubewarden.io/v1/clusteradmissionpolicies/legacy-privileged-pods");
  ASSERT_EQ(v1.status, 200) << v1.body;
  EXPECT_EQ(At(AsObject(v1.body), {"spec", "module"}),
            "registry://ghcr.io/kubewarden/policies/pod-privileged:v0.1.9");
}

TEST_F(CrdsTest, ScaffoldedManifestsApplyUnchanged) {
  std::string policy = testing::MakeTempDir() + "/pod-privileged.wasm";
  auto annotated = testing::RunKwctl({"annotate", testing::TestData("test_policy.wasm"), "-m",
                                      SourcePath("policies/pod-privileged/metadata.yml"), "-o",
                                      policy});
  ASSERT_EQ(annotated.exit_code, 0) << annotated.err;
  for (std::string type : {"ClusterAdmissionPolicy", "AdmissionPolicy"}) {
    auto scaffolded = testing::RunKwctl({"scaffold", "manifest", "--type", type,
                                         "--settings-json", R"({"skip_init_containers":true})",
                                         policy});
    ASSERT_EQ(scaffolded.exit_code, 0) << scaffolded.err;
    std::vector<json::value> manifest = YamlDocuments(scaffolded.out, "kwctl scaffold manifest");
    ASSERT_EQ(manifest.size(), 1u) << scaffolded.out;
    json::object stored = Created(manifest[0]);
    EXPECT_EQ(At(stored, {"kind"}), type);
    EXPECT_EQ(At(stored, {"spec", "policyServer"}), "default");
    EXPECT_EQ(At(stored, {"spec", "backgroundAudit"}), "true");
    EXPECT_EQ(At(stored, {"spec", "settings", "skip_init_containers"}), "true");
  }
}

// kwctl scaffold vap's ClusterAdmissionPolicy (selectors, matchPolicy, monitor mode) is valid too.
TEST_F(CrdsTest, ScaffoldedVapApplies) {
  const std::string dir = testing::MakeTempDir();
  const std::string vap = dir + "/vap.yaml", binding = dir + "/binding.yaml";
  ASSERT_TRUE(WriteFile(vap, R"yaml(apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  matchConstraints:
    matchPolicy: Exact
    objectSelector: {matchLabels: {audited: "yes"}}
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: ["*"], resources: [deployments], scope: Namespaced}
  validations:
  - {expression: "object.spec.replicas <= 5", reason: Invalid}
)yaml"));
  ASSERT_TRUE(WriteFile(binding, R"yaml(apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas-binding}
spec:
  policyName: replicas
  validationActions: [Audit]
  matchResources:
    namespaceSelector: {matchExpressions: [{key: env, operator: In, values: [test]}]}
)yaml"));
  auto scaffolded = testing::RunKwctl({"scaffold", "vap", "-p", vap, "-b", binding});
  ASSERT_EQ(scaffolded.exit_code, 0) << scaffolded.err;
  std::vector<json::value> manifest = YamlDocuments(scaffolded.out, "kwctl scaffold vap");
  ASSERT_EQ(manifest.size(), 1u) << scaffolded.out;
  json::object stored = Created(manifest[0]);
  EXPECT_EQ(At(stored, {"spec", "mode"}), "monitor");
  EXPECT_EQ(At(stored, {"spec", "matchPolicy"}), "Exact");
  EXPECT_EQ(At(stored, {"spec", "policyServer"}), "default");
}

TEST_F(CrdsTest, InvalidObjectsAreRefusedBySchema) {
  json::value policy = Fixture("clusteradmissionpolicy-pod-privileged.yaml").at(0);
  auto invalid = [&](const std::string& name, auto change) {
    json::value copy = policy;
    copy.get_object()["metadata"].get_object()["name"] = name;
    change(copy.get_object()["spec"].get_object());
    HttpResult r = Apply(copy);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(At(AsObject(r.body), {"reason"}), "Invalid");
    return At(AsObject(r.body), {"message"});
  };
  EXPECT_EQ(invalid("bad-mode", [](json::object& spec) { spec["mode"] = "audit"; }),
            "ClusterAdmissionPolicy.policies.kubewarden.io \"bad-mode\" is invalid: spec.mode: "
            "Unsupported value: \"audit\": supported values: \"protect\", \"monitor\"");
  EXPECT_EQ(invalid("no-module", [](json::object& spec) { spec.erase("module"); }),
            "ClusterAdmissionPolicy.policies.kubewarden.io \"no-module\" is invalid: "
            "spec.module: Required value");
  EXPECT_EQ(invalid("wrong-type", [](json::object& spec) { spec["mutating"] = "no"; }),
            "ClusterAdmissionPolicy.policies.kubewarden.io \"wrong-type\" is invalid: "
            "spec.mutating: Invalid value: \"string\": spec.mutating in body must be of type "
            "boolean: \"string\"");
  EXPECT_THAT(invalid("bad-failure-policy",
                      [](json::object& spec) { spec["failurePolicy"] = "Maybe"; }),
              HasSubstr("spec.failurePolicy: Unsupported value: \"Maybe\": supported values: "
                        "\"Ignore\", \"Fail\""));

  json::value server = Fixture("policyserver-default.yaml").at(0);
  server.get_object()["metadata"].get_object()["name"] = "no-replicas";
  server.get_object()["spec"].get_object()["replicas"] = "one";
  HttpResult r = Apply(server);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(At(AsObject(r.body), {"message"}),
            "PolicyServer.policies.kubewarden.io \"no-replicas\" is invalid: spec.replicas: "
            "Invalid value: \"string\": spec.replicas in body must be of type integer: "
            "\"string\"");
}

TEST_F(CrdsTest, StatusTakesThePolicyStatesOnly) {
  json::value policy = Fixture("clusteradmissionpolicy-pod-privileged.yaml").at(0);
  policy.get_object()["metadata"].get_object()["name"] = "with-status";
  json::object stored = Created(policy);
  std::string path = "/apis/policies.kubewarden.io/v1/clusteradmissionpolicies/with-status/status";
  stored["status"] = json::object{
      {"policyStatus", "active"},
      {"mode", "protect"},
      {"conditions", json::array{json::object{{"type", "PolicyActive"},
                                              {"status", "True"},
                                              {"reason", "PolicyActive"},
                                              {"message", "The policy webhook has been created"},
                                              {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}};
  HttpResult active = double_->Request("PUT", path, ToJson(stored));
  ASSERT_EQ(active.status, 200) << active.body;
  EXPECT_EQ(At(AsObject(active.body), {"status", "policyStatus"}), "active");

  // Upstream's values are unscheduled and scheduled: there is no "unschedulable".
  json::object current = AsObject(active.body);
  current["status"].get_object()["policyStatus"] = "unschedulable";
  HttpResult refused = double_->Request("PUT", path, ToJson(current));
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_THAT(At(AsObject(refused.body), {"message"}),
              HasSubstr("status.policyStatus: Unsupported value: \"unschedulable\": supported "
                        "values: \"unscheduled\", \"scheduled\", \"pending\", \"active\""));
}

TEST_F(CrdsTest, ReportsApply) {
  std::vector<json::value> reports = Fixture("reports.yaml");
  ASSERT_EQ(reports.size(), 4u);
  for (const auto& report : reports) {
    json::object stored = Created(report);
    EXPECT_EQ(At(stored["results"].get_array()[0], {"source"}), "kubewarden");
  }
  json::value wrong = reports[0];
  wrong.get_object()["metadata"].get_object()["name"] = "wrong-result";
  wrong.get_object()["results"].get_array()[0].get_object()["result"] = "passed";
  HttpResult r = Apply(wrong);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_THAT(At(AsObject(r.body), {"message"}),
              HasSubstr("results[0].result: Unsupported value: \"passed\""));
}

// The compliance UI's base: a Deployment that reads the reports (its ClusterRole only gets,
// lists and watches them), serves on 8080 and keeps its history on a 1Gi volume.
TEST_F(CrdsTest, TheComplianceUiBaseApplies) {
  testing::ProcessResult rendered = RunProcess({"/usr/bin/env", "kubectl", "kustomize", SourcePath("deploy/ui")});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  double_->Seed("apiVersion: v1\nkind: Namespace\nmetadata: {name: kubewarden}\n");
  double_->Seed(rendered.out);
  const auto get = [](const std::string& path) { return AsObject(double_->Request("GET", path).body); };

  json::object deployment = get("/apis/apps/v1/namespaces/kubewarden/deployments/compliance-ui");
  const json::value pod = deployment["spec"].at("template").at("spec");
  EXPECT_EQ(At(pod, {"serviceAccountName"}), "compliance-ui");
  EXPECT_EQ(At(pod, {"securityContext", "runAsUser"}), "65533");
  const json::value& container = pod.at("containers").at(0);
  EXPECT_EQ(At(container, {"image"}), "localhost:5000/kubewarden-cpp/compliance-ui:latest");
  EXPECT_THAT(At(container, {"args"}), HasSubstr("\"--db=/data/history.db\""));
  EXPECT_EQ(At(container, {"readinessProbe", "httpGet", "path"}), "/readyz");
  EXPECT_EQ(At(container, {"livenessProbe", "httpGet", "path"}), "/healthz");
  EXPECT_EQ(At(container, {"volumeMounts"}), R"([{"mountPath":"/data","name":"history"}])");
  EXPECT_EQ(At(pod, {"volumes"}),
            R"([{"name":"history","persistentVolumeClaim":{"claimName":"compliance-ui-history"}}])");

  json::object claim = get("/api/v1/namespaces/kubewarden/persistentvolumeclaims/compliance-ui-history");
  EXPECT_EQ(At(claim, {"spec", "resources", "requests", "storage"}), "1Gi");
  json::object service = get("/api/v1/namespaces/kubewarden/services/compliance-ui");
  EXPECT_EQ(At(service["spec"].at("ports").at(0), {"port"}), "8080");
  EXPECT_EQ(At(get("/api/v1/namespaces/kubewarden/serviceaccounts/compliance-ui"), {"metadata", "name"}),
            "compliance-ui");
  json::object role = get("/apis/rbac.authorization.k8s.io/v1/clusterroles/compliance-ui-cluster-role");
  EXPECT_EQ(ToJson(role["rules"]),
            R"([{"apiGroups":["wgpolicyk8s.io"],"resources":["policyreports","clusterpolicyreports"],"verbs":["get","list","watch"]},)"
            R"({"apiGroups":["openreports.io"],"resources":["reports","clusterreports"],"verbs":["get","list","watch"]}])");
  json::object binding =
      get("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/compliance-ui-cluster-role-binding");
  EXPECT_EQ(At(binding, {"roleRef", "name"}), "compliance-ui-cluster-role");
  EXPECT_EQ(At(binding["subjects"].at(0), {"namespace"}), "kubewarden");
}

}  // namespace
}  // namespace kw
