// compliance-ui against the API-server double: reports created, changed and deleted show in its
// API; each scan gets one history row once the reports settle, and the history survives a
// restart; a malformed report leaves the others alone; the web root is served.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "base/json.h"
#include "testing/http_client.h"
#include "testing/json.h"
#include "testing/kube_double.h"
#include "testing/process.h"

namespace kw {
namespace {

using testing::J;

constexpr const char* kPolicyReports = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/team-a/policyreports";
constexpr const char* kClusterReports = "/apis/openreports.io/v1alpha1/clusterreports";
constexpr const char* kReports = "/apis/openreports.io/v1alpha1/namespaces/team-a/reports";

// A report as the audit scanner writes it (src/audit/report.cc), about the resource `uid`.
std::string Report(const std::string& api_version, const std::string& kind, const std::string& ns,
                   const std::string& uid, const std::string& resource_kind,
                   const std::string& resource_name, const std::string& run_uid,
                   const std::string& results) {
  std::string metadata = R"({"name": ")" + uid + "\"";
  if (!ns.empty()) metadata += R"(, "namespace": ")" + ns + "\"";
  metadata += R"(, "labels": {"app.kubernetes.io/managed-by": "kubewarden",
                              "kubewarden.io/audit-scanner-run-uid": ")" + run_uid + "\"}}";
  std::string scope = R"({"apiVersion": "v1", "kind": ")" + resource_kind + R"(", "name": ")" +
                      resource_name + R"(", "uid": ")" + uid + "\"";
  if (!ns.empty()) scope += R"(, "namespace": ")" + ns + "\"";
  scope += "}";
  return R"({"apiVersion": ")" + api_version + R"(", "kind": ")" + kind + R"(", "metadata": )" +
         metadata + R"(, "scope": )" + scope +
         R"(, "summary": {"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0}, "results": )" +
         results + "}";
}

std::string Result(const std::string& policy, const std::string& verdict) {
  return R"({"source": "kubewarden", "policy": ")" + policy + R"(", "result": ")" + verdict +
         R"(", "severity": "high", "category": "PSP", "scored": true, "message": "checked",
            "timestamp": {"seconds": 1767225600, "nanos": 0}, "properties": {"validating": "true"}})";
}

std::string PodReport(const std::string& name, const std::string& uid, const std::string& run_uid,
                      const std::string& verdict) {
  return Report("wgpolicyk8s.io/v1alpha2", "PolicyReport", "team-a", uid, "Pod", name, run_uid,
                "[" + Result("clusterwide-no-privileged-pod", verdict) + "]");
}

std::string NamespaceReport(const std::string& run_uid, const std::string& verdict) {
  return Report("openreports.io/v1alpha1", "ClusterReport", "", "ns-uid", "Namespace", "team-a",
                run_uid, "[" + Result("clusterwide-namespace-labels", verdict) + "]");
}

class ComplianceUiTest : public ::testing::Test {
 protected:
  // `loose_reports`: openreports.io Reports without a schema, as a cluster with another version
  // of the CRD may have, so that malformed reports can be stored.
  void StartCluster(bool loose_reports = false) {
    testing::KubeDoubleOptions options;
    for (const char* crd : {"wgpolicyk8s.io_policyreports", "wgpolicyk8s.io_clusterpolicyreports",
                            "openreports.io_clusterreports"}) {
      options.seed_files.push_back(testing::SourcePath(std::string("deploy/crds/") + crd + ".yaml"));
    }
    options.seed_files.push_back(
        loose_reports ? testing::WriteTempFile("reports.yaml", R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: reports.openreports.io}
spec:
  group: openreports.io
  names: {kind: Report, listKind: ReportList, plural: reports, singular: report}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
)")
                      : testing::SourcePath("deploy/crds/openreports.io_reports.yaml"));
    kube_ = std::make_unique<testing::KubeApiServerDouble>(options);
    kube_->Seed("apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n");
    dir_ = testing::MakeTempDir();
    std::filesystem::create_directories(dir_ + "/web/assets");
    std::ofstream(dir_ + "/web/index.html") << "<html>compliance</html>";
    std::ofstream(dir_ + "/web/assets/app.js") << "start()";
    std::ofstream(dir_ + "/secret.txt") << "secret";
  }

  void Create(const std::string& collection, const std::string& body) {
    testing::HttpResult created = kube_->Request("POST", collection, body);
    ASSERT_EQ(created.status, 201) << created.body;
  }

  // Starts compliance-ui and waits until it is ready.
  void StartUi() {
    port_ = testing::FreeLoopbackPort();
    ui_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        testing::ComplianceUiBinary(), "--kubeconfig", kube_->KubeconfigPath(), "--addr",
        "127.0.0.1", "--port", std::to_string(port_), "--db", dir_ + "/history.db", "--web-root",
        dir_ + "/web", "--settle-seconds", "1", "--log-level", "debug"});
    ASSERT_TRUE(testing::Eventually([&] { return Fetch("/readyz").status == 200; }))
        << ui_->Stdout() << ui_->Stderr();
  }

  void StopUi() {
    ui_->Signal(SIGTERM);
    EXPECT_EQ(ui_->Wait(std::chrono::seconds(10)), 0) << ui_->Stdout() << ui_->Stderr();
  }

  testing::HttpResult Fetch(const std::string& path) {
    testing::HttpOptions options;
    options.method = "GET";
    options.content_type = std::nullopt;
    return testing::Http("http://127.0.0.1:" + std::to_string(port_) + path, options);
  }

  json::value Get(const std::string& path) {
    testing::HttpResult answer = Fetch(path);
    EXPECT_EQ(answer.status, 200) << path << ": " << answer.body;
    EXPECT_EQ(answer.headers["content-type"], "application/json") << path;
    auto parsed = ParseJson(answer.body);
    return parsed ? *parsed : json::value();
  }

  // The summary's count of `verdict`, or -1.
  std::int64_t Total(const std::string& verdict, const std::string& query = "") {
    const json::value summary = Get("/api/v1/summary" + query);
    const json::value* totals = FindKey(summary, "totals");
    const json::value* count = totals ? FindKey(*totals, verdict) : nullptr;
    return count && count->is_int64() ? count->as_int64() : -1;
  }

  std::vector<std::string> HistoryRunUids() {
    std::vector<std::string> uids;
    const json::value history = Get("/api/v1/history");
    const json::value* items = FindKey(history, "items");
    if (items == nullptr || !items->is_array()) return uids;
    for (const json::value& item : items->as_array()) uids.push_back(StringAt(item, {"run_uid"}));
    return uids;
  }

  std::unique_ptr<testing::KubeApiServerDouble> kube_;
  std::unique_ptr<testing::ChildProcess> ui_;
  std::string dir_;
  int port_ = 0;
};

TEST_F(ComplianceUiTest, ResultsFollowTheReports) {
  StartCluster();
  Create(kPolicyReports, PodReport("web", "pod-1", "run-1", "fail"));
  Create(kClusterReports, NamespaceReport("run-1", "pass"));
  StartUi();

  EXPECT_EQ(Get("/api/v1/summary"), J(R"({
    "totals": {"pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 0},
    "by_severity": {"high": {"pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 0}},
    "by_category": {"PSP": {"pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 0}},
    "resources": 2, "namespaces": 1, "policies": 2, "last_scan": null})"));
  EXPECT_EQ(Get("/api/v1/resources/pod-1"), J(R"({
    "resource": {"uid": "pod-1", "apiVersion": "v1", "kind": "Pod", "namespace": "team-a", "name": "web"},
    "results": [{"policy": "clusterwide-no-privileged-pod", "rule": "", "result": "fail",
                 "message": "checked", "severity": "high", "category": "PSP",
                 "timestamp": "2026-01-01T00:00:00Z", "properties": {"validating": "true"}}]})"));
  EXPECT_EQ(Get("/api/v1/results?result=fail").at("items").at(0).at("name"), "web");
  EXPECT_EQ(Get("/api/v1/namespaces").at("total"), 1);
  EXPECT_EQ(Get("/api/v1/filters").at("kinds"), J(R"(["Namespace", "Pod"])"));

  // A new report, then a changed one, then a deleted one.
  Create(kPolicyReports, PodReport("db", "pod-2", "run-1", "fail"));
  EXPECT_TRUE(testing::Eventually([&] { return Total("fail") == 2; }));
  testing::HttpResult patched = kube_->Request(
      "PATCH", std::string(kPolicyReports) + "/pod-1",
      R"({"results": [)" + Result("clusterwide-no-privileged-pod", "pass") + "]}",
      "application/merge-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_TRUE(testing::Eventually([&] { return Total("fail") == 1 && Total("pass") == 2; }));
  ASSERT_EQ(kube_->Request("DELETE", std::string(kPolicyReports) + "/pod-2").status, 200);
  EXPECT_TRUE(testing::Eventually([&] { return Total("fail") == 0; }));
  EXPECT_EQ(Fetch("/api/v1/resources/pod-2").status, 404);
  EXPECT_EQ(Get("/api/v1/resources").at("total"), 2);
  StopUi();
}

TEST_F(ComplianceUiTest, OneHistoryRowPerScanThatSurvivesARestart) {
  StartCluster();
  Create(kPolicyReports, PodReport("web", "pod-1", "run-1", "fail"));
  Create(kClusterReports, NamespaceReport("run-1", "pass"));
  StartUi();
  ASSERT_TRUE(testing::Eventually([&] { return HistoryRunUids().size() == 1; }));
  EXPECT_EQ(HistoryRunUids(), std::vector<std::string>{"run-1"});
  EXPECT_EQ(Get("/api/v1/summary").at("last_scan").at("run_uid"), "run-1");

  // The next scan rewrites both reports.
  Create(kPolicyReports, PodReport("db", "pod-2", "run-2", "pass"));
  for (const auto& [path, body] :
       {std::pair{std::string(kPolicyReports) + "/pod-1", PodReport("web", "pod-1", "run-2", "pass")},
        std::pair{std::string(kClusterReports) + "/ns-uid", NamespaceReport("run-2", "fail")}}) {
    testing::HttpResult replaced = kube_->Request("PATCH", path, body, "application/merge-patch+json");
    ASSERT_EQ(replaced.status, 200) << replaced.body;
  }
  ASSERT_TRUE(testing::Eventually([&] { return HistoryRunUids().size() == 2; }));
  EXPECT_EQ(HistoryRunUids(), (std::vector<std::string>{"run-1", "run-2"}));
  const json::value history = Get("/api/v1/history");
  EXPECT_EQ(history.at("items").at(0).at("fail"), 1);
  EXPECT_EQ(history.at("items").at(1).at("pass"), 2);
  EXPECT_EQ(history.at("items").at(1).at("fail"), 1);
  EXPECT_EQ(Get("/api/v1/history?namespace=team-a").at("items").at(1).at("pass"), 2);
  EXPECT_EQ(Get("/api/v1/history?policy=clusterwide-namespace-labels").at("items").at(1).at("fail"), 1);
  StopUi();

  StartUi();
  EXPECT_EQ(HistoryRunUids(), (std::vector<std::string>{"run-1", "run-2"}));
  const std::string time = StringAt(Get("/api/v1/history").at("items").at(1), {"time"});
  // Past the settle time the restarted binary has seen the same state again: still one row each,
  // at the same time.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(HistoryRunUids(), (std::vector<std::string>{"run-1", "run-2"}));
  EXPECT_EQ(StringAt(Get("/api/v1/history").at("items").at(1), {"time"}), time);
  StopUi();
}

TEST_F(ComplianceUiTest, AMalformedReportLeavesTheOthersAlone) {
  StartCluster(/*loose_reports=*/true);
  Create(kPolicyReports, PodReport("web", "pod-1", "run-1", "fail"));
  Create(kReports, Report("openreports.io/v1alpha1", "Report", "team-a", "pod-9", "Pod", "bad",
                          "run-1", R"({"policy": "p", "result": "fail"})"));
  Create(kReports, Report("openreports.io/v1alpha1", "Report", "team-a", "pod-8", "Pod", "odd",
                          "run-1", R"([7, {"result": "maybe"}, {"policy": "p", "result": "warn",
                                      "severity": ["x"]}, null])"));
  StartUi();
  EXPECT_EQ(Total("fail"), 1);
  EXPECT_EQ(Total("warn"), 1);
  EXPECT_EQ(Get("/api/v1/resources/pod-8").at("results").as_array().size(), 1u);
  EXPECT_EQ(Get("/api/v1/resources/pod-9").at("results").as_array().size(), 0u);
  // A malformed report arriving later, too.
  Create(kReports, Report("openreports.io/v1alpha1", "Report", "team-a", "pod-7", "Pod", "late",
                          "run-1", R"("not a list")"));
  Create(kPolicyReports, PodReport("db", "pod-2", "run-1", "fail"));
  EXPECT_TRUE(testing::Eventually([&] { return Total("fail") == 2; }));
  EXPECT_EQ(Fetch("/readyz").status, 200);
  EXPECT_NE(ui_->Stdout().find("results is not a list"), std::string::npos) << ui_->Stdout();
  StopUi();
}

TEST_F(ComplianceUiTest, ServesTheWebRoot) {
  StartCluster();
  StartUi();
  testing::HttpResult index = Fetch("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<html>compliance</html>");
  EXPECT_EQ(index.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(index.headers["cache-control"], "no-cache");
  EXPECT_EQ(Fetch("/policies/some-policy").body, "<html>compliance</html>");
  testing::HttpResult script = Fetch("/assets/app.js");
  EXPECT_EQ(script.body, "start()");
  EXPECT_EQ(script.headers["content-type"], "text/javascript; charset=utf-8");
  testing::HttpResult climb = Fetch("/%2e%2e/secret.txt");
  EXPECT_EQ(climb.status, 400);
  EXPECT_EQ(climb.body.find("secret"), std::string::npos);
  EXPECT_EQ(Fetch("/healthz").status, 200);
  EXPECT_EQ(Fetch("/api/v1/nothing").status, 404);
  EXPECT_EQ(Fetch("/api/v1/results?result=maybe").status, 400);
  EXPECT_EQ(Get("/api/v1/summary").at("resources"), 0);
  StopUi();
}

TEST_F(ComplianceUiTest, ACorruptHistoryIsAnErrorAtStartUp) {
  StartCluster();
  std::ofstream(dir_ + "/history.db") << std::string(8192, 'x');
  testing::ProcessResult run = testing::RunProcess(
      {testing::ComplianceUiBinary(), "--kubeconfig", kube_->KubeconfigPath(), "--port", "0",
       "--db", dir_ + "/history.db"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("Error: cannot open the history database " + dir_ + "/history.db"),
            std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace kw
