#include "audit/report.h"

#include <gtest/gtest.h>

#include "testing/json.h"

namespace kw::audit {
namespace {

using testing::J;

const kube::ResourceType kPods{"", "v1", "Pod", "pods", true, {}};
const kube::ResourceType kNamespaces{"", "v1", "Namespace", "namespaces", false, {}};
const json::value kPod = J(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"nginx",
    "namespace":"team","uid":"u-1","resourceVersion":"42","labels":{"app":"web"}},"spec":{}})");

TEST(SyntheticReview, IsACreateOfTheResourceWithUpstreamsQuirks) {
  json::value review = J(SyntheticReview(kPod, kPods));
  const json::value& request = review.at("request");
  EXPECT_EQ(request.at("uid"), "u-1");
  EXPECT_EQ(request.at("operation"), "CREATE");
  EXPECT_EQ(request.at("resource"), J(R"({"group":"","version":"v1","resource":"Pod"})"));
  EXPECT_EQ(request.at("kind"), J(R"({"group":"","version":"v1","kind":"Pod"})"));
  EXPECT_EQ(request.at("userInfo"), json::object{});
  EXPECT_EQ(request.at("object"), kPod);
  EXPECT_FALSE(review.as_object().contains("apiVersion"));
}

TEST(ReadAuditAnswer, MapsAnswersToVerdicts) {
  EXPECT_EQ(ReadAuditAnswer(200, R"({"response":{"allowed":true}})").verdict, Verdict::kPass);
  Evaluation refused =
      ReadAuditAnswer(200, R"({"response":{"allowed":false,"status":{"message":"no"}}})");
  EXPECT_EQ(refused.verdict, Verdict::kFail);
  EXPECT_EQ(refused.message, "no");
  EXPECT_EQ(ReadAuditAnswer(200, R"({"response":{"allowed":false,"status":{"code":500,"message":"x"}}})").verdict,
            Verdict::kError);
  EXPECT_EQ(ReadAuditAnswer(503, "busy").verdict, Verdict::kError);
  EXPECT_EQ(ReadAuditAnswer(0, "", "connection refused").message,
            "cannot reach the policy server: connection refused");
  EXPECT_EQ(ReadAuditAnswer(200, "garbage").verdict, Verdict::kError);
  EXPECT_EQ(ReadAuditAnswer(200, R"({"response":{"allowed":"yes"}})").verdict, Verdict::kError);
}

crd::Policy Policy(std::string_view text) { return *crd::ParsePolicy(J(text)); }

TEST(BuildReport, OneReportPerResourceInUpstreamsShape) {
  crd::Policy cap = Policy(R"({"kind":"ClusterAdmissionPolicy","metadata":{"name":"privileged",
      "uid":"p-1","resourceVersion":"7","annotations":{"io.kubewarden.policy.category":"PSP",
      "io.kubewarden.policy.severity":"high"}},"spec":{"module":"m","mutating":false,
      "contextAwareResources":[{"apiVersion":"v1","kind":"Secret"}]}})");
  crd::Policy ap = Policy(R"({"kind":"AdmissionPolicy","metadata":{"name":"mine","namespace":"team",
      "uid":"p-2","resourceVersion":"8","annotations":{"io.kubewarden.policy.severity":"high"}},
      "spec":{"module":"m","mutating":true,"mode":"monitor"}})");
  ReportContext context{ReportKind::kOpenReports, "run-1",
                        std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)),
                        2, 1};
  json::value report = BuildReport(
      kPod, kPods,
      {{&cap, {Verdict::kFail, "Privileged container is not allowed"}}, {&ap, {Verdict::kPass, ""}}},
      context);
  EXPECT_EQ(report.at("apiVersion"), "openreports.io/v1alpha1");
  EXPECT_EQ(report.at("kind"), "Report");
  EXPECT_EQ(report.at("metadata"), J(R"({"name":"u-1","namespace":"team","labels":{
      "app.kubernetes.io/managed-by":"kubewarden","kubewarden.io/policyreport-version":"v2",
      "kubewarden.io/audit-scanner-run-uid":"run-1"},
      "ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":"nginx","uid":"u-1"}]})"));
  EXPECT_EQ(report.at("scope"), J(R"({"apiVersion":"v1","kind":"Pod","namespace":"team",
      "name":"nginx","uid":"u-1","resourceVersion":"42"})"));
  EXPECT_EQ(report.at("summary"), J(R"({"pass":1,"fail":1,"warn":0,"error":1,"skip":2})"));
  EXPECT_EQ(report.at("results").at(0), J(R"({"source":"kubewarden","policy":"clusterwide-privileged",
      "category":"PSP","severity":"high","result":"fail","scored":true,"resourceSelector":{},
      "message":"Privileged container is not allowed","timestamp":{"seconds":1700000000,"nanos":0},
      "properties":{"validating":"true","context-aware":"true","policy-resource-version":"7",
      "policy-uid":"p-1","policy-name":"privileged"}})"));
  // Monitor mode: severity info; namespaced policies name their namespace.
  const json::value& second = report.at("results").at(1);
  EXPECT_EQ(second.at("severity"), "info");
  EXPECT_EQ(second.at("properties").at("mutating"), "true");
  EXPECT_EQ(second.at("properties").at("policy-namespace"), "team");
  EXPECT_FALSE(second.as_object().contains("message"));
}

TEST(BuildReport, ClusterScopedResourcesAndTheLegacyKind) {
  json::value ns = J(R"({"metadata":{"name":"team","uid":"n-1","resourceVersion":"3"}})");
  ReportContext context{ReportKind::kPolicyReport, "run-2", {}, 0, 0};
  json::value report = BuildReport(ns, kNamespaces, {}, context);
  EXPECT_EQ(report.at("apiVersion"), "wgpolicyk8s.io/v1alpha2");
  EXPECT_EQ(report.at("kind"), "ClusterPolicyReport");
  EXPECT_FALSE(report.at("metadata").as_object().contains("namespace"));
  EXPECT_FALSE(report.at("scope").as_object().contains("namespace"));
  EXPECT_EQ(report.at("results"), json::array{});
  context.kind = ReportKind::kOpenReports;
  EXPECT_EQ(BuildReport(ns, kNamespaces, {}, context).at("kind"), "ClusterReport");
}

// A policy chooses its message, and a resource may be audited by hundreds of policies: reports
// stay writable, cut with a note, their summary still counting everything.
TEST(BuildReport, BoundsMessagesAndReportsSaying) {
  crd::Policy cap = Policy(R"({"kind":"ClusterAdmissionPolicy","metadata":{"name":"p"},
      "spec":{"module":"m","mutating":false}})");
  ReportContext context{ReportKind::kPolicyReport, "run", {}, 0, 0};
  // "é" straddles the cut: the message stays valid UTF-8.
  std::string huge = std::string(kMaxMessageBytes - 24, 'x') + "\u00e9" + std::string(1u << 20, 'y');
  huge.replace(kMaxMessageBytes - 24, 6, "\xc3\xa9");
  json::value report = BuildReport(kPod, kPods, {{&cap, {Verdict::kFail, huge}}}, context);
  const std::string message = StringAt(report.at("results").at(0), {"message"});
  EXPECT_LE(message.size(), kMaxMessageBytes);
  EXPECT_TRUE(message.ends_with(" [cut by audit-scanner]")) << message.substr(message.size() - 40);
  EXPECT_FALSE(report.at("metadata").as_object().contains("annotations"));

  std::vector<PolicyResult> results;
  for (int i = 0; i < 300; ++i) {
    results.push_back({&cap, {i % 3 == 0 ? Verdict::kFail : Verdict::kPass,
                              std::string(3000, 'm')}});
  }
  report = BuildReport(kPod, kPods, results, context, 200'000);
  EXPECT_LE(ToJson(report).size(), 200'000u);
  const json::array& kept = report.at("results").as_array();
  EXPECT_GT(kept.size(), 50u);
  EXPECT_LT(kept.size(), 300u);
  for (const json::value& result : kept) EXPECT_EQ(result.at("result"), "fail");  // fails first
  EXPECT_EQ(report.at("summary"), J(R"({"pass":200,"fail":100,"warn":0,"error":0,"skip":0})"));
  EXPECT_EQ(StringAt(report, {"metadata", "annotations", kTruncatedAnnotation}),
            std::to_string(300 - kept.size()) +
                " of 300 results left out: the report would be larger than 200000 bytes (the "
                "summary counts them all)");
}

// What a scan decides is in the digest; what the server or the run adds is not.
TEST(ReportDigest, IgnoresRunUidTimestampsAndServerFields) {
  crd::Policy cap = Policy(R"({"kind":"ClusterAdmissionPolicy","metadata":{"name":"p"},
      "spec":{"module":"m","mutating":false}})");
  ReportContext context{ReportKind::kPolicyReport, "run-1",
                        std::chrono::system_clock::time_point(std::chrono::seconds(1)), 0, 0};
  json::value first = BuildReport(kPod, kPods, {{&cap, {Verdict::kFail, "no"}}}, context);
  context.run_uid = "run-2";
  context.now = std::chrono::system_clock::time_point(std::chrono::seconds(2));
  json::value stored = BuildReport(kPod, kPods, {{&cap, {Verdict::kFail, "no"}}}, context);
  json::object& metadata = stored.as_object()["metadata"].as_object();
  metadata["resourceVersion"] = "99";
  metadata["managedFields"] = json::array{json::object{{"manager", "x"}}};
  metadata["labels"].as_object()["added-by-someone"] = "yes";
  EXPECT_EQ(ReportDigest(first), ReportDigest(stored));
  EXPECT_NE(ReportDigest(first),
            ReportDigest(BuildReport(kPod, kPods, {{&cap, {Verdict::kFail, "other"}}}, context)));
  EXPECT_NE(ReportDigest(first),
            ReportDigest(BuildReport(kPod, kPods, {{&cap, {Verdict::kPass, "no"}}}, context)));
  EXPECT_EQ(ReportDigest(J("[1]")), ReportDigest(J("{}")));  // hostile input: no crash
}

}  // namespace
}  // namespace kw::audit
