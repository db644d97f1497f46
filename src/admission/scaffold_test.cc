#include "admission/scaffold.h"
#include "testing/json.h"

#include <gtest/gtest.h>

#include "admission/request.h"

namespace kw::admission {
namespace {

using testing::J;

TEST(ScaffoldTest, PodInItsNamespace) {
  const json::value pod =
      J(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"nginx","namespace":"team-a"},)"
        R"("spec":{"containers":[{"name":"nginx","image":"nginx"}]}})");
  auto r = ScaffoldAdmissionRequest("CREATE", pod, nullptr);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(json::serialize(*r),
            R"({"uid":"705ab4f5-6393-11e8-b7cc-42010a800002",)"
            R"("kind":{"group":"","version":"v1","kind":"Pod"},)"
            R"("resource":{"group":"","version":"v1","resource":"pods"},)"
            R"("requestKind":{"group":"","version":"v1","kind":"Pod"},)"
            R"("requestResource":{"group":"","version":"v1","resource":"pods"},)"
            R"("namespace":"team-a","operation":"CREATE",)"
            R"("userInfo":{"groups":["system:masters"],"username":"test-user"},)"
            R"("object":)" +
                json::serialize(pod) + "}");
}

TEST(ScaffoldTest, IsAlreadyNormalized) {
  // Built directly in upstream's order: normalizing it changes nothing.
  for (const char* object :
       {R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"n","namespace":"x"}})",
        R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole"})"}) {
    auto r = ScaffoldAdmissionRequest("CREATE", J(object), nullptr);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    const std::string text = json::serialize(*r);
    auto normalized = ParseKwctlRequest(text, /*raw=*/false);
    ASSERT_TRUE(normalized.has_value()) << normalized.error().message;
    EXPECT_EQ(normalized->json(), text);
  }
}

TEST(ScaffoldTest, NamespacedKindWithoutNamespaceGetsDefault) {
  auto r = ScaffoldAdmissionRequest(
      "CREATE", J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"}})"),
      nullptr);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->at("namespace"), json::value("default"));
  EXPECT_EQ(r->at("kind"), J(R"({"group":"apps","version":"v1","kind":"Deployment"})"));
  EXPECT_EQ(r->at("resource"), J(R"({"group":"apps","version":"v1","resource":"deployments"})"));
}

TEST(ScaffoldTest, ClusterScopedKindsHaveNoNamespace) {
  for (const char* object :
       {R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}})",
        R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole"})",
        R"({"apiVersion":"policies.kubewarden.io/v1","kind":"ClusterAdmissionPolicy"})"}) {
    auto r = ScaffoldAdmissionRequest("CREATE", J(object), nullptr);
    ASSERT_TRUE(r.has_value()) << object;
    EXPECT_FALSE(r->as_object().contains("namespace")) << object;
  }
}

TEST(ScaffoldTest, Plurals) {
  const std::tuple<const char*, const char*, const char*, bool> kCases[] = {
      {"networking.k8s.io", "Ingress", "ingresses", true},
      {"networking.k8s.io", "NetworkPolicy", "networkpolicies", true},
      {"extensions", "Ingress", "ingresses", true},  // known kind, other group
      {"", "Endpoints", "endpoints", true},
      {"batch", "CronJob", "cronjobs", true},
      {"storage.k8s.io", "StorageClass", "storageclasses", false},
      {"policy", "PodDisruptionBudget", "poddisruptionbudgets", true},
      {"", "ComponentStatus", "componentstatuses", false},
      {"example.com", "Widget", "widgets", true},  // unknown: English rules
      {"example.com", "Box", "boxes", true},
      {"example.com", "Match", "matches", true},
      {"example.com", "Mesh", "meshes", true},
      {"example.com", "Proxy", "proxies", true},
      {"example.com", "Gateway", "gateways", true},
      {"example.com", "Status", "statuses", true},
  };
  for (const auto& [group, kind, plural, namespaced] : kCases) {
    const ResourceInfo info = LookupResource(group, kind);
    EXPECT_EQ(info.plural, plural) << kind;
    EXPECT_EQ(info.namespaced, namespaced) << kind;
  }
}

TEST(ScaffoldTest, OnlyCreateIsSupported) {
  const json::value pod = J(R"({"apiVersion":"v1","kind":"Pod"})");
  for (const char* op : {"UPDATE", "DELETE", "CONNECT"}) {
    auto r = ScaffoldAdmissionRequest(op, pod, &pod);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ErrorKind::kUnimplemented);
    EXPECT_NE(r.error().message.find("only CREATE"), std::string::npos);
  }
  auto bogus = ScaffoldAdmissionRequest("create", pod, nullptr);
  ASSERT_FALSE(bogus.has_value());
  EXPECT_EQ(bogus.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(bogus.error().message,
            "unknown operation `create`: expected one of CREATE, UPDATE, DELETE, CONNECT");
}

TEST(ScaffoldTest, CreateHasNoOldObject) {
  const json::value pod = J(R"({"apiVersion":"v1","kind":"Pod"})");
  auto r = ScaffoldAdmissionRequest("CREATE", pod, &pod);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "a CREATE request cannot have an old object");
  const json::value null_old;
  EXPECT_TRUE(ScaffoldAdmissionRequest("CREATE", pod, &null_old).has_value());
}

TEST(ScaffoldTest, RejectsObjectsWithoutGvk) {
  const std::pair<const char*, const char*> kCases[] = {
      {"[]", "invalid object: expected a JSON object"},
      {R"({"kind":"Pod"})", "invalid object: missing or non-string `apiVersion`"},
      {R"({"apiVersion":1,"kind":"Pod"})", "invalid object: missing or non-string `apiVersion`"},
      {R"({"apiVersion":"v1"})", "invalid object: missing, empty or non-string `kind`"},
      {R"({"apiVersion":"v1","kind":""})", "invalid object: missing, empty or non-string `kind`"},
      {R"({"apiVersion":"apps/","kind":"Deployment"})",
       "invalid object: malformed `apiVersion` \"apps/\""},
      {R"({"apiVersion":"a/b/c","kind":"X"})", "invalid object: malformed `apiVersion` \"a/b/c\""},
  };
  for (const auto& [object, expected] : kCases) {
    auto r = ScaffoldAdmissionRequest("CREATE", J(object), nullptr);
    ASSERT_FALSE(r.has_value()) << object;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(r.error().message, expected);
  }
}

}  // namespace
}  // namespace kw::admission
