#include "ui/report.h"

#include <gtest/gtest.h>

namespace kw::ui {
namespace {

// What src/audit/report.cc writes for a namespaced resource.
constexpr std::string_view kPolicyReport = R"({
  "apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
  "metadata": {"name": "uid-1", "namespace": "team-a",
               "labels": {"app.kubernetes.io/managed-by": "kubewarden",
                          "kubewarden.io/audit-scanner-run-uid": "run-1"}},
  "scope": {"apiVersion": "v1", "kind": "Pod", "namespace": "team-a", "name": "web",
            "uid": "uid-1", "resourceVersion": "7"},
  "summary": {"pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 0},
  "results": [
    {"source": "kubewarden", "policy": "clusterwide-no-privileged-pod", "category": "PSP",
     "severity": "high", "result": "fail", "scored": true, "message": "privileged container",
     "timestamp": {"seconds": 1767225600, "nanos": 0},
     "properties": {"validating": "true", "policy-name": "no-privileged-pod"}},
    {"source": "kubewarden", "policy": "namespaced-team-a-labels", "result": "pass",
     "timestamp": {"seconds": 1767225600, "nanos": 0}}
  ]
})";

TEST(ParseReportTest, ReadsWhatTheScannerWrites) {
  auto report = ParseReport(kPolicyReport);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->run_uid, "run-1");
  EXPECT_EQ(report->resource.uid, "uid-1");
  EXPECT_EQ(report->resource.api_version, "v1");
  EXPECT_EQ(report->resource.kind, "Pod");
  EXPECT_EQ(report->resource.ns, "team-a");
  EXPECT_EQ(report->resource.name, "web");
  ASSERT_EQ(report->results.size(), 2u);
  const ReportResult& fail = report->results[0];
  EXPECT_EQ(fail.policy, "clusterwide-no-privileged-pod");
  EXPECT_EQ(fail.result, Verdict::kFail);
  EXPECT_EQ(fail.severity, "high");
  EXPECT_EQ(fail.category, "PSP");
  EXPECT_EQ(fail.message, "privileged container");
  EXPECT_EQ(fail.timestamp, "2026-01-01T00:00:00Z");
  EXPECT_EQ(fail.properties, R"({"validating":"true","policy-name":"no-privileged-pod"})");
  EXPECT_EQ(report->results[1].severity, "");
  EXPECT_EQ(report->results[1].properties, "{}");
  EXPECT_TRUE(report->warnings.empty());
}

TEST(ParseReportTest, ClusterScopedResourcesHaveNoNamespace) {
  auto report = ParseReport(R"({"kind": "ClusterReport", "metadata": {"name": "u"},
    "scope": {"apiVersion": "v1", "kind": "Namespace", "name": "team-a", "uid": "u"},
    "results": [{"policy": "p", "result": "skip"}]})");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->resource.ns, "");
  EXPECT_EQ(report->results.at(0).result, Verdict::kSkip);
}

TEST(ParseReportTest, RefusesWhatIsNoReportAtAll) {
  EXPECT_EQ(ParseReport("{").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(ParseReport("[]").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(ParseReport(R"({"results": []})").error().kind, ErrorKind::kInvalidArgument);
}

TEST(ParseReportTest, TheNameStandsInForAMissingScope) {
  auto report = ParseReport(R"({"metadata": {"name": "uid-9", "namespace": "ns"}, "scope": 3})");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->resource.uid, "uid-9");
  EXPECT_EQ(report->resource.ns, "ns");
  EXPECT_EQ(report->warnings, std::vector<std::string>{"scope is not an object: ignored"});
}

TEST(ParseReportTest, ResultsThatAreNotAListCountNothing) {
  auto report = ParseReport(R"({"metadata": {"name": "u"}, "results": {"policy": "p"}})");
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->results.empty());
  EXPECT_EQ(report->warnings,
            std::vector<std::string>{"results is not a list: the report counts no result"});
}

TEST(ParseReportTest, BadEntriesAreLeftOutAndTheOthersKept) {
  auto report = ParseReport(R"({"metadata": {"name": "u", "labels": {"kubewarden.io/audit-scanner-run-uid": 5}},
    "results": [
      7,
      {"result": "pass"},
      {"policy": "p", "result": "maybe"},
      {"policy": 1, "result": "pass"},
      {"policy": "p", "result": "fail", "severity": 3, "message": ["x"],
       "timestamp": {"seconds": "soon"}, "properties": [1]},
      {"policy": "q", "result": "warn", "timestamp": {"seconds": -1e300}},
      {"policy": "r", "result": "error", "timestamp": "2026-02-03T04:05:06Z"}
    ]})");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->run_uid, "");
  ASSERT_EQ(report->results.size(), 3u);
  EXPECT_EQ(report->results[0].policy, "p");
  EXPECT_EQ(report->results[0].result, Verdict::kFail);
  EXPECT_EQ(report->results[0].severity, "");
  EXPECT_EQ(report->results[0].message, "");
  EXPECT_EQ(report->results[0].timestamp, "");
  EXPECT_EQ(report->results[0].properties, "{}");
  EXPECT_EQ(report->results[1].timestamp, "");
  EXPECT_EQ(report->results[2].timestamp, "2026-02-03T04:05:06Z");
  const std::vector<std::string> expected = {
      "metadata.labels.kubewarden.io/audit-scanner-run-uid is not a string: ignored",
      "results[0] is not an object: ignored",
      "results[1] names no policy: ignored",
      "results[2] has result 'maybe', not pass, fail, warn, error or skip: ignored",
      "results[3].policy is not a string: ignored",
      "results[3] names no policy: ignored",
      "results[4].message is not a string: ignored",
      "results[4].severity is not a string: ignored",
      "results[4].timestamp is not a timestamp: ignored",
      "results[4].properties is not an object: ignored",
      "results[5].timestamp is not a timestamp: ignored",
  };
  EXPECT_EQ(report->warnings, expected);
}

TEST(ParseReportTest, AReportOfTooManyResultsIsCutShort) {
  std::string text = R"({"metadata": {"name": "u"}, "results": [)";
  for (int i = 0; i < 10001; ++i) text += std::string(i ? "," : "") + R"({"policy":"p","result":"pass"})";
  text += "]}";
  auto report = ParseReport(text);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->results.size(), 10000u);
  EXPECT_EQ(report->warnings, std::vector<std::string>{"more than 10000 results: the rest ignored"});
}

}  // namespace
}  // namespace kw::ui
