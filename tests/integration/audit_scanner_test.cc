// audit-scanner against the API-server double, with a real policy-server answering /audit.
#include <gtest/gtest.h>

#include "base/json.h"
#include "testing/certificates.h"
#include "testing/http_client.h"
#include "testing/json.h"
#include "testing/kube_double.h"
#include "testing/policy_server.h"
#include "testing/process.h"
#include "testing/scripted_http_server.h"

namespace kw {
namespace {

using testing::J;

class AuditScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::KubeDoubleOptions options;
    for (const char* crd :
         {"policies.kubewarden.io_clusteradmissionpolicies", "policies.kubewarden.io_admissionpolicies",
          "policies.kubewarden.io_clusteradmissionpolicygroups",
          "policies.kubewarden.io_admissionpolicygroups", "policies.kubewarden.io_policyservers",
          "wgpolicyk8s.io_policyreports", "wgpolicyk8s.io_clusterpolicyreports",
          "openreports.io_reports", "openreports.io_clusterreports"}) {
      options.seed_files.push_back(testing::SourcePath(std::string("deploy/crds/") + crd + ".yaml"));
    }
    for (std::string& seed : ExtraSeedFiles()) options.seed_files.push_back(std::move(seed));
    kube_ = std::make_unique<testing::KubeApiServerDouble>(options);
    const std::string module = "file://" + testing::TestData("../../policies/pod-privileged.wasm");
    kube_->Seed(R"(apiVersion: v1
kind: Namespace
metadata: {name: kubewarden}
---
apiVersion: v1
kind: Namespace
metadata: {name: team, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ignored}
---
apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata:
  name: privileged
  annotations: {io.kubewarden.policy.category: PSP, io.kubewarden.policy.severity: medium}
spec:
  module: )" + module + R"(
  rules: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE, UPDATE]}]
  mutating: false
---
apiVersion: policies.kubewarden.io/v1
kind: ClusterAdmissionPolicy
metadata: {name: not-active}
spec:
  module: )" + module + R"(
  rules: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE]}]
  mutating: false
---
apiVersion: v1
kind: Pod
metadata: {name: root, namespace: team}
spec:
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Pod
metadata: {name: fine, namespace: team}
spec:
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: root, namespace: ignored}
spec:
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
)");
    // Created objects lose their status (the status subresource): the controller's part.
    for (const char* name : {"privileged", "not-active"}) {
      testing::HttpResult status = kube_->Request(
          "PATCH",
          std::string("/apis/policies.kubewarden.io/v1/clusteradmissionpolicies/") + name +
              "/status",
          std::string(R"({"status":{"policyStatus":")") +
              (name == std::string("privileged") ? "active" : "pending") + "\"}}",
          "application/merge-patch+json");
      ASSERT_EQ(status.status, 200) << status.body;
    }
    server_ = testing::PolicyServer::Start(
        "clusterwide-privileged:\n  module: " + module + "\n  hostCapabilities: ['*']\n" +
        "clusterwide-not-active:\n  module: " + module + "\n  hostCapabilities: ['*']\n");
    ASSERT_NE(server_, nullptr);
  }

  // Seed files of a test's own, created with the double (much faster than objects posted one by one).
  virtual std::vector<std::string> ExtraSeedFiles() { return {}; }

  testing::ProcessResult Scan(std::vector<std::string> args) {
    std::vector<std::string> argv{testing::AuditScannerBinary(), "-l", "debug", "--kubeconfig", kube_->KubeconfigPath(),
                                  "-i", "ignored"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv);
  }

  json::value Items(const std::string& path) {
    auto parsed = ParseJson(kube_->Request("GET", path).body);
    return parsed ? parsed->at("items") : json::value();
  }

  json::value ReportOf(const json::value& reports, const std::string& name) {
    for (const json::value& report : reports.as_array()) {
      if (StringAt(report, {"scope", "name"}) == name) return report;
    }
    return nullptr;
  }

  std::string ServerUrl() { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<testing::KubeApiServerDouble> kube_;
  std::unique_ptr<testing::PolicyServer> server_;
};

TEST_F(AuditScannerTest, WritesOneReportPerResourceAndCleansUpAfterwards) {
  testing::ProcessResult run =
      Scan({"--policy-server-url", ServerUrl(), "--report-kind", "openreports"});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  json::value reports = Items("/apis/openreports.io/v1alpha1/namespaces/team/reports");
  ASSERT_EQ(reports.as_array().size(), 2u) << reports << run.out << run.err;
  json::value root = ReportOf(reports, "root");
  ASSERT_FALSE(root.is_null());
  EXPECT_EQ(root.at("summary"), J(R"({"pass":0,"fail":1,"warn":0,"error":0,"skip":1})"));
  const json::value& result = root.at("results").at(0);
  EXPECT_EQ(result.at("policy"), "clusterwide-privileged");
  EXPECT_EQ(result.at("result"), "fail");
  EXPECT_EQ(result.at("message"), "Privileged container is not allowed");
  EXPECT_EQ(result.at("category"), "PSP");
  EXPECT_EQ(result.at("severity"), "medium");
  EXPECT_EQ(root.at("metadata").at("ownerReferences").at(0).at("kind"), "Pod");
  EXPECT_EQ(ReportOf(reports, "fine").at("summary").at("pass"), 1);
  EXPECT_TRUE(Items("/apis/openreports.io/v1alpha1/namespaces/ignored/reports").as_array().empty());
  const std::string first_run =
      StringAt(root, {"metadata", "labels", "kubewarden.io/audit-scanner-run-uid"});

  // A report that no resource of this scan makes any more (its resource gone, the policy
  // auditing it gone) is removed; one that is not the audit scanner's stays.
  for (const char* managed : {"kubewarden", "someone-else"}) {
    testing::HttpResult created = kube_->Request(
        "POST", "/apis/openreports.io/v1alpha1/namespaces/team/reports",
        std::string(R"({"apiVersion":"openreports.io/v1alpha1","kind":"Report","metadata":{"name":")") +
            managed + R"(","labels":{"app.kubernetes.io/managed-by":")" + managed +
            R"("}},"scope":{"apiVersion":"v1","kind":"Pod","name":"gone"}})");
    ASSERT_EQ(created.status, 201) << created.body;
  }
  // The next run writes only what changed: nothing, here.
  run = Scan({"--policy-server-url", ServerUrl(), "--report-kind", "openreports"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("reports: 0 written, 2 unchanged, 1 deleted"), std::string::npos) << run.err;
  reports = Items("/apis/openreports.io/v1alpha1/namespaces/team/reports");
  ASSERT_EQ(reports.as_array().size(), 3u) << reports;
  EXPECT_FALSE(ReportOf(reports, "gone").is_null());  // someone-else's
  EXPECT_EQ(StringAt(ReportOf(reports, "root"),
                     {"metadata", "labels", "kubewarden.io/audit-scanner-run-uid"}),
            first_run);

  // A resource that changed gets its report rewritten, under the new run's UID.
  ASSERT_EQ(kube_->Request("PATCH", "/api/v1/namespaces/team/pods/root",
                           R"({"metadata":{"labels":{"touched":"yes"}}})",
                           "application/merge-patch+json")
                .status,
            200);
  run = Scan({"--policy-server-url", ServerUrl(), "--report-kind", "openreports"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("reports: 1 written, 1 unchanged, 0 deleted"), std::string::npos) << run.err;
  reports = Items("/apis/openreports.io/v1alpha1/namespaces/team/reports");
  EXPECT_NE(StringAt(ReportOf(reports, "root"),
                     {"metadata", "labels", "kubewarden.io/audit-scanner-run-uid"}),
            first_run);
}

TEST_F(AuditScannerTest, AnUnreachablePolicyServerErrorsItsResultsAndTheScanGoesOn) {
  testing::RefusingLoopbackPort closed;
  testing::ProcessResult run = Scan({"--policy-server-url", closed.Url()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::value reports = Items("/apis/wgpolicyk8s.io/v1alpha2/namespaces/team/policyreports");
  ASSERT_EQ(reports.as_array().size(), 2u) << reports << run.out << run.err;
  for (const json::value& report : reports.as_array()) {
    EXPECT_EQ(report.at("kind"), "PolicyReport");
    EXPECT_EQ(report.at("results").at(0).at("result"), "error");
  }
}

TEST_F(AuditScannerTest, RefusesBadFlagsAsUpstream) {
  testing::ProcessResult run = Scan({"--report-kind", "sometimes"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("Error on cmd.Execute(): invalid --report-kind"), std::string::npos)
      << run.err;
  run = Scan({"--client-cert", "/tmp/x.pem"});
  EXPECT_EQ(run.exit_code, 1);
}

TEST_F(AuditScannerTest, DisableStoreWritesNothing) {
  testing::ProcessResult run =
      Scan({"--policy-server-url", ServerUrl(), "--disable-store", "--output-scan"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Items("/apis/wgpolicyk8s.io/v1alpha2/namespaces/team/policyreports").as_array().empty());
  // --output-scan logs each report instead.
  EXPECT_NE((run.out + run.err).find(R"("policy":"clusterwide-privileged")"), std::string::npos)
      << run.out << run.err;
}

// A policy not enforced yet (pending here) tried on what the cluster holds today.
TEST_F(AuditScannerTest, PreviewListsWhatAPolicyWouldRejectAndWritesNothing) {
  testing::ProcessResult run =
      Scan({"--policy-server-url", ServerUrl(), "--policy", "not-active"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "reject\tPod\tteam/root\tPrivileged container is not allowed\n"
            "2 resources evaluated: 1 admitted, 1 rejected, 0 errors\n");
  EXPECT_TRUE(Items("/apis/wgpolicyk8s.io/v1alpha2/namespaces/team/policyreports").as_array().empty());

  run = Scan({"--policy-server-url", ServerUrl(), "--policy", "nothing-like-it"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("Error on cmd.Execute(): no policy named 'nothing-like-it'"),
            std::string::npos)
      << run.err;
}

// A policy server that answers what is not an AdmissionReview errors each result with why; one
// that hangs is given up after 5 timeouts in a row, its remaining results erroring at once.
TEST_F(AuditScannerTest, GarbageAndHangingPolicyServersErrorTheirResultsOnly) {
  testing::ScriptedHttpServer garbage([](const testing::CapturedRequest&) {
    return testing::ScriptedResponse{200, "application/json", {}, "{\"response\": [1, 2"};
  });
  testing::ProcessResult run = Scan({"--policy-server-url", garbage.Url()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::value reports = Items("/apis/wgpolicyk8s.io/v1alpha2/namespaces/team/policyreports");
  ASSERT_EQ(reports.as_array().size(), 2u) << reports;
  EXPECT_EQ(ReportOf(reports, "root").at("results").at(0).at("message"),
            "the policy server's answer has no response.allowed");

  for (int i = 0; i < 10; ++i) {
    kube_->Seed("apiVersion: v1\nkind: Pod\nmetadata: {name: more-" + std::to_string(i) +
                ", namespace: team}\nspec:\n  containers: [{name: c, image: nginx}]\n");
  }
  std::atomic<bool> stop{false};
  testing::ScriptedHttpServer hanging([&](const testing::CapturedRequest&) {
    for (int i = 0; i < 100 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return testing::ScriptedResponse{};
  });
  run = Scan({"--policy-server-url", hanging.Url(), "--policy-server-timeout", "1",
              "--parallel-resources", "1"});
  stop = true;
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(hanging.Requests().size(), 5u);  // then given up
  reports = Items("/apis/wgpolicyk8s.io/v1alpha2/namespaces/team/policyreports");
  ASSERT_EQ(reports.as_array().size(), 12u) << reports;
  int given_up = 0;
  for (const json::value& report : reports.as_array()) {
    const json::value& result = report.at("results").at(0);
    EXPECT_EQ(result.at("result"), "error");
    given_up += StringAt(result, {"message"}).find("given up for this scan") != std::string::npos;
  }
  EXPECT_EQ(given_up, 7);
}

// As in a cluster: HTTPS to the policy server, which asks for the scanner's client certificate.
TEST_F(AuditScannerTest, TalksToPolicyServerOverMutualTls) {
  testing::Certificates certs = testing::MakeCertificates();
  const std::string module = "file://" + testing::TestData("../../policies/pod-privileged.wasm");
  auto server = testing::PolicyServer::Start(
      "clusterwide-privileged:\n  module: " + module + "\n",
      {"--cert-file", certs.server_cert, "--key-file", certs.server_key, "--client-ca-file",
       certs.ca},
      true);
  ASSERT_NE(server, nullptr);
  const std::string url = "https://localhost:" + std::to_string(server->port());
  testing::ProcessResult run = Scan({"--policy-server-url", url, "--extra-ca", certs.ca,
                                     "--client-cert", certs.client_cert, "--client-key",
                                     certs.client_key});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::value reports = Items("/apis/wgpolicyk8s.io/v1alpha2/namespaces/team/policyreports");
  ASSERT_EQ(reports.as_array().size(), 2u) << reports;
  EXPECT_EQ(ReportOf(reports, "root").at("results").at(0).at("result"), "fail");
  EXPECT_EQ(ReportOf(reports, "fine").at("results").at(0).at("result"), "pass");

  // Without the client certificate the policy server refuses the connection: errors, no crash.
  run = Scan({"--policy-server-url", url, "--extra-ca", certs.ca});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  reports = Items("/apis/wgpolicyk8s.io/v1alpha2/namespaces/team/policyreports");
  EXPECT_EQ(ReportOf(reports, "root").at("results").at(0).at("result"), "error");
}

// The whole loop: the scanner's reports read by compliance-ui, one history row per scan that
// changed something, filed under that scan's run uid.
TEST_F(AuditScannerTest, ComplianceUiKeepsTheHistoryOfScans) {
  const int port = testing::FreeLoopbackPort();
  testing::ChildProcess ui({testing::ComplianceUiBinary(), "--kubeconfig", kube_->KubeconfigPath(),
                            "--addr", "127.0.0.1", "--port", std::to_string(port), "--db",
                            ":memory:", "--web-root", testing::MakeTempDir(), "--settle-seconds",
                            "1"});
  const auto get = [&](const std::string& path) {
    testing::HttpOptions options;
    options.method = "GET";
    options.content_type = std::nullopt;
    auto parsed = ParseJson(
        testing::Http("http://127.0.0.1:" + std::to_string(port) + path, options).body);
    return parsed ? *parsed : json::value();
  };
  const auto history = [&] {
    json::value answer = get("/api/v1/history");
    return answer.is_object() ? answer.at("items").as_array() : json::array{};
  };
  const auto run_uid = [](const testing::ProcessResult& run) {
    const std::size_t at = run.err.find("audit scan ");
    return run.err.substr(at + 11, 36);
  };

  testing::ProcessResult run = Scan({"--policy-server-url", ServerUrl()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(testing::Eventually([&] { return history().size() == 1; })) << ui.Stderr();
  EXPECT_EQ(StringAt(history().at(0), {"run_uid"}), run_uid(run));
  EXPECT_EQ(history().at(0).at("fail"), 1);
  EXPECT_EQ(get("/api/v1/results?result=fail").at("items").at(0).at("name"), "root");

  // The privileged pod fixed: the next scan rewrites its report, and the history has a second row.
  ASSERT_EQ(kube_->Request("DELETE", "/api/v1/namespaces/team/pods/root").status, 200);
  kube_->Seed("apiVersion: v1\nkind: Pod\nmetadata: {name: root, namespace: team}\n"
              "spec:\n  containers: [{name: c, image: nginx}]\n");
  testing::ProcessResult second = Scan({"--policy-server-url", ServerUrl()});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  ASSERT_TRUE(testing::Eventually([&] { return history().size() == 2; })) << ui.Stderr();
  EXPECT_EQ(StringAt(history().at(1), {"run_uid"}), run_uid(second));
  EXPECT_EQ(history().at(1).at("fail"), 0);
  EXPECT_EQ(history().at(1).at("pass"), 2);
}

// Resources deleted while the scan lists and evaluates them: the scan goes on and ends normally
// (a report written for a resource already gone names it as owner, so the garbage collector
// removes it).
TEST_F(AuditScannerTest, ResourcesVanishingMidScan) {
  for (int i = 0; i < 20; ++i) {
    kube_->Seed("apiVersion: v1\nkind: Pod\nmetadata: {name: short-" + std::to_string(i) +
                ", namespace: team}\nspec:\n  containers: [{name: c, image: nginx}]\n");
  }
  testing::ScriptedHttpServer slow([](const testing::CapturedRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return testing::ScriptedResponse{200, "application/json", {},
                                     R"({"response":{"uid":"x","allowed":true}})"};
  });
  std::thread deleter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (int i = 0; i < 20; i += 2) {
      kube_->Request("DELETE", "/api/v1/namespaces/team/pods/short-" + std::to_string(i));
    }
  });
  testing::ProcessResult run = Scan({"--policy-server-url", slow.Url(), "--page-size", "3",
                                     "--parallel-resources", "2"});
  deleter.join();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find("[error]"), std::string::npos) << run.err;
  // Whatever was listed was evaluated and reported.
  json::value reports = Items("/apis/wgpolicyk8s.io/v1alpha2/namespaces/team/policyreports");
  EXPECT_GE(reports.as_array().size(), 12u) << reports;
  for (int i = 1; i < 20; i += 2) {
    EXPECT_FALSE(ReportOf(reports, "short-" + std::to_string(i)).is_null()) << i;
  }
}

// 10,000 resources in one namespace: listed page by page, every one reported.
class AuditScannerBigNamespaceTest : public AuditScannerTest {
 protected:
  std::vector<std::string> ExtraSeedFiles() override {
    std::string list = R"({"apiVersion":"v1","kind":"List","items":[)"
                       R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"big"}})";
    for (int i = 0; i < 10000; ++i) {
      list += R"(,{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-)" + std::to_string(i) +
              R"(","namespace":"big"},"spec":{"containers":[{"name":"c","image":"nginx",)" +
              R"("securityContext":{"privileged":)" + (i % 100 == 0 ? "true" : "false") + "}}]}}";
    }
    list += "]}";
    return {testing::WriteTempFile("big-namespace.json", list)};
  }
};

TEST_F(AuditScannerBigNamespaceTest, TenThousandResourcesInOneNamespace) {
  testing::ProcessResult run = Scan({"--policy-server-url", ServerUrl(), "-n", "big",
                                     "--kube-api-qps", "10000", "--kube-api-burst", "10000"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("10000 resources"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("reports: 10000 written"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("9900 pass, 100 fail, 0 error"), std::string::npos) << run.err;
  json::value reports = Items("/apis/wgpolicyk8s.io/v1alpha2/namespaces/big/policyreports?limit=0");
  EXPECT_EQ(reports.as_array().size(), 10000u);
}

}  // namespace
}  // namespace kw
