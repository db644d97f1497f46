// kwctl's --record-host-capabilities-interactions and --replay-host-capabilities-interactions
// through the real binary: test_policy.wasm makes the host call its `host_call` settings say
// and answers with what it got (accepted with the answer as the message, or rejected with
// "host error: <the host's error>").
#include <gtest/gtest.h>

#include "base/files.h"
#include "base/json.h"
#include "capabilities/session.h"
#include "testing/json.h"
#include "testing/process.h"

namespace kw {
namespace {

using testing::TestData;

using testing::TestPolicyHostCall;

json::value GetNamespace(std::string_view name) {
  return TestPolicyHostCall("kubernetes", "get_resource",
                  json::object{{"api_version", "v1"},
                               {"kind", "Namespace"},
                               {"name", name},
                               {"namespace", nullptr},
                               {"disable_cache", false}});
}

struct Outcome {
  testing::ProcessResult process;
  json::value response;
  bool allowed = false;
  std::string message;
};

Outcome KwctlRun(const std::string& policy, const json::value& settings,
            std::vector<std::string> extra) {
  std::vector<std::string> args = {"run", policy, "-r",
                                   testing::SourcePath("tests/data/requests/pod_plain.json"),
                                   "--settings-json", ToJson(settings)};
  args.insert(args.end(), extra.begin(), extra.end());
  Outcome o;
  o.process = testing::RunKwctl(args);
  if (o.process.exit_code != 0) return o;
  o.response = testing::J(o.process.out);
  if (const json::value* a = FindKey(o.response, "allowed"); a && a->is_bool()) {
    o.allowed = a->get_bool();
  }
  const json::value* status = FindKey(o.response, "status");
  if (const json::value* m = status ? FindKey(*status, "message") : nullptr; m && m->is_string()) {
    o.message = std::string(m->get_string());
  }
  return o;
}

// test_policy with metadata declaring the Namespace resources it reads, as a context-aware
// policy must (policy-server.md §4.c.3).
std::string ContextAwarePolicy() {
  std::string dir = testing::MakeTempDir();
  std::string metadata = dir + "/metadata.yml";
  EXPECT_TRUE(WriteFile(metadata,
                        "rules:\n"
                        "- apiGroups: [\"\"]\n  apiVersions: [\"v1\"]\n  resources: [\"pods\"]\n"
                        "  operations: [\"CREATE\"]\n"
                        "mutating: false\n"
                        "contextAwareResources:\n- apiVersion: v1\n  kind: Namespace\n"
                        "executionMode: kubewarden-wapc\n"));
  std::string out = dir + "/context_aware.wasm";
  auto a = testing::RunKwctl({"annotate", TestData("test_policy.wasm"), "-m", metadata, "-o", out});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  return out;
}

// A session as upstream's kwctl writes it: one get_resource of the `default` namespace.
std::string UpstreamSession() {
  return testing::SourcePath("tests/data/sessions/upstream_get_resource.yml");
}

constexpr std::string_view kRecordedNamespace =
    R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default","uid":"e3b0c442"}})";

TEST(KwctlSession, RecordsADnsLookupAndReplaysItWithoutTheResolver) {
  const std::string dir = testing::MakeTempDir();
  const std::string session_path = dir + "/session.yml";
  const json::value lookup = TestPolicyHostCall("net", "v1/dns_lookup_host", "localhost");

  auto recorded = KwctlRun(TestData("test_policy.wasm"), lookup,
                      {"--record-host-capabilities-interactions", session_path});
  ASSERT_EQ(recorded.process.exit_code, 0) << recorded.process.err;
  EXPECT_TRUE(recorded.allowed) << recorded.process.out;
  EXPECT_TRUE(testing::IsLocalhostLookup(recorded.message)) << recorded.message;

  auto text = ReadFile(session_path);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_TRUE(text->starts_with("- type: Exchange\n  request: |\n    !DNSLookupHost\n"
                                "    host: localhost\n  response:\n    type: Success\n"))
      << *text;
  auto session = capabilities::ParseSession(*text, session_path);
  ASSERT_TRUE(session) << session.error().message;
  ASSERT_EQ(session->size(), 1u);
  EXPECT_EQ((*session)[0].response.value_or(""), recorded.message);

  auto replayed = KwctlRun(TestData("test_policy.wasm"), lookup,
                      {"--replay-host-capabilities-interactions", session_path});
  ASSERT_EQ(replayed.process.exit_code, 0) << replayed.process.err;
  EXPECT_EQ(replayed.message, recorded.message);

  // The answer comes from the file, not from a resolver: an address no resolver gives for
  // localhost comes back as recorded.
  const std::string edited = dir + "/edited.yml";
  capabilities::Exchange exchange{(*session)[0].request, std::string(R"({"ips":["192.0.2.7"]})")};
  ASSERT_TRUE(WriteFile(edited, capabilities::ExchangeToYaml(exchange)));
  auto fake = KwctlRun(TestData("test_policy.wasm"), lookup,
                  {"--replay-host-capabilities-interactions", edited});
  ASSERT_EQ(fake.process.exit_code, 0) << fake.process.err;
  EXPECT_EQ(fake.message, R"({"ips":["192.0.2.7"]})");
}

TEST(KwctlSession, RecordsErrorsAsErrors) {
  const std::string session_path = testing::MakeTempDir() + "/session.yml";
  const json::value lookup =
      TestPolicyHostCall("net", "v1/dns_lookup_host", "nonexistent.invalid");
  auto recorded = KwctlRun(TestData("test_policy.wasm"), lookup,
                      {"--record-host-capabilities-interactions", session_path});
  ASSERT_EQ(recorded.process.exit_code, 0) << recorded.process.err;
  EXPECT_FALSE(recorded.allowed);

  auto replayed = KwctlRun(TestData("test_policy.wasm"), lookup,
                      {"--replay-host-capabilities-interactions", session_path});
  ASSERT_EQ(replayed.process.exit_code, 0) << replayed.process.err;
  EXPECT_FALSE(replayed.allowed);
  EXPECT_EQ(replayed.message, recorded.message);
  EXPECT_TRUE(replayed.message.starts_with("host error: DNS lookup of 'nonexistent.invalid'"))
      << replayed.message;
}

TEST(KwctlSession, ReplaysAnUpstreamSessionOfAKubernetesResource) {
  const std::string session_path = UpstreamSession();
  auto replayed = KwctlRun(ContextAwarePolicy(), GetNamespace("default"),
                      {"--allow-context-aware", "--replay-host-capabilities-interactions",
                       session_path});
  ASSERT_EQ(replayed.process.exit_code, 0) << replayed.process.err;
  EXPECT_TRUE(replayed.allowed) << replayed.process.out;
  EXPECT_EQ(replayed.message, kRecordedNamespace);
  EXPECT_EQ(replayed.process.err.find("not used"), std::string::npos) << replayed.process.err;
}

TEST(KwctlSession, AMismatchReachesThePolicyAndLeftoversAreReported) {
  const std::string session_path = UpstreamSession();
  auto replayed = KwctlRun(ContextAwarePolicy(), GetNamespace("kube-system"),
                      {"--allow-context-aware", "--replay-host-capabilities-interactions",
                       session_path});
  ASSERT_EQ(replayed.process.exit_code, 0) << replayed.process.err;
  EXPECT_FALSE(replayed.allowed);
  EXPECT_EQ(replayed.message,
            "host error: host capabilities replay: the session expected:\n"
            "!KubernetesGetResource\napi_version: v1\nkind: Namespace\nname: default\n"
            "namespace: null\ndisable_cache: false\n"
            "but the policy asked:\n"
            "!KubernetesGetResource\napi_version: v1\nkind: Namespace\nname: kube-system\n"
            "namespace: null\ndisable_cache: false\n");

  // A call the session never saw leaves its exchange unused, which kwctl reports at the end.
  auto other = KwctlRun(TestData("test_policy.wasm"),
                   TestPolicyHostCall("net", "v1/dns_lookup_host", "x"),
                   {"--replay-host-capabilities-interactions", session_path});
  ASSERT_EQ(other.process.exit_code, 0) << other.process.err;
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.process.err.find("not used"), std::string::npos) << other.process.err;

  auto unused = KwctlRun(TestData("test_policy.wasm"), json::object{},
                    {"--replay-host-capabilities-interactions", session_path});
  ASSERT_EQ(unused.process.exit_code, 0) << unused.process.err;
  EXPECT_NE(unused.process.err.find("1 recorded exchange(s) were not used"), std::string::npos)
      << unused.process.err;
}

TEST(KwctlSession, ACallPastTheEndOfTheSessionIsAWarning) {
  const std::string empty = testing::WriteTempFile("empty.yml", "[]\n");
  auto replayed = KwctlRun(ContextAwarePolicy(), GetNamespace("default"),
                           {"--allow-context-aware", "--replay-host-capabilities-interactions",
                            empty});
  ASSERT_EQ(replayed.process.exit_code, 0) << replayed.process.err;
  EXPECT_FALSE(replayed.allowed);
  EXPECT_TRUE(replayed.message.starts_with(
      "host error: host capabilities replay: the session has no more exchanges"))
      << replayed.message;
  EXPECT_NE(replayed.process.err.find("the session has no more exchanges"), std::string::npos)
      << replayed.process.err;
}

TEST(KwctlSession, BenchReplaysTheSessionForEveryIteration) {
  // Every iteration makes the session's one call: each must get the recorded answer, not the
  // "no more exchanges" of a session used up by the first.
  auto bench = testing::RunKwctl(
      {"bench", ContextAwarePolicy(), "-r",
       testing::SourcePath("tests/data/requests/pod_plain.json"), "--settings-json",
       ToJson(GetNamespace("default")), "--allow-context-aware",
       "--replay-host-capabilities-interactions", UpstreamSession(), "--warm-up-time", "0.05",
       "--measurement-time", "0.1", "--num-samples", "2"});
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_NE(bench.out.find("policy-from-cli/validate "), std::string::npos) << bench.out;
  EXPECT_EQ(bench.err.find("no more exchanges"), std::string::npos) << bench.err;
  EXPECT_EQ(bench.err.find("not used"), std::string::npos) << bench.err;
}

TEST(KwctlSession, RecordAndReplayAreMutuallyExclusive) {
  for (const char* command : {"run", "bench"}) {
    auto r = testing::RunKwctl({command, TestData("test_policy.wasm"), "-r",
                                testing::SourcePath("tests/data/requests/pod_plain.json"),
                                "--record-host-capabilities-interactions", "a.yml",
                                "--replay-host-capabilities-interactions", "b.yml"});
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
    EXPECT_NE(r.err.find("excludes"), std::string::npos) << r.err;
  }
}

TEST(KwctlSession, AMalformedSessionIsAnErrorAtStartUp) {
  const std::string session_path =
      testing::WriteTempFile("bad.yml", "- type: Exchange\n  request: \"!Nope\\nx: 1\\n\"\n");
  auto r = KwctlRun(TestData("test_policy.wasm"), json::object{},
               {"--replay-host-capabilities-interactions", session_path});
  EXPECT_EQ(r.process.exit_code, 1) << r.process.err;
  EXPECT_EQ(r.process.out, "");
  EXPECT_NE(r.process.err.find("Error: invalid host capabilities session " + session_path +
                               ": exchange 1: request: unknown request variant 'Nope'"),
            std::string::npos)
      << r.process.err;

  auto missing = KwctlRun(TestData("test_policy.wasm"), json::object{},
                     {"--replay-host-capabilities-interactions", session_path + ".none"});
  EXPECT_EQ(missing.process.exit_code, 1);
  EXPECT_NE(missing.process.err.find("cannot read the host capabilities session"),
            std::string::npos)
      << missing.process.err;
}

}  // namespace
}  // namespace kw
