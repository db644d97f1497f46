// policy-server end to end: the real binary on loopback ports, real policies (tests/data), real
// HTTP(S) clients. Asserts what the Kubernetes API server (or an operator) sees: status codes,
// exact response bodies, start-up errors and exit codes.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <sys/resource.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admission/json_patch.h"
#include "base/base64.h"
#include "base/files.h"
#include "base/json.h"
#include "testing/certificates.h"
#include "testing/http_client.h"
#include "testing/http_sink.h"
#include "testing/json.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::Http;
using testing::HttpOptions;
using testing::HttpResult;
using testing::J;
using testing::TestData;

using testing::RequestFile;

// pod_plain.json is a bare AdmissionRequest; pod_privileged.json a whole AdmissionReview.
std::string PlainReview() { return "{\"request\":" + RequestFile("pod_plain.json") + "}"; }
std::string PrivilegedReview() { return RequestFile("pod_privileged.json"); }
constexpr std::string_view kPlainUid = "e7b8a2b0-4d7c-4b53-8a0f-0a2b9f0c1d11";
constexpr std::string_view kPrivilegedUid = "1299d386-525b-4032-98ae-1949f69f9cfc";

std::string Policy() { return TestData("test_policy.wasm"); }
std::string LoopPolicy() { return TestData("validate_loop.wasm"); }

std::string AcceptedReview(std::string_view uid) {
  return "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"response\":"
         "{\"uid\":\"" + std::string(uid) + "\",\"allowed\":true,\"auditAnnotations\":null,"
         "\"warnings\":null}}";
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = testing::MakeTempDir() + "/" + name;
  EXPECT_TRUE(WriteFile(path, content));
  return path;
}

// A running policy-server on 127.0.0.1, ready (its readiness probe answered 200).
using Server = testing::PolicyServer;

// The policies most tests share.
std::string StandardPolicies() {
  return "privileged:\n"
         "  module: file://" + Policy() + "\n"
         "mutate:\n"
         "  module: " + Policy() + "\n"
         "  allowedToMutate: true\n"
         "  settings: {add_label: {key: team, value: kw}}\n"
         "mutate-denied:\n"
         "  module: " + Policy() + "\n"
         "  settings: {add_label: {key: team, value: kw}}\n"
         "monitor:\n"
         "  module: " + Policy() + "\n"
         "  policyMode: monitor\n"
         "  settings: {reject: monitored rejection}\n"
         "custom-message:\n"
         "  module: " + Policy() + "\n"
         "  message: the custom message\n"
         "  settings: {reject: the original message, code: 403}\n"
         "group:\n"
         "  expression: strict() || plain()\n"
         "  message: the group rejects\n"
         "  policies:\n"
         "    strict: {module: " + Policy() + ", settings: {reject: strict says no}}\n"
         "    plain: {module: " + Policy() + "}\n";
}

// Runs policy-server to its exit (start-up failures).
testing::ProcessResult RunServer(const std::string& policies_yml,
                                 std::vector<std::string> args = {}) {
  std::string policies = WriteTemp("policies.yml", policies_yml);
  std::vector<std::string> argv = {testing::PolicyServerBinary(), "--addr", "127.0.0.1",
                                   "--port", std::to_string(testing::FreeLoopbackPort()),
                                   "--readiness-probe-port",
                                   std::to_string(testing::FreeLoopbackPort()),
                                   "--policies", policies};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::RunProcess(argv);
}

// --- evaluation through /validate, /audit, /validate_raw ------------------------------------

TEST(PolicyServerValidate, AcceptsAndRejectsWithUpstreamShape) {
  auto server = Server::Start(StandardPolicies());
  ASSERT_TRUE(server);
  auto accepted = server->Post("/validate/privileged", PlainReview());
  ASSERT_TRUE(accepted.ok()) << accepted.error;
  EXPECT_EQ(accepted.status, 200);
  EXPECT_EQ(accepted.headers["content-type"], "application/json");
  EXPECT_EQ(accepted.body, AcceptedReview(kPlainUid));

  auto rejected = server->Post("/validate/privileged", PrivilegedReview());
  EXPECT_EQ(rejected.status, 200);
  EXPECT_EQ(rejected.body,
            "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"response\":"
            "{\"uid\":\"" + std::string(kPrivilegedUid) + "\",\"allowed\":false,\"status\":"
            "{\"message\":\"Privileged container is not allowed\"},\"auditAnnotations\":null,"
            "\"warnings\":null}}");

  // Keep-alive: several requests on one server, answers stay right.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(server->Post("/validate/privileged", PlainReview()).body, AcceptedReview(kPlainUid));
  }
}

TEST(PolicyServerValidate, MutationBecomesAPatchOnlyWhenAllowed) {
  auto server = Server::Start(StandardPolicies());
  ASSERT_TRUE(server);
  auto allowed = server->Post("/validate/mutate", PlainReview());
  ASSERT_EQ(allowed.status, 200) << allowed.error;
  json::value response = J(allowed.body).at("response");
  EXPECT_EQ(response.at("allowed"), true);
  EXPECT_EQ(response.at("patchType"), "JSONPatch");
  auto patch_text = Base64Decode(response.at("patch").as_string());
  ASSERT_TRUE(patch_text);
  json::value patch = J(*patch_text);
  ASSERT_TRUE(patch.is_array());
  json::value object = J(RequestFile("pod_plain.json")).at("object");
  auto patched = admission::ApplyPatch(object, patch.as_array());
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_EQ(patched->at("metadata").at("labels").at("team"), "kw");

  // Not allowed to mutate: /validate rejects with upstream's message; /audit shows the raw
  // verdict, patch included.
  auto denied = server->Post("/validate/mutate-denied", PlainReview());
  EXPECT_EQ(denied.body,
            "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"response\":"
            "{\"uid\":\"" + std::string(kPlainUid) + "\",\"allowed\":false,\"status\":"
            "{\"message\":\"Request rejected by policy mutate-denied. The policy attempted to "
            "mutate the request, but it is currently configured to not allow mutations.\"},"
            "\"auditAnnotations\":null,\"warnings\":null}}");
  auto audited = server->Post("/audit/mutate-denied", PlainReview());
  json::value raw_verdict = J(audited.body).at("response");
  EXPECT_EQ(raw_verdict.at("allowed"), true);
  EXPECT_EQ(raw_verdict.at("patchType"), "JSONPatch");
}

TEST(PolicyServerAudit, IgnoresMonitorModeAndCustomMessage) {
  auto server = Server::Start(StandardPolicies());
  ASSERT_TRUE(server);
  // Monitor mode: /validate lets it through, /audit tells the truth.
  EXPECT_EQ(server->Post("/validate/monitor", PlainReview()).body, AcceptedReview(kPlainUid));
  json::value audited = J(server->Post("/audit/monitor", PlainReview()).body);
  EXPECT_EQ(audited.at("kind"), "AdmissionReview");
  EXPECT_EQ(audited.at("response").at("allowed"), false);
  EXPECT_EQ(audited.at("response").at("status").at("message"), "monitored rejection");
  // The monitor-mode verdict is logged.
  EXPECT_NE(server->process().Stdout().find("policy evaluation (monitor mode)"), std::string::npos);

  // Custom message: /validate replaces the message and keeps the original as a cause.
  json::value custom = J(server->Post("/validate/custom-message", PlainReview()).body);
  EXPECT_EQ(custom.at("response").at("status"),
            J(R"({"message":"the custom message","details":{"causes":[
                 {"reason":null,"message":"the original message","field":null}]},"code":403})"));
  json::value custom_audit = J(server->Post("/audit/custom-message", PlainReview()).body);
  EXPECT_EQ(custom_audit.at("response").at("status"),
            J(R"({"message":"the original message","code":403})"));
}

TEST(PolicyServerValidateRaw, AnswersWithTheResponseOnly) {
  auto server = Server::Start(StandardPolicies());
  ASSERT_TRUE(server);
  std::string privileged_object =
      R"({"spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}]}})";
  auto rejected = server->Post("/validate_raw/privileged",
                               R"({"request":{"uid":"raw-1","object":)" + privileged_object + "}}");
  ASSERT_EQ(rejected.status, 200) << rejected.error;
  EXPECT_EQ(rejected.body,
            "{\"response\":{\"uid\":\"raw-1\",\"allowed\":false,\"status\":{\"message\":"
            "\"Privileged container is not allowed\"},\"auditAnnotations\":null,"
            "\"warnings\":null}}");
  // Any JSON is a raw request; without a string uid the response uid is "".
  auto accepted = server->Post("/validate_raw/privileged", R"({"request":{"anything":[1,2]}})");
  EXPECT_EQ(accepted.body,
            "{\"response\":{\"uid\":\"\",\"allowed\":true,\"auditAnnotations\":null,"
            "\"warnings\":null}}");
  // The response handler applies: monitor mode accepts.
  EXPECT_EQ(J(server->Post("/validate_raw/monitor", R"({"request":{"uid":"m"}})").body)
                .at("response")
                .at("allowed"),
            true);
}

TEST(PolicyServerGroup, RejectsWithOneCausePerDenyingMember) {
  auto server = Server::Start(StandardPolicies());
  ASSERT_TRUE(server);
  // strict() denies, plain() accepts a plain pod: strict() || plain() holds.
  EXPECT_EQ(server->Post("/validate/group", PlainReview()).body, AcceptedReview(kPlainUid));
  // Both deny a privileged pod.
  json::value rejected = J(server->Post("/validate/group", PrivilegedReview()).body);
  EXPECT_EQ(rejected.at("response"),
            J(R"({"uid":"1299d386-525b-4032-98ae-1949f69f9cfc","allowed":false,
                 "status":{"message":"the group rejects","details":{"causes":[
                   {"reason":null,"message":"strict says no","field":"spec.policies.strict"},
                   {"reason":null,"message":"Privileged container is not allowed",
                    "field":"spec.policies.plain"}]}},
                 "auditAnnotations":null,"warnings":null})"));
  // A member addressed directly (upstream: through %2F).
  json::value member = J(server->Post("/validate/group%2Fstrict", PlainReview()).body);
  EXPECT_EQ(member.at("response").at("status").at("message"), "strict says no");
}

// --- HTTP errors ---------------------------------------------------------------------------

TEST(PolicyServerErrors, StatusCodesAndBodiesAsUpstream) {
  auto server = Server::Start(StandardPolicies());
  ASSERT_TRUE(server);
  auto unknown = server->Post("/validate/nope", PlainReview());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, R"({"message":"unknown policy: nope","status":404})");
  EXPECT_EQ(server->Post("/audit/nope", PlainReview()).body,
            R"({"message":"unknown policy: nope","status":404})");

  auto syntax = server->Post("/validate/privileged", R"({"request": )");
  EXPECT_EQ(syntax.status, 400);
  EXPECT_EQ(syntax.headers["content-type"], "application/json");
  json::value syntax_body = J(syntax.body);
  EXPECT_EQ(syntax_body.at("status"), 400);
  EXPECT_TRUE(syntax_body.at("message").as_string().starts_with(
      "Failed to parse the request body as JSON: "))
      << syntax.body;

  auto schema = server->Post("/validate/privileged", R"({"request":{"uid":"x"}})");
  EXPECT_EQ(schema.status, 422);
  json::value schema_body = J(schema.body);
  EXPECT_EQ(schema_body.at("status"), 422);
  EXPECT_NE(std::string(schema_body.at("message").as_string()).find("missing field"),
            std::string::npos);
  EXPECT_EQ(server->Post("/validate/privileged", "{}").status, 422);

  HttpOptions text;
  text.content_type = "text/plain";
  text.body = PlainReview();
  auto wrong_type = Http(server->Url("/validate/privileged"), text);
  EXPECT_EQ(wrong_type.status, 415);
  EXPECT_EQ(wrong_type.body,
            R"({"message":"Expected request with `Content-Type: application/json`","status":415})");
  HttpOptions no_type;
  no_type.content_type = std::nullopt;
  no_type.body = PlainReview();
  EXPECT_EQ(Http(server->Url("/validate/privileged"), no_type).status, 415);
  HttpOptions charset;
  charset.content_type = "application/json; charset=utf-8";
  charset.body = PlainReview();
  EXPECT_EQ(Http(server->Url("/validate/privileged"), charset).status, 200);

  // 2 MiB is the limit: just over it is refused without evaluation.
  std::string big = "{\"request\":{\"pad\":\"" + std::string((2u << 20), 'x') + "\"}}";
  auto too_large = server->Post("/validate/privileged", big);
  EXPECT_EQ(too_large.status, 413) << too_large.error;
  EXPECT_EQ(too_large.body,
            R"({"message":"Failed to buffer the request body: length limit exceeded","status":413})");

  HttpOptions get;
  get.method = "GET";
  auto wrong_method = Http(server->Url("/validate/privileged"), get);
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.body, "");
  EXPECT_EQ(wrong_method.headers["allow"], "POST");

  auto unknown_path = server->Post("/mutate/privileged", PlainReview());
  EXPECT_EQ(unknown_path.status, 404);
  EXPECT_EQ(unknown_path.body, "");
  EXPECT_EQ(server->Post("/validate/", PlainReview()).status, 404);

  // Readiness lives on its own port only.
  EXPECT_EQ(Http(server->Url("/readiness"), get).status, 404);

  // The server still answers after all that.
  EXPECT_EQ(server->Post("/validate/privileged", PlainReview()).body, AcceptedReview(kPlainUid));
}

TEST(PolicyServerErrors, AuditAndRawAnswerExtractionErrorsInPlainText) {
  auto server = Server::Start(StandardPolicies());
  ASSERT_TRUE(server);
  for (std::string path : {"/audit/privileged", "/validate_raw/privileged"}) {
    auto syntax = server->Post(path, "{");
    EXPECT_EQ(syntax.status, 400) << path;
    EXPECT_EQ(syntax.headers["content-type"], "text/plain; charset=utf-8") << path;
    EXPECT_TRUE(syntax.body.starts_with("Failed to parse the request body as JSON: ")) << path;

    auto schema = server->Post(path, R"({"no_request":1})");
    EXPECT_EQ(schema.status, 422) << path;
    EXPECT_EQ(schema.body,
              "Failed to deserialize the JSON body into the target type: missing field `request`")
        << path;

    HttpOptions text;
    text.content_type = "text/plain";
    text.body = "{}";
    auto wrong_type = Http(server->Url(path), text);
    EXPECT_EQ(wrong_type.status, 415) << path;
    EXPECT_EQ(wrong_type.body, "Expected request with `Content-Type: application/json`") << path;

    auto too_large = server->Post(path, std::string((2u << 20) + 1, ' '));
    EXPECT_EQ(too_large.status, 413) << path;
    EXPECT_EQ(too_large.body, "Failed to buffer the request body: length limit exceeded") << path;
  }
}

TEST(PolicyServerNamespace, AlwaysAcceptNamespaceSkipsEvaluation) {
  auto server = Server::Start(StandardPolicies(),
                              {"--always-accept-admission-reviews-on-namespace", "kubewarden"});
  ASSERT_TRUE(server);
  std::string review = PrivilegedReview();
  json::value v = J(review);
  v.at("request").as_object()["namespace"] = "kubewarden";
  std::string in_namespace = json::serialize(v);
  EXPECT_EQ(server->Post("/validate/privileged", in_namespace).body, AcceptedReview(kPrivilegedUid));
  EXPECT_EQ(server->Post("/audit/privileged", in_namespace).body, AcceptedReview(kPrivilegedUid));
  // Other namespaces are evaluated, and an unknown policy is still a 404.
  EXPECT_EQ(J(server->Post("/validate/privileged", review).body).at("response").at("allowed"),
            false);
  EXPECT_EQ(server->Post("/validate/nope", in_namespace).status, 404);
}

// --- start-up ------------------------------------------------------------------------------

TEST(PolicyServerStartup, InvalidSettingsFailStartUpNamingThePolicy) {
  auto r = RunServer("good:\n  module: " + Policy() + "\nbad:\n  module: " + Policy() +
                     "\n  settings: {invalid: replicas must be positive}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Error: policy 'bad': Policy settings are invalid: replicas must be positive"),
            std::string::npos)
      << r.err;
}

TEST(PolicyServerStartup, ContinueOnErrorsAnswersWithTheInitError) {
  auto server = Server::Start("good:\n  module: " + Policy() + "\nbad:\n  module: " + Policy() +
                                  "\n  settings: {invalid: replicas must be positive}\n"
                                  "missing:\n  module: /nonexistent/policy.wasm\n",
                              {"--continue-on-errors"});
  ASSERT_TRUE(server);
  EXPECT_EQ(server->Post("/validate/bad", PlainReview()).body,
            "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"response\":"
            "{\"uid\":\"" + std::string(kPlainUid) + "\",\"allowed\":false,\"status\":"
            "{\"message\":\"Policy settings are invalid: replicas must be positive\","
            "\"code\":500},\"auditAnnotations\":null,\"warnings\":null}}");
  json::value missing = J(server->Post("/audit/missing", PlainReview()).body);
  EXPECT_EQ(missing.at("response").at("status").at("code"), 500);
  EXPECT_EQ(missing.at("response").at("status").at("message"),
            "bootstrap failure: missing: Cannot find policy with uri: /nonexistent/policy.wasm");
  EXPECT_EQ(server->Post("/validate/good", PlainReview()).body, AcceptedReview(kPlainUid));
}

TEST(PolicyServerStartup, BadPoliciesFileNamesTheFileAndField) {
  auto r = RunServer("psp:\n  module: " + Policy() + "\n  policyMode: audit\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("policies.yml: policy 'psp': field 'policyMode': unknown value 'audit'"),
            std::string::npos)
      << r.err;

  auto missing = RunServer("psp:\n  settings: {}\n");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("policies.yml: policy 'psp'"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("module"), std::string::npos) << missing.err;

  auto no_file = testing::RunProcess({testing::PolicyServerBinary(), "--policies",
                                      "/nonexistent/policies.yml"});
  EXPECT_EQ(no_file.exit_code, 1);
  EXPECT_NE(no_file.err.find("/nonexistent/policies.yml"), std::string::npos) << no_file.err;
}

TEST(PolicyServerStartup, InvalidHostCapabilityFailsEvenWithContinueOnErrors) {
  auto r = RunServer("psp:\n  module: " + Policy() + "\n  hostCapabilities: [\"oci/v9/*\"]\n",
                     {"--continue-on-errors"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("policy 'psp': field 'hostCapabilities'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("oci/v9/*"), std::string::npos) << r.err;
}

TEST(PolicyServerStartup, UnreachableRegistryFailsNamingThePolicyAndTheUri) {
  // Nothing listens on loopback's discard port.
  auto r = RunServer("psp:\n  module: registry://127.0.0.1:9/kubewarden/pod-privileged:v1\n",
                     {"--policies-download-dir", testing::MakeTempDir()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("policy 'psp': cannot fetch policy "
                       "registry://127.0.0.1:9/kubewarden/pod-privileged:v1"),
            std::string::npos)
      << r.err;
}

// --- TLS -----------------------------------------------------------------------------------

using testing::Certificates;
using testing::MakeCertificates;

TEST(PolicyServerTls, ServesHttps) {
  Certificates certs = MakeCertificates();
  auto server = Server::Start(StandardPolicies(),
                              {"--cert-file", certs.server_cert, "--key-file", certs.server_key},
                              /*tls=*/true);
  ASSERT_TRUE(server);
  HttpOptions o;
  o.ca_file = certs.ca;
  o.body = PlainReview();
  auto r = Http(server->Url("/validate/privileged"), o);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.body, AcceptedReview(kPlainUid));
  // Plain HTTP is not served on the TLS port.
  o.ca_file.clear();
  auto plain = Http("http://127.0.0.1:" + std::to_string(server->port()) + "/validate/privileged", o);
  EXPECT_FALSE(plain.ok() && plain.status == 200);
}

TEST(PolicyServerTls, MutualTlsRequiresAClientCertificate) {
  Certificates certs = MakeCertificates();
  // Every file of the comma-separated list must hold certificates.
  auto no_ca = RunServer("p:\n  module: " + Policy() + "\n",
                         {"--cert-file", certs.server_cert, "--key-file", certs.server_key,
                          "--client-ca-file", certs.ca + ",/dev/null"});
  EXPECT_EQ(no_ca.exit_code, 1);
  EXPECT_NE(no_ca.err.find("client CA file /dev/null: no PEM certificate found"),
            std::string::npos)
      << no_ca.err;

  auto server = Server::Start(StandardPolicies(),
                         {"--cert-file", certs.server_cert, "--key-file", certs.server_key,
                          "--client-ca-file", certs.ca},
                         /*tls=*/true);
  ASSERT_TRUE(server);
  HttpOptions o;
  o.ca_file = certs.ca;
  o.body = PlainReview();
  auto anonymous = Http(server->Url("/validate/privileged"), o);
  EXPECT_FALSE(anonymous.ok() && anonymous.status == 200) << anonymous.body;

  o.cert_file = certs.client_cert;
  o.key_file = certs.client_key;
  auto authenticated = Http(server->Url("/validate/privileged"), o);
  ASSERT_TRUE(authenticated.ok()) << authenticated.error;
  EXPECT_EQ(authenticated.body, AcceptedReview(kPlainUid));

  // A certificate from another CA is refused too.
  Certificates other = MakeCertificates();
  o.cert_file = other.client_cert;
  o.key_file = other.client_key;
  auto stranger = Http(server->Url("/validate/privileged"), o);
  EXPECT_FALSE(stranger.ok() && stranger.status == 200);
}

TEST(PolicyServerTls, CertificateFileMustHoldExactlyOneCertificate) {
  Certificates certs = MakeCertificates();
  auto r = RunServer("p:\n  module: " + Policy() + "\n",
                     {"--cert-file", certs.chain, "--key-file", certs.server_key});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Expected exactly one certificate in certificate file, found 2"),
            std::string::npos)
      << r.err;
  auto only_cert = RunServer("p:\n  module: " + Policy() + "\n", {"--cert-file", certs.server_cert});
  EXPECT_EQ(only_cert.exit_code, 1);
  EXPECT_NE(only_cert.err.find("both certificate and key must be provided together"),
            std::string::npos)
      << only_cert.err;
}

// --- HTTP/1.1 on the wire ------------------------------------------------------------------

std::string RawPost(std::string_view path, std::string_view body, std::string_view extra = "") {
  return "POST " + std::string(path) + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         std::string(extra) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

std::size_t Count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(PolicyServerHttp, KeepAliveAnswersPipelinedRequestsInOrder) {
  auto server = Server::Start(StandardPolicies());
  ASSERT_TRUE(server);
  testing::RawConnection connection(server->port());
  ASSERT_TRUE(connection.Send(RawPost("/validate/privileged", PlainReview()) +
                              RawPost("/validate/privileged", PrivilegedReview()) +
                              RawPost("/validate/privileged", PlainReview(), "Connection: close\r\n")));
  bool closed = false;
  std::string out = connection.ReadUntilClosed(15s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(Count(out, "HTTP/1.1 200 OK"), 3u) << out;
  std::size_t first = out.find(AcceptedReview(kPlainUid));
  std::size_t second = out.find(std::string(kPrivilegedUid));
  std::size_t third = out.find(AcceptedReview(kPlainUid), first + 1);
  EXPECT_TRUE(first < second && second < third && third != std::string::npos) << out;
}

// 1,000 clients connected at once, each with a request in flight: every one is answered.
TEST(PolicyServerHttp, AnswersAThousandConcurrentConnections) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < 1200 && limit.rlim_max >= 1200) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 4096);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < 1200) GTEST_SKIP() << "the open-file limit is too low for 1,000 sockets";
  auto server = Server::Start(StandardPolicies());
  ASSERT_TRUE(server);
  constexpr int kConnections = 1000;
  std::vector<std::unique_ptr<testing::RawConnection>> connections;
  for (int i = 0; i < kConnections; ++i) {
    connections.push_back(std::make_unique<testing::RawConnection>(server->port()));
  }
  std::string request = RawPost("/validate/privileged", PrivilegedReview(), "Connection: close\r\n");
  for (auto& c : connections) ASSERT_TRUE(c->Send(request));
  int answered = 0;
  for (auto& c : connections) {
    bool closed = false;
    std::string out = c->ReadUntilClosed(30s, &closed);
    if (out.starts_with("HTTP/1.1 200 OK") &&
        out.find("Privileged container is not allowed") != std::string::npos) {
      ++answered;
    }
  }
  EXPECT_EQ(answered, kConnections);
  EXPECT_TRUE(server->process().Running());
}

TEST(PolicyServerHttp, OversizedBodiesAreRefusedWithoutReadingThem) {
  auto server = Server::Start(StandardPolicies());
  ASSERT_TRUE(server);
  std::string big((3u << 20), ' ');
  for (std::string request :
       {RawPost("/validate/privileged", big),
        std::string("POST /validate/privileged HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "300000\r\n") + big + "\r\n0\r\n\r\n"}) {
    testing::RawConnection connection(server->port());
    std::thread sender([&] { connection.Send(request); });
    bool closed = false;
    std::string out = connection.ReadUntilClosed(15s, &closed);
    sender.join();
    EXPECT_TRUE(out.starts_with("HTTP/1.1 413")) << out.substr(0, 200);
    EXPECT_NE(out.find("length limit exceeded"), std::string::npos) << out.substr(0, 400);
    EXPECT_NE(out.find("Connection: close"), std::string::npos) << out.substr(0, 400);
  }
}

// --- robustness ----------------------------------------------------------------------------

// Waits until `process` has printed `text` on stdout.
bool WaitForOutput(ChildProcess& process, std::string_view text, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process.Stdout().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(PolicyServerTimeout, LoopingPolicyCostsOnlyItsTimeout) {
  auto server = Server::Start("loop:\n  module: " + LoopPolicy() + "\n  timeoutEvalSeconds: 3\n"
                              "privileged:\n  module: " + Policy() + "\n");
  ASSERT_TRUE(server);
  std::atomic<bool> loop_done = false;
  HttpResult loop;
  std::thread looping([&] {
    loop = server->Post("/validate/loop", PlainReview());
    loop_done = true;
  });
  ASSERT_TRUE(WaitForOutput(server->process(), "spinning forever", 10s));
  // While one worker spins, the other keeps answering.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(server->Post("/validate/privileged", PlainReview()).body, AcceptedReview(kPlainUid));
  }
  EXPECT_FALSE(loop_done) << "the looping policy should still be running";
  looping.join();
  EXPECT_EQ(loop.status, 200) << loop.error;
  EXPECT_EQ(J(loop.body).at("response").at("status"),
            J(R"({"message":"Policy execution interrupted because it exceeded the allowed execution time","code":500})"));
  // The worker that was interrupted serves again.
  EXPECT_EQ(server->Post("/validate/privileged", PlainReview()).body, AcceptedReview(kPlainUid));
}

// Keep-alive connections, not only new ones, are served by the other worker while one loops
// (worker_pool.h: the workers share the connections).
TEST(PolicyServerTimeout, LoopingPolicyDoesNotHoldUpKeepAliveConnections) {
  auto server = Server::Start("loop:\n  module: " + LoopPolicy() + "\n  timeoutEvalSeconds: 4\n"
                              "privileged:\n  module: " + Policy() + "\n",
                              {"--slow-lane-threads", "0"});
  ASSERT_TRUE(server);
  auto request = [](std::string_view path) {
    std::string body = PlainReview();
    return "POST " + std::string(path) + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  std::vector<std::unique_ptr<testing::RawConnection>> kept;
  for (int i = 0; i < 4; ++i) {
    kept.push_back(std::make_unique<testing::RawConnection>(server->port()));
    // A first request makes each a connection with a thread of its own choosing.
    ASSERT_TRUE(kept.back()->Send(request("/validate/privileged")));
    ASSERT_NE(kept.back()->ReadResponse(10s).find(kPlainUid), std::string::npos);
  }
  testing::RawConnection looping(server->port());
  ASSERT_TRUE(looping.Send(request("/validate/loop")));
  ASSERT_TRUE(WaitForOutput(server->process(), "spinning forever", 10s));
  for (auto& connection : kept) {
    ASSERT_TRUE(connection->Send(request("/validate/privileged")));
    std::string answer = connection->ReadResponse(10s);
    EXPECT_NE(answer.find(kPlainUid), std::string::npos) << answer;
  }
  EXPECT_EQ(looping.ReadResponse(100ms), "") << "the looping request should still be running";
  EXPECT_NE(looping.ReadResponse(10s).find("exceeded the allowed execution time"),
            std::string::npos);
}

TEST(PolicyServerTimeout, ReadinessAnswersWhileEveryWorkerIsBusy) {
  auto server = Server::Start("loop:\n  module: " + LoopPolicy() + "\n  timeoutEvalSeconds: 3\n",
                              {"--workers", "1"});
  ASSERT_TRUE(server);
  std::atomic<bool> loop_done = false;
  std::thread looping([&] {
    server->Post("/validate/loop", PlainReview());
    loop_done = true;
  });
  ASSERT_TRUE(WaitForOutput(server->process(), "spinning forever", 10s));
  HttpOptions get;
  get.method = "GET";
  get.content_type.reset();
  EXPECT_EQ(Http("http://127.0.0.1:" + std::to_string(server->readiness_port()) + "/readiness",
                 get).status,
            200);
  EXPECT_FALSE(loop_done) << "the probe should have been answered while the worker spins";
  looping.join();
}

TEST(PolicyServerSlowClient, IsDroppedWithoutHoldingAWorker) {
  auto server = Server::Start(StandardPolicies(),
                              {"--workers", "1", "--client-read-timeout", "1"});
  ASSERT_TRUE(server);
  std::string body = PlainReview();
  std::string request = "POST /validate/privileged HTTP/1.1\r\nHost: x\r\n"
                        "Content-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body;
  testing::RawConnection slow(server->port());
  std::atomic<bool> stop = false;
  // A byte every 100 ms: the request would take minutes to arrive.
  std::thread trickle([&] {
    for (char c : request) {
      if (stop || !slow.Send(std::string_view(&c, 1))) return;
      std::this_thread::sleep_for(100ms);
    }
  });
  // The only worker is free for others meanwhile.
  EXPECT_EQ(server->Post("/validate/privileged", PlainReview()).body, AcceptedReview(kPlainUid));
  bool closed = false;
  std::string answer = slow.ReadUntilClosed(15s, &closed);
  stop = true;
  trickle.join();
  EXPECT_TRUE(closed) << "the slow client should have been dropped";
  EXPECT_EQ(answer, "");
  // Malformed HTTP gets a 400.
  testing::RawConnection garbage(server->port());
  ASSERT_TRUE(garbage.Send("NOT HTTP AT ALL\r\n\r\n"));
  std::string bad = garbage.ReadUntilClosed(10s, &closed);
  EXPECT_TRUE(bad.starts_with("HTTP/1.1 400")) << bad;
}

TEST(PolicyServerShutdown, SigtermCompletesTheRequestInFlight) {
  auto server = Server::Start("loop:\n  module: " + LoopPolicy() + "\n  timeoutEvalSeconds: 1\n",
                              {"--log-fmt", "json"});
  ASSERT_TRUE(server);
  HttpResult in_flight;
  std::thread request([&] { in_flight = server->Post("/validate/loop", PlainReview()); });
  ASSERT_TRUE(WaitForOutput(server->process(), "spinning forever", 10s));
  server->process().Signal(SIGTERM);
  request.join();
  EXPECT_EQ(in_flight.status, 200) << in_flight.error;
  EXPECT_EQ(J(in_flight.body).at("response").at("status").at("code"), 500);
  EXPECT_EQ(server->process().Wait(15s), std::optional<int>(0)) << server->process().Stderr();
  EXPECT_FALSE(server->Post("/validate/loop", PlainReview()).ok());

  // --log-fmt json: one JSON object per line.
  std::string out = server->process().Stdout();
  std::size_t lines = 0;
  for (std::size_t start = 0; start < out.size();) {
    std::size_t nl = out.find('\n', start);
    std::string line = out.substr(start, nl - start);
    start = nl == std::string::npos ? out.size() : nl + 1;
    if (line.empty()) continue;
    ++lines;
    json::value v = J(line);
    EXPECT_TRUE(v.is_object() && v.as_object().contains("timestamp") &&
                v.as_object().contains("level") && v.at("fields").as_object().contains("message"))
        << line;
  }
  EXPECT_GE(lines, 3u);
  EXPECT_NE(out.find("received TERM"), std::string::npos) << out;
}

// The main job: the bundled default policy set (deploy/defaults), protect mode, on the real
// server with the real policies.
json::value PodReview(const std::string& pod_spec_json) {
  return J(R"({"request":{"uid":"defaults-1","kind":{"group":"","version":"v1","kind":"Pod"},)"
           R"("resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE",)"
           R"("namespace":"default","userInfo":{"username":"alice"},"object":{"apiVersion":"v1",)"
           R"("kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":)" +
           pod_spec_json + "}}}");
}

json::value Verdict(const Server& server, const std::string& policy, const json::value& review) {
  auto r = server.Post("/validate/clusterwide-" + policy, json::serialize(review));
  EXPECT_EQ(r.status, 200) << policy << ": " << r.body;
  auto v = ParseJson(r.body);
  EXPECT_TRUE(v) << r.body;
  return v ? v->at("response") : json::value();
}

TEST(PolicyServerDefaults, TheBundledDefaultSetEnforcesTheRecommendedPolicies) {
  auto policies = ReadFile(std::string(KW_TEST_BINARY_DIR) + "/defaults/policies.yml");
  ASSERT_TRUE(policies) << policies.error().message;
  auto server = Server::Start(*policies);
  ASSERT_TRUE(server);

  // A well-behaved pod passes every policy; the mutating ones only harden it.
  json::value good = PodReview(
      R"({"securityContext":{"runAsNonRoot":true},"containers":[{"name":"app","image":"nginx",)"
      R"("securityContext":{"allowPrivilegeEscalation":false,"runAsNonRoot":true,)"
      R"("capabilities":{"drop":["ALL"]}}}]})");
  for (const char* policy : {"no-privilege-escalation", "no-host-namespace-sharing",
                             "no-privileged-pod", "do-not-run-as-root", "do-not-share-host-paths",
                             "drop-capabilities"}) {
    json::value v = Verdict(*server, policy, good);
    EXPECT_EQ(v.at("allowed"), true) << policy << ": " << json::serialize(v);
  }

  EXPECT_EQ(Verdict(*server, "no-privileged-pod", J(PrivilegedReview())).at("status").at("message"),
            "Privileged container is not allowed");
  EXPECT_EQ(Verdict(*server, "no-host-namespace-sharing",
                    PodReview(R"({"hostNetwork":true,"containers":[{"name":"a","image":"x"}]})"))
                .at("status")
                .at("message"),
            "Pod has host network enabled, but this is not allowed");
  EXPECT_EQ(Verdict(*server, "no-privilege-escalation",
                    PodReview(R"({"containers":[{"name":"a","image":"x","securityContext":)"
                              R"({"allowPrivilegeEscalation":true}}]})"))
                .at("status")
                .at("message"),
            "one of the containers has privilege escalation enabled");
  EXPECT_EQ(Verdict(*server, "do-not-share-host-paths",
                    PodReview(R"({"containers":[{"name":"a","image":"x","volumeMounts":[)"
                              R"({"name":"etc","mountPath":"/host"}]}],"volumes":[{"name":"etc",)"
                              R"("hostPath":{"path":"/etc"}}]})"))
                .at("allowed"),
            false);
  EXPECT_EQ(Verdict(*server, "drop-capabilities",
                    PodReview(R"({"containers":[{"name":"a","image":"x","securityContext":)"
                              R"({"capabilities":{"add":["NET_ADMIN"]}}}]})"))
                .at("allowed"),
            false);
  EXPECT_EQ(Verdict(*server, "do-not-run-as-root",
                    PodReview(R"({"containers":[{"name":"a","image":"x","securityContext":)"
                              R"({"runAsUser":0}}]})"))
                .at("allowed"),
            false);

  // A bare pod is accepted by the mutating policies with a patch that hardens it.
  json::value bare = PodReview(R"({"containers":[{"name":"a","image":"x"}]})");
  for (const char* policy : {"drop-capabilities", "do-not-run-as-root"}) {
    json::value v = Verdict(*server, policy, bare);
    EXPECT_EQ(v.at("allowed"), true) << policy;
    EXPECT_EQ(v.at("patchType"), "JSONPatch") << policy << ": " << json::serialize(v);
  }
}

// --- metrics -------------------------------------------------------------------------------

// Sets environment variables for the servers the test starts (they inherit the environment),
// and removes them afterwards.
class ScopedEnvironment {
 public:
  explicit ScopedEnvironment(std::vector<std::pair<std::string, std::string>> vars)
      : vars_(std::move(vars)) {
    for (const auto& [name, value] : vars_) setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnvironment() {
    for (const auto& [name, value] : vars_) unsetenv(name.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
};

HttpResult Get(const std::string& url) {
  HttpOptions o;
  o.method = "GET";
  o.content_type.reset();
  return Http(url, o);
}

// The lines of `text` that start with `prefix`.
std::set<std::string> LinesStartingWith(const std::string& text, const std::string& prefix) {
  std::set<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.starts_with(prefix)) out.insert(line);
    start = end + 1;
  }
  return out;
}

std::string WithNamespace(const std::string& review, const std::string& ns) {
  json::value v = J(review);
  v.at("request").as_object()["namespace"] = ns;
  return json::serialize(v);
}

// Labels as the Prometheus text writes them, for an AdmissionRequest evaluation.
std::string AdmissionLabels(const std::string& policy, const std::string& mode,
                            const std::string& kind, bool accepted, bool mutated,
                            const std::string& origin, const std::string& ns,
                            std::optional<int> code = std::nullopt) {
  return "policy_name=\"" + policy + "\",policy_mode=\"" + mode + "\",resource_kind=\"" + kind +
         "\",resource_request_operation=\"CREATE\",accepted=\"" + (accepted ? "true" : "false") +
         "\",mutated=\"" + (mutated ? "true" : "false") + "\",request_origin=\"" + origin +
         "\",resource_namespace=\"" + ns + "\"" +
         (code ? ",error_code=\"" + std::to_string(*code) + "\"" : "");
}

TEST(PolicyServerMetrics, PrometheusEndpointHasUpstreamsSeries) {
  const int metrics_port = testing::FreeLoopbackPort();
  auto server = Server::Start(
      StandardPolicies() + "bad:\n  module: " + Policy() +
          "\n  settings: {invalid: replicas must be positive}\n",
      {"--enable-metrics", "--metrics-port", std::to_string(metrics_port),
       "--continue-on-errors", "--always-accept-admission-reviews-on-namespace", "kubewarden"});
  ASSERT_TRUE(server);
  const std::string metrics_url = "http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics";

  // Nothing evaluated yet: only the metadata, and the gauges of what is served.
  auto empty = Get(metrics_url);
  ASSERT_TRUE(empty.ok()) << empty.error;
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(empty.body.find("# TYPE kubewarden_policy_evaluations_total counter\n"),
            std::string::npos);
  EXPECT_NE(empty.body.find("# TYPE kubewarden_policy_evaluation_latency_milliseconds histogram\n"),
            std::string::npos);
  EXPECT_TRUE(LinesStartingWith(empty.body, "kubewarden_policy_evaluation").empty()) << empty.body;
  EXPECT_THAT(LinesStartingWith(empty.body, "kubewarden_policy_state{policy_name=\"bad\""),
              ::testing::ElementsAre("kubewarden_policy_state{policy_name=\"bad\",state=\"failed\"} 1"));
  EXPECT_THAT(LinesStartingWith(empty.body, "kubewarden_policy_state{policy_name=\"group/plain\""),
              ::testing::ElementsAre(
                  "kubewarden_policy_state{policy_name=\"group/plain\",state=\"live\"} 1"));
  EXPECT_THAT(LinesStartingWith(empty.body, "kubewarden_policies_config_info{version=\"sha256:"),
              ::testing::SizeIs(1));

  auto post = [&](const std::string& path, const std::string& body) {
    auto r = server->Post(path, body);
    EXPECT_EQ(r.status, 200) << path << " " << r.error;
  };
  // pod_privileged.json has requestKind (Pod), pod_plain.json has none ("").
  post("/validate/privileged", PrivilegedReview());
  post("/validate/privileged", PrivilegedReview());
  post("/validate/monitor", PlainReview());           // let through; the policy rejected
  post("/audit/custom-message", PlainReview());       // rejected with code 403
  post("/validate/custom-message", PlainReview());    // the vanilla code, not the custom message
  post("/validate/mutate", PlainReview());
  post("/validate/mutate-denied", PlainReview());     // the vanilla verdict mutated
  post("/validate/group", PrivilegedReview());        // the group only, not its members
  post("/validate/privileged", WithNamespace(PrivilegedReview(), "kubewarden"));  // not evaluated
  post("/validate_raw/privileged", R"({"request":{"uid":"raw-1"}})");
  post("/validate_raw/monitor", R"({"request":{"uid":"raw-2"}})");
  post("/validate/bad", PlainReview());
  post("/audit/bad", PlainReview());
  EXPECT_EQ(server->Post("/validate/nope", PlainReview()).status, 404);  // not recorded

  auto scraped = Get(metrics_url);
  ASSERT_EQ(scraped.status, 200) << scraped.error;
  const std::string counter = "kubewarden_policy_evaluations_total{";
  const std::string raw_privileged =
      "policy_name=\"privileged\",policy_mode=\"protect\",accepted=\"true\",mutated=\"false\"";
  const std::string raw_monitor =
      "policy_name=\"monitor\",policy_mode=\"monitor\",accepted=\"false\",mutated=\"false\"";
  const std::vector<std::pair<std::string, int>> expected = {
      {AdmissionLabels("privileged", "protect", "Pod", false, false, "validate", "default"), 2},
      {AdmissionLabels("monitor", "monitor", "", false, false, "validate", "default"), 1},
      {AdmissionLabels("custom-message", "protect", "", false, false, "audit", "default", 403), 1},
      {AdmissionLabels("custom-message", "protect", "", false, false, "validate", "default", 403),
       1},
      {AdmissionLabels("mutate", "protect", "", true, true, "validate", "default"), 1},
      {AdmissionLabels("mutate-denied", "protect", "", true, true, "validate", "default"), 1},
      {AdmissionLabels("group", "protect", "Pod", false, false, "validate", "default"), 1},
      {AdmissionLabels("privileged", "protect", "Pod", true, false, "validate", "kubewarden"), 1},
      {raw_privileged, 1},
      {raw_monitor, 1},
  };
  std::set<std::string> want;
  for (const auto& [labels, n] : expected) want.insert(counter + labels + "} " + std::to_string(n));
  want.insert(counter +
              "policy_name=\"bad\",initialization_error=\"Policy settings are invalid: replicas "
              "must be positive\"} 2");
  EXPECT_EQ(LinesStartingWith(scraped.body, counter), want) << scraped.body;

  // One histogram per evaluated series, counting the same evaluations; none for load failures.
  const std::string histogram = "kubewarden_policy_evaluation_latency_milliseconds";
  std::set<std::string> want_counts, want_inf;
  for (const auto& [labels, n] : expected) {
    want_counts.insert(histogram + "_count{" + labels + "} " + std::to_string(n));
    want_inf.insert(histogram + "_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(n));
  }
  EXPECT_EQ(LinesStartingWith(scraped.body, histogram + "_count{"), want_counts);
  std::set<std::string> inf;
  for (const auto& line : LinesStartingWith(scraped.body, histogram + "_bucket{")) {
    if (line.find("le=\"+Inf\"") != std::string::npos) inf.insert(line);
  }
  EXPECT_EQ(inf, want_inf);
  EXPECT_EQ(LinesStartingWith(scraped.body, histogram + "_bucket{").size(), expected.size() * 16);
  // The always-accepted request took no evaluation time.
  const std::string accepted_labels =
      AdmissionLabels("privileged", "protect", "Pod", true, false, "validate", "kubewarden");
  EXPECT_EQ(LinesStartingWith(scraped.body, histogram + "_bucket{" + accepted_labels + ",le=\"0\"}"),
            std::set<std::string>{histogram + "_bucket{" + accepted_labels + ",le=\"0\"} 1"});

  // Only GET (and HEAD) /metrics.
  EXPECT_EQ(Get("http://127.0.0.1:" + std::to_string(metrics_port) + "/other").status, 404);
  HttpOptions post_options;
  EXPECT_EQ(Http(metrics_url, post_options).status, 405);
}

TEST(PolicyServerMetrics, NoMetricsListenerWithoutEnableMetrics) {
  const int metrics_port = testing::FreeLoopbackPort();
  auto server = Server::Start(StandardPolicies(), {"--metrics-port", std::to_string(metrics_port)});
  ASSERT_TRUE(server);
  EXPECT_FALSE(Get("http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics").ok());
  EXPECT_NE(server->process().Stdout().find("--metrics-port is ignored without --enable-metrics"),
            std::string::npos)
      << server->process().Stdout();
}

// The attributes of an OTLP data point as {key: value}, value as its OTLP JSON object.
std::map<std::string, json::value> OtlpAttributes(const json::value& point) {
  std::map<std::string, json::value> out;
  for (const auto& a : point.at("attributes").as_array()) {
    out[std::string(a.at("key").as_string())] = a.at("value");
  }
  return out;
}

// The data points of metric `name` in an OTLP/JSON export, under `kind` ("sum" or "histogram").
json::array OtlpPoints(const json::value& export_request, std::string_view name,
                       std::string_view kind) {
  for (const auto& m : export_request.at("resourceMetrics").at(0).at("scopeMetrics").at(0)
                           .at("metrics").as_array()) {
    if (m.at("name").as_string() == name) return m.at(kind).at("dataPoints").as_array();
  }
  return {};
}

TEST(PolicyServerMetrics, PushesOtlpJsonToTheCollector) {
  testing::HttpSink collector;
  ScopedEnvironment env({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.Url()},
                         {"OTEL_METRIC_EXPORT_INTERVAL", "100"}});
  auto server = Server::Start(StandardPolicies(), {"--enable-metrics"});
  ASSERT_TRUE(server);
  EXPECT_EQ(server->Post("/validate/custom-message", PrivilegedReview()).status, 200);
  EXPECT_EQ(server->Post("/validate_raw/privileged", R"({"request":{"uid":"raw"}})").status, 200);

  // Wait for an export that has both evaluations.
  json::value last;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto requests = collector.Requests();
    if (!requests.empty()) {
      last = J(requests.back().body);
      if (OtlpPoints(last, "kubewarden_policy_evaluations_total", "sum").size() == 2) break;
    }
    std::this_thread::sleep_for(50ms);
  }
  auto requests = collector.Requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/metrics");
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");

  const auto& resource = last.at("resourceMetrics").at(0);
  EXPECT_EQ(resource.at("resource").at("attributes"),
            J(R"([{"key":"service.name","value":{"stringValue":"kubewarden-policy-server"}}])"));
  EXPECT_EQ(resource.at("scopeMetrics").at(0).at("scope").at("name"), "kubewarden");

  json::array counters = OtlpPoints(last, "kubewarden_policy_evaluations_total", "sum");
  ASSERT_EQ(counters.size(), 2u) << json::serialize(last);
  // Sorted by attributes: custom-message before privileged.
  EXPECT_EQ(OtlpAttributes(counters[0]),
            (std::map<std::string, json::value>{
                {"policy_name", J(R"({"stringValue":"custom-message"})")},
                {"policy_mode", J(R"({"stringValue":"protect"})")},
                {"resource_kind", J(R"({"stringValue":"Pod"})")},
                {"resource_request_operation", J(R"({"stringValue":"CREATE"})")},
                {"accepted", J(R"({"boolValue":false})")},
                {"mutated", J(R"({"boolValue":false})")},
                {"request_origin", J(R"({"stringValue":"validate"})")},
                {"resource_namespace", J(R"({"stringValue":"default"})")},
                {"error_code", J(R"({"intValue":"403"})")}}));
  EXPECT_EQ(counters[0].at("asInt"), "1");
  EXPECT_EQ(OtlpAttributes(counters[1]),
            (std::map<std::string, json::value>{
                {"policy_name", J(R"({"stringValue":"privileged"})")},
                {"policy_mode", J(R"({"stringValue":"protect"})")},
                {"accepted", J(R"({"boolValue":true})")},
                {"mutated", J(R"({"boolValue":false})")}}));
  json::array latencies =
      OtlpPoints(last, "kubewarden_policy_evaluation_latency_milliseconds", "histogram");
  ASSERT_EQ(latencies.size(), 2u);
  EXPECT_EQ(latencies[0].at("count"), "1");
  EXPECT_EQ(latencies[0].at("explicitBounds").as_array().size(), 15u);
  EXPECT_EQ(latencies[0].at("bucketCounts").as_array().size(), 16u);

  // SIGTERM: one last export on the way out.
  const std::size_t before = collector.Requests().size();
  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(20s), 0);
  EXPECT_GT(collector.Requests().size(), before);
}

TEST(PolicyServerMetrics, CollectorFailuresAreNotFatal) {
  testing::RefusingLoopbackPort down;
  ScopedEnvironment env({{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", down.Url() + "/v1/metrics"},
                         {"OTEL_METRIC_EXPORT_INTERVAL", "50"}});
  auto server = Server::Start(StandardPolicies(), {"--enable-metrics"});
  ASSERT_TRUE(server);
  EXPECT_EQ(server->Post("/validate/privileged", PlainReview()).body, AcceptedReview(kPlainUid));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(server->process().Running());
  EXPECT_NE(server->process().Stdout().find("exporting metrics to"), std::string::npos);
  EXPECT_EQ(server->Post("/validate/privileged", PlainReview()).body, AcceptedReview(kPlainUid));
}

TEST(PolicyServerMetrics, UnusableExporterSettingsFailStartUp) {
  ScopedEnvironment env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:4318"},
                         {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"}});
  auto r = RunServer(StandardPolicies(), {"--enable-metrics"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/ca.pem"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kw
