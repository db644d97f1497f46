#include "crd/admission.h"

#include <gtest/gtest.h>

#include "base/base64.h"
#include "crd/map_object_lookup.h"
#include "testing/json.h"

namespace kw::crd {
namespace {

using testing::J;

std::string Review(std::string_view operation, std::string_view object,
                   std::string_view old_object = "null") {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002",)"
         R"("kind":{"group":"policies.kubewarden.io","version":"v1","kind":"ClusterAdmissionPolicy"},)"
         R"("operation":")" + std::string(operation) + R"(","object":)" + std::string(object) +
         R"(,"oldObject":)" + std::string(old_object) + "}}";
}

constexpr std::string_view kPolicy =
    R"({"apiVersion":"policies.kubewarden.io/v1","kind":"ClusterAdmissionPolicy","metadata":{"name":"privileged-pods"},)"
    R"("spec":{"module":"registry://ghcr.io/kubewarden/policies/pod-privileged:v0.2.2","mutating":false,)"
    R"("rules":[{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"],"operations":["CREATE","UPDATE"]}]}})";

class AdmissionTest : public ::testing::Test {
 protected:
  json::value Answer(std::string_view path, std::string_view body) {
    auto answer = HandleAdmissionReview(path, body, lookup_, options_);
    EXPECT_TRUE(answer) << answer.error().message;
    return answer ? J(*answer) : json::value();
  }
  MapObjectLookup lookup_;
  WebhookOptions options_;
};

TEST(WebhookRoutes, NamesAndPathsOfEveryKind) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"/mutate-policies-kubewarden-io-v1-clusteradmissionpolicy", "mclusteradmissionpolicy.kb.io"},
      {"/mutate-policies-kubewarden-io-v1-admissionpolicy", "madmissionpolicy.kb.io"},
      {"/mutate-policies-kubewarden-io-v1-clusteradmissionpolicygroup", "mclusteradmissionpolicygroup.kb.io"},
      {"/mutate-policies-kubewarden-io-v1-admissionpolicygroup", "madmissionpolicygroup.kb.io"},
      {"/mutate-policies-kubewarden-io-v1-policyserver", "mpolicyserver.kb.io"},
      {"/validate-policies-kubewarden-io-v1-clusteradmissionpolicy", "vclusteradmissionpolicy.kb.io"},
      {"/validate-policies-kubewarden-io-v1-admissionpolicy", "vadmissionpolicy.kb.io"},
      {"/validate-policies-kubewarden-io-v1-clusteradmissionpolicygroup", "vclusteradmissionpolicygroup.kb.io"},
      {"/validate-policies-kubewarden-io-v1-admissionpolicygroup", "vadmissionpolicygroup.kb.io"},
      {"/validate-policies-kubewarden-io-v1-policyserver", "vpolicyserver.kb.io"},
  };
  for (const auto& [path, name] : expected) {
    std::optional<WebhookRoute> route = RouteFor(path);
    ASSERT_TRUE(route) << path;
    EXPECT_EQ(WebhookName(*route), name);
    EXPECT_EQ(WebhookPath(*route), path);
  }
  for (std::string_view path : {"/", "/validate-policies-kubewarden-io-v1-", "/validate-policies-kubewarden-io-v1-PolicyServer",
                                "/validate-policies-kubewarden-io-v1-policyserver/", "/mutate-policies-kubewarden-io-v1alpha2-policyserver"}) {
    EXPECT_FALSE(RouteFor(path)) << path;
  }
}

TEST_F(AdmissionTest, ValidObjectIsAllowed) {
  json::value answer = Answer("/validate-policies-kubewarden-io-v1-clusteradmissionpolicy", Review("CREATE", kPolicy));
  EXPECT_EQ(ToJson(answer),
            R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true,"status":{"metadata":{},"code":200}}})");
}

TEST_F(AdmissionTest, InvalidObjectIsRefusedWithTheStatusOfNewInvalid) {
  std::string bad(kPolicy);
  bad.replace(bad.find(R"("operations":["CREATE","UPDATE"])"), 32, R"("operations":[])");
  json::value answer = Answer("/validate-policies-kubewarden-io-v1-clusteradmissionpolicy", Review("CREATE", bad));
  EXPECT_EQ(ToJson(answer.at("response")),
            R"({"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":false,"status":{"metadata":{},"status":"Failure",)"
            R"("message":"ClusterAdmissionPolicy.policies.kubewarden.io \"privileged-pods\" is invalid: spec.rules.operations: Required value: a value must be specified",)"
            R"("reason":"Invalid","details":{"name":"privileged-pods","group":"policies.kubewarden.io","kind":"ClusterAdmissionPolicy",)"
            R"("causes":[{"reason":"FieldValueRequired","message":"Required value: a value must be specified","field":"spec.rules.operations"}]},"code":422}})");
}

TEST_F(AdmissionTest, UpdatesAreCheckedAgainstTheOldObject) {
  std::string moved(kPolicy);
  moved.replace(moved.find(R"("mutating")"), 0, R"("policyServer":"other",)");
  std::string old(kPolicy);
  old.replace(old.find(R"("mutating")"), 0, R"("policyServer":"default",)");
  json::value answer = Answer("/validate-policies-kubewarden-io-v1-clusteradmissionpolicy", Review("UPDATE", moved, old));
  EXPECT_EQ(answer.at("response").at("allowed"), false);
  EXPECT_EQ(answer.at("response").at("status").at("message"),
            "ClusterAdmissionPolicy.policies.kubewarden.io \"privileged-pods\" is invalid: spec.policyServer: Forbidden: the field is immutable");
  EXPECT_EQ(Answer("/validate-policies-kubewarden-io-v1-clusteradmissionpolicy", Review("UPDATE", old, old))
                .at("response").at("allowed"),
            true);
  // Deletions are not reviewed.
  EXPECT_EQ(Answer("/validate-policies-kubewarden-io-v1-clusteradmissionpolicy", Review("DELETE", "null", moved))
                .at("response").at("allowed"),
            true);
}

TEST_F(AdmissionTest, MutationAnswersWithABase64JsonPatch) {
  json::value answer = Answer("/mutate-policies-kubewarden-io-v1-clusteradmissionpolicy", Review("CREATE", kPolicy));
  const json::object& response = answer.at("response").as_object();
  EXPECT_EQ(response.at("allowed"), true);
  EXPECT_EQ(response.at("patchType"), "JSONPatch");
  auto patch = Base64Decode(std::string_view(response.at("patch").as_string()));
  ASSERT_TRUE(patch);
  EXPECT_EQ(*patch, R"([{"op":"add","path":"/metadata/finalizers","value":["kubewarden.io/finalizer"]},)"
                    R"({"op":"add","path":"/spec/policyServer","value":"default"}])");

  std::string defaulted(kPolicy);
  defaulted.replace(defaulted.find(R"("mutating")"), 0, R"("policyServer":"default",)");
  defaulted.replace(defaulted.find(R"("name")"), 0, R"("finalizers":["kubewarden.io/finalizer"],)");
  json::value unchanged = Answer("/mutate-policies-kubewarden-io-v1-clusteradmissionpolicy", Review("UPDATE", defaulted, kPolicy));
  EXPECT_EQ(ToJson(unchanged.at("response")),
            R"({"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true,"status":{"metadata":{},"code":200}})");
}

TEST_F(AdmissionTest, UnreadableObjectsAreAnswered400) {
  for (std::string_view object : {"null", "[]", "\"x\""}) {
    for (std::string_view path : {"/mutate-policies-kubewarden-io-v1-policyserver", "/validate-policies-kubewarden-io-v1-policyserver"}) {
      json::value answer = Answer(path, Review("CREATE", object));
      EXPECT_EQ(answer.at("response").at("allowed"), false) << object;
      EXPECT_EQ(answer.at("response").at("status").at("code"), 400) << object;
    }
  }
}

TEST_F(AdmissionTest, BadRequestsAreErrors) {
  auto error = [&](std::string_view path, std::string_view body) {
    auto answer = HandleAdmissionReview(path, body, lookup_, options_);
    EXPECT_FALSE(answer) << body;
    return answer ? Error() : answer.error();
  };
  EXPECT_EQ(error("/validate-policies-kubewarden-io-v1-nothing", Review("CREATE", kPolicy)).kind, ErrorKind::kNotFound);
  const std::string path = "/validate-policies-kubewarden-io-v1-policyserver";
  for (std::string_view body :
       {std::string_view(""), std::string_view("{"), std::string_view("[]"),
        std::string_view(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})"),
        std::string_view(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":{}}})"),
        std::string_view(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}})"),
        std::string_view(R"({"apiVersion":"v1","kind":"AdmissionReview","request":{"uid":"u"}})"),
        std::string_view(R"({"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u"}})")}) {
    Error e = error(path, body);
    EXPECT_EQ(e.kind, ErrorKind::kInvalidArgument) << body;
    EXPECT_TRUE(e.message.starts_with("invalid AdmissionReview")) << e.message;
  }
  std::string huge = Review("CREATE", R"({"metadata":{"name":")" + std::string(kMaxAdmissionReviewBytes, 'a') + "\"}}");
  EXPECT_EQ(error(path, huge).message, "invalid AdmissionReview: the body is larger than 8 MiB");
}

TEST_F(AdmissionTest, EchoesV1beta1Reviews) {
  std::string body = Review("CREATE", kPolicy);
  body.replace(body.find("admission.k8s.io/v1"), 19, "admission.k8s.io/v1beta1");
  EXPECT_EQ(Answer("/validate-policies-kubewarden-io-v1-clusteradmissionpolicy", body).at("apiVersion"),
            "admission.k8s.io/v1beta1");
}

}  // namespace
}  // namespace kw::crd
