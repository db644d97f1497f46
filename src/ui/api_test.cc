#include "ui/api.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace kw::ui {
namespace {

json::value Body(const ApiAnswer& answer) {
  auto parsed = ParseJson(answer.body);
  EXPECT_TRUE(parsed) << answer.body;
  return parsed ? *parsed : json::value();
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = HistoryStore::Open(":memory:");
    ASSERT_TRUE(store);
    history = std::move(*store);
    Add("PolicyReport/a/1", R"({"metadata": {"name": "1", "labels": {"kubewarden.io/audit-scanner-run-uid": "run-1"}},
      "scope": {"apiVersion": "v1", "kind": "Pod", "namespace": "a", "name": "web", "uid": "1"},
      "results": [{"policy": "p", "result": "fail", "severity": "high", "category": "PSP",
                   "message": "privileged", "timestamp": {"seconds": 0, "nanos": 0},
                   "properties": {"policy-name": "p"}},
                  {"policy": "q", "result": "pass"}]})");
    Add("ClusterPolicyReport//2", R"({"metadata": {"name": "2", "labels": {"kubewarden.io/audit-scanner-run-uid": "run-1"}},
      "scope": {"apiVersion": "v1", "kind": "Namespace", "name": "a", "uid": "2"},
      "results": [{"policy": "q", "result": "warn"}]})");
  }
  void Add(const std::string& key, std::string_view json) {
    auto report = ParseReport(json);
    ASSERT_TRUE(report) << report.error().message;
    index.Upsert(key, std::move(*report));
  }
  ApiAnswer Get(std::string_view target) { return Api(index, history.get()).Answer(target); }

  ReportIndex index;
  std::unique_ptr<HistoryStore> history;
};

TEST_F(ApiTest, Summary) {
  const ApiAnswer answer = Get("/api/v1/summary");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(Body(answer), ParseJson(R"({
    "totals": {"pass": 1, "fail": 1, "warn": 1, "error": 0, "skip": 0},
    "by_severity": {"": {"pass": 1, "fail": 0, "warn": 1, "error": 0, "skip": 0},
                    "high": {"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0}},
    "by_category": {"": {"pass": 1, "fail": 0, "warn": 1, "error": 0, "skip": 0},
                    "PSP": {"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0}},
    "resources": 2, "namespaces": 1, "policies": 2, "last_scan": null})").value());
  ASSERT_TRUE(history->Record(*index.Snap()));
  const json::value with_scan = Body(Get("/api/v1/summary?result=fail"));
  EXPECT_EQ(with_scan.at("last_scan").at("run_uid"), "run-1");
  EXPECT_EQ(with_scan.at("totals").at("pass"), 0);
}

TEST_F(ApiTest, History) {
  EXPECT_EQ(Body(Get("/api/v1/history")), ParseJson(R"({"items": []})").value());
  Snapshot snapshot = *index.Snap();
  snapshot.time = std::chrono::system_clock::time_point(std::chrono::seconds(60));
  ASSERT_TRUE(history->Record(snapshot));
  EXPECT_EQ(Body(Get("/api/v1/history?namespace=a")), ParseJson(R"({"items": [
    {"run_uid": "run-1", "time": "1970-01-01T00:01:00Z",
     "pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 0}]})").value());
  EXPECT_EQ(Body(Get("/api/v1/history?policy=q")).at("items").at(0).at("warn"), 1);
  EXPECT_EQ(Get("/api/v1/history?policy=q&namespace=a").status, 400);
}

TEST_F(ApiTest, Namespaces) {
  EXPECT_EQ(Body(Get("/api/v1/namespaces?sort=fail")), ParseJson(R"({"items": [
    {"namespace": "a", "pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 0, "resources": 1}],
    "total": 1, "page": 1, "per_page": 50})").value());
}

TEST_F(ApiTest, Policies) {
  EXPECT_EQ(Body(Get("/api/v1/policies?per_page=1&page=2")), ParseJson(R"({"items": [
    {"policy": "q", "severity": "", "category": "", "pass": 1, "fail": 0, "warn": 1, "error": 0,
     "skip": 0, "namespaces": 1}], "total": 2, "page": 2, "per_page": 1})").value());
}

TEST_F(ApiTest, Resources) {
  EXPECT_EQ(Body(Get("/api/v1/resources?result=warn,fail&sort=fail")), ParseJson(R"({"items": [
    {"uid": "1", "apiVersion": "v1", "kind": "Pod", "namespace": "a", "name": "web",
     "pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0},
    {"uid": "2", "apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "a",
     "pass": 0, "fail": 0, "warn": 1, "error": 0, "skip": 0}],
    "total": 2, "page": 1, "per_page": 50})").value());
}

TEST_F(ApiTest, OneResource) {
  EXPECT_EQ(Body(Get("/api/v1/resources/1")), ParseJson(R"({
    "resource": {"uid": "1", "apiVersion": "v1", "kind": "Pod", "namespace": "a", "name": "web"},
    "results": [
      {"policy": "p", "rule": "", "result": "fail", "message": "privileged", "severity": "high",
       "category": "PSP", "timestamp": "1970-01-01T00:00:00Z", "properties": {"policy-name": "p"}},
      {"policy": "q", "rule": "", "result": "pass", "message": "", "severity": "",
       "category": "", "timestamp": "", "properties": {}}]})").value());
  const ApiAnswer missing = Get("/api/v1/resources/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(Body(missing).at("error").is_string());
}

TEST_F(ApiTest, Results) {
  EXPECT_EQ(Body(Get("/api/v1/results?search=WEB&policy=p")), ParseJson(R"({"items": [
    {"uid": "1", "kind": "Pod", "namespace": "a", "name": "web", "policy": "p", "rule": "",
     "result": "fail", "message": "privileged", "severity": "high", "category": "PSP"}],
    "total": 1, "page": 1, "per_page": 50})").value());
  EXPECT_EQ(Body(Get("/api/v1/results?namespace=a&namespace=b&kind=Pod")).at("total"), 2);
  EXPECT_EQ(Body(Get("/api/v1/results?search=priv+ileged")).at("total"), 0);
  EXPECT_EQ(Body(Get("/api/v1/results?search=%50RIV")).at("total"), 1);
}

TEST_F(ApiTest, Filters) {
  EXPECT_EQ(Body(Get("/api/v1/filters")), ParseJson(R"({"namespaces": ["a"], "policies": ["p", "q"],
    "kinds": ["Namespace", "Pod"], "severities": ["high"], "categories": ["PSP"]})").value());
}

TEST_F(ApiTest, PerPageIsCappedAt500) {
  EXPECT_EQ(Body(Get("/api/v1/results?per_page=100000")).at("per_page"), 500);
}

TEST_F(ApiTest, BadRequests) {
  for (std::string_view target :
       {"/api/v1/results?result=maybe", "/api/v1/results?page=0", "/api/v1/results?page=x",
        "/api/v1/results?per_page=-1", "/api/v1/results?sort=size", "/api/v1/namespaces?sort=policy",
        "/api/v1/results?search=%zz", "/api/v1/summary?namespace=%ff"}) {
    const ApiAnswer answer = Get(target);
    EXPECT_EQ(answer.status, 400) << target;
    EXPECT_TRUE(Body(answer).at("error").is_string()) << target;
  }
  EXPECT_EQ(Get("/api/v1/nothing").status, 404);
  EXPECT_EQ(Get("/api/v2/summary").status, 404);
}

TEST_F(ApiTest, WithoutHistory) {
  const Api api(index, nullptr);
  EXPECT_EQ(Body(api.Answer("/api/v1/history")), ParseJson(R"({"items": []})").value());
  EXPECT_TRUE(Body(api.Answer("/api/v1/summary")).at("last_scan").is_null());
}

}  // namespace
}  // namespace kw::ui
