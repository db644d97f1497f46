// Explained decisions through the real binaries: `kwctl run --explain` (stderr, text or JSON;
// stdout unchanged) and policy-server's --enable-explain-endpoint (POST /explain/{id} on the
// readiness port only). test_policy.wasm answers as its settings say (reject, add_label,
// host_call...).
#include <gtest/gtest.h>

#include "base/files.h"
#include "base/json.h"
#include "testing/http_client.h"
#include "testing/json.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using testing::J;
using testing::TestData;

std::string Request(const std::string& name) {
  return testing::SourcePath("tests/data/requests/" + name);
}

testing::ProcessResult Kwctl(std::vector<std::string> args) { return testing::RunKwctl(args); }

// The one JSON document `--explain=json` writes on stderr (log lines, if any, are not JSON).
json::value ExplanationIn(const std::string& err) {
  for (std::size_t start = 0; start < err.size();) {
    std::size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    std::string_view line(err.data() + start, end - start);
    if (line.starts_with("{")) return J(line);
    start = end + 1;
  }
  ADD_FAILURE() << "no explanation in: " << err;
  return nullptr;
}

TEST(KwctlExplain, ALonePolicyOnStderrWithStdoutUnchanged) {
  std::vector<std::string> args = {"run", TestData("test_policy.wasm"), "-r",
                                    Request("pod_privileged.json")};
  auto plain = Kwctl(args);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  args.push_back("--explain");
  auto explained = Kwctl(args);
  ASSERT_EQ(explained.exit_code, 0) << explained.err;
  EXPECT_EQ(explained.out, plain.out);  // scripts parsing stdout see no difference
  EXPECT_NE(explained.err.find("policy   "), std::string::npos) << explained.err;
  EXPECT_NE(explained.err.find("rejected"), std::string::npos) << explained.err;
  EXPECT_NE(explained.err.find("\"Privileged container is not allowed\""), std::string::npos)
      << explained.err;
  EXPECT_NE(explained.err.find("answer   rejected"), std::string::npos) << explained.err;
  EXPECT_EQ(explained.err.find("\x1b["), std::string::npos);  // no colour off a terminal

  args.back() = "--explain=json";
  auto json_run = Kwctl(args);
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  EXPECT_EQ(json_run.out, plain.out);
  json::value x = ExplanationIn(json_run.err);
  EXPECT_EQ(x.at("request").at("uid"), "1299d386-525b-4032-98ae-1949f69f9cfc");
  EXPECT_EQ(x.at("request").at("operation"), "CREATE");
  EXPECT_EQ(x.at("policy").at("type"), "policy");
  EXPECT_EQ(x.at("policy").at("mode"), "protect");
  ASSERT_EQ(x.at("evaluations").as_array().size(), 1u);
  EXPECT_EQ(x.at("evaluations").at(0).at("verdict"), "rejected");
  EXPECT_EQ(x.at("evaluations").at(0).at("message"), "Privileged container is not allowed");
  EXPECT_TRUE(x.at("evaluations").at(0).at("duration_us").is_int64());
  EXPECT_EQ(x.at("response").at("allowed"), false);

  // `-o json` says the same as `--explain=json`, and means nothing without --explain.
  args.back() = "--explain";
  args.insert(args.end(), {"-o", "json"});
  auto output_run = Kwctl(args);
  ASSERT_EQ(output_run.exit_code, 0) << output_run.err;
  EXPECT_EQ(output_run.out, plain.out);
  EXPECT_EQ(ExplanationIn(output_run.err).at("response"), x.at("response"));
  args.erase(args.end() - 3);
  EXPECT_NE(Kwctl(args).exit_code, 0);
  args.resize(args.size() - 2);

  args.push_back("--explain=yaml");
  EXPECT_NE(Kwctl(args).exit_code, 0);
}

TEST(KwctlExplain, AMutationShowsItsPatch) {
  auto r = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                  "--settings-json", R"({"add_label":{"key":"team","value":"kw"}})",
                  "--explain=json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value x = ExplanationIn(r.err);
  const json::value& patch = x.at("evaluations").at(0).at("patch");
  ASSERT_TRUE(patch.is_array()) << ToJson(x);
  EXPECT_EQ(patch.at(0).at("op"), "add");

  auto text = Kwctl({"run", TestData("test_policy.wasm"), "-r", Request("pod_plain.json"),
                     "--settings-json", R"({"add_label":{"key":"team","value":"kw"}})",
                     "--explain"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.err.find("patch      [{\"op\":\"add\""), std::string::npos) << text.err;
}

TEST(KwctlExplain, HostCallsOfAReplayedSession) {
  // test_policy makes the host call its settings name; the session answers it.
  const std::string dir = testing::MakeTempDir();
  const std::string session = dir + "/session.yml";
  const json::value lookup = testing::TestPolicyHostCall("net", "v1/dns_lookup_host", "localhost");
  std::vector<std::string> args = {"run", TestData("test_policy.wasm"), "-r",
                                   Request("pod_plain.json"), "--settings-json", ToJson(lookup)};
  std::vector<std::string> record = args;
  record.insert(record.end(), {"--record-host-capabilities-interactions", session});
  auto recorded = Kwctl(record);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;

  args.insert(args.end(), {"--replay-host-capabilities-interactions", session, "--explain=json"});
  auto r = Kwctl(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value x = ExplanationIn(r.err);
  const json::value& calls = x.at("evaluations").at(0).at("host_calls");
  ASSERT_EQ(calls.as_array().size(), 1u) << ToJson(x);
  EXPECT_EQ(calls.at(0).at("binding"), "kubewarden");
  EXPECT_EQ(calls.at(0).at("namespace"), "net");
  EXPECT_EQ(calls.at(0).at("operation"), "v1/dns_lookup_host");
  EXPECT_EQ(calls.at(0).at("outcome"), "ok");

  // A capability the policy was not granted is a call that failed.
  args.insert(args.end(), {"--allowed-host-capabilities", "oci/*"});
  auto denied = Kwctl(args);
  ASSERT_EQ(denied.exit_code, 0) << denied.err;
  json::value d = ExplanationIn(denied.err);
  const json::value& call = d.at("evaluations").at(0).at("host_calls").at(0);
  EXPECT_EQ(call.at("outcome"), "error");
  EXPECT_NE(std::string(call.at("error").as_string()).find("has not been granted access"),
            std::string::npos);
}

std::string GroupCr(const std::string& expression) {
  std::string wasm = TestData("test_policy.wasm");
  return "apiVersion: policies.kubewarden.io/v1\n"
         "kind: ClusterAdmissionPolicyGroup\n"
         "metadata:\n  name: explained\n"
         "spec:\n"
         "  expression: \"" + expression + "\"\n"
         "  message: the group says no\n"
         "  policies:\n"
         "    privileged:\n      module: " + wasm + "\n"
         "    labels:\n      module: " + wasm + "\n"
         "      settings:\n        add_label: {key: team, value: blue}\n"
         "    always:\n      module: " + wasm + "\n";
}

TEST(KwctlExplain, AGroupSaysWhereItStopped) {
  std::string path = testing::WriteTempFile("group.yaml", GroupCr("privileged() && (labels() || always())"));
  auto r = Kwctl({"run", path, "-r", Request("pod_privileged.json"), "--explain=json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value x = ExplanationIn(r.err);
  EXPECT_EQ(x.at("policy").at("type"), "group");
  ASSERT_EQ(x.at("evaluations").as_array().size(), 1u) << ToJson(x);
  EXPECT_EQ(x.at("evaluations").at(0).at("member"), "privileged");
  EXPECT_EQ(x.at("evaluations").at(0).at("verdict"), "rejected");
  EXPECT_EQ(x.at("group").at("skipped"), J(R"(["always","labels"])"));
  EXPECT_EQ(x.at("group").at("stopped").at(0),
            "`&&` short-circuited: privileged() was false, so labels(), always() not evaluated");
  EXPECT_EQ(x.at("response").at("status").at("message"), "the group says no");

  // The member that mutates is shown with its patch, and why that counts as a denial.
  std::string lenient = testing::WriteTempFile("lenient.yaml", GroupCr("labels() || always()"));
  auto text = Kwctl({"run", lenient, "-r", Request("pod_plain.json"), "--explain"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.err.find("group    labels() || always()"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("patch      "), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("stopped  member mutated: labels() returned a patch"),
            std::string::npos)
      << text.err;
  EXPECT_NE(text.err.find("answer   allowed"), std::string::npos) << text.err;
}

// --- policy-server ---------------------------------------------------------------------------

std::string Policies() {
  const std::string wasm = TestData("test_policy.wasm");
  return "privileged:\n  module: " + wasm + "\n"
         "group:\n"
         "  expression: strict() || plain()\n"
         "  message: the group rejects\n"
         "  policies:\n"
         "    strict: {module: " + wasm + ", settings: {reject: strict says no}}\n"
         "    plain: {module: " + wasm + "}\n";
}

std::string Review(const std::string& name) { return testing::RequestFile(name); }
std::string PlainReview() { return "{\"request\":" + testing::RequestFile("pod_plain.json") + "}"; }

testing::HttpResult PostTo(int port, const std::string& path, const std::string& body,
                           std::optional<std::string> content_type = "application/json") {
  testing::HttpOptions o;
  o.body = body;
  o.content_type = std::move(content_type);
  return testing::Http("http://127.0.0.1:" + std::to_string(port) + path, o);
}

TEST(PolicyServerExplain, ServedOnTheReadinessPortOnlyWhenEnabled) {
  auto server = testing::PolicyServer::Start(Policies(), {"--enable-explain-endpoint"});
  ASSERT_TRUE(server);
  auto r = PostTo(server->readiness_port(), "/explain/privileged", Review("pod_privileged.json"));
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  json::value x = J(r.body);
  EXPECT_EQ(x.at("evaluations").at(0).at("verdict"), "rejected");
  EXPECT_EQ(x.at("evaluations").at(0).at("message"), "Privileged container is not allowed");
  // "review" is exactly what /validate answers.
  auto validated = server->Post("/validate/privileged", Review("pod_privileged.json"));
  EXPECT_EQ(x.at("review"), J(validated.body));

  auto group = PostTo(server->readiness_port(), "/explain/group", PlainReview());
  ASSERT_EQ(group.status, 200) << group.body;
  json::value g = J(group.body);
  ASSERT_EQ(g.at("evaluations").as_array().size(), 2u) << group.body;
  EXPECT_EQ(g.at("evaluations").at(0).at("member"), "strict");
  EXPECT_EQ(g.at("evaluations").at(1).at("member"), "plain");
  EXPECT_EQ(g.at("review").at("response").at("allowed"), true);

  auto raw = PostTo(server->readiness_port(), "/explain_raw/privileged",
                    R"({"request":{"user":"alice"}})");
  ASSERT_EQ(raw.status, 200) << raw.body;
  EXPECT_EQ(J(raw.body).at("request").at("raw"), true);
  EXPECT_TRUE(J(raw.body).at("review").as_object().contains("response"));

  // Never on the admission port.
  EXPECT_EQ(server->Post("/explain/privileged", Review("pod_privileged.json")).status, 404);
  EXPECT_EQ(server->Post("/explain_raw/privileged", "{}").status, 404);
}

TEST(PolicyServerExplain, HostileRequestsGetUpstreamStyleErrors) {
  auto server = testing::PolicyServer::Start(Policies(), {"--enable-explain-endpoint"});
  ASSERT_TRUE(server);
  const int port = server->readiness_port();
  auto unknown = PostTo(port, "/explain/nobody", PlainReview());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, R"({"message":"unknown policy: nobody","status":404})");
  auto syntax = PostTo(port, "/explain/privileged", "{not json");
  EXPECT_EQ(syntax.status, 400);
  EXPECT_TRUE(syntax.body.starts_with(
      R"({"message":"Failed to parse the request body as JSON: )"))
      << syntax.body;
  auto shape = PostTo(port, "/explain/privileged", R"({"request":42})");
  EXPECT_EQ(shape.status, 422) << shape.body;
  auto media = PostTo(port, "/explain/privileged", PlainReview(), "text/plain");
  EXPECT_EQ(media.status, 415);
  testing::HttpOptions get;
  get.method = "GET";
  EXPECT_EQ(testing::Http("http://127.0.0.1:" + std::to_string(port) + "/explain/privileged", get)
                .status,
            405);
  // The readiness routes are unchanged.
  get.content_type.reset();
  EXPECT_EQ(testing::Http("http://127.0.0.1:" + std::to_string(port) + "/readiness", get).status,
            200);
}

TEST(PolicyServerExplain, OffByDefault) {
  auto server = testing::PolicyServer::Start(Policies());
  ASSERT_TRUE(server);
  EXPECT_EQ(PostTo(server->readiness_port(), "/explain/privileged", PlainReview()).status, 404);
  EXPECT_EQ(PostTo(server->readiness_port(), "/explain_raw/privileged", "{}").status, 404);
  EXPECT_EQ(server->Post("/explain/privileged", PlainReview()).status, 404);
}

}  // namespace
}  // namespace kw
