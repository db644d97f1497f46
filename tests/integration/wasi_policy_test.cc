// WASI policies (executionMode: wasi) end to end: the real kwctl and policy-server binaries
// running C programs built with wasi-libc (tests/data/wasi). Asserts what a user sees: the
// AdmissionReview answers, the settings verdicts, and that a misbehaving program costs only its
// own evaluation.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "base/files.h"
#include "base/json.h"
#include "testing/json.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using namespace std::chrono_literals;
using testing::J;
using testing::KwctlBinary;
using testing::ProcessResult;
using testing::RunProcess;
using testing::SourcePath;
using testing::TestData;

constexpr std::string_view kPlainUid = "e7b8a2b0-4d7c-4b53-8a0f-0a2b9f0c1d11";
constexpr std::string_view kDenied =
    "Policy has not been granted access to the 'net/v1/dns_lookup_host' host capability. The "
    "violation has been reported.";

// What a waPC policy that runs out of time gets too.
json::value TimeoutStatus() {
  return J(R"({"message":"Policy execution interrupted because it exceeded the allowed )"
           R"(execution time","code":500})");
}

std::string Request(const std::string& name) { return SourcePath("tests/data/requests/" + name); }

std::string RequestText(const std::string& name) {
  auto text = ReadFile(Request(name));
  EXPECT_TRUE(text) << name;
  return text ? *text : "";
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = testing::MakeTempDir() + "/" + name;
  EXPECT_TRUE(WriteFile(path, content));
  return path;
}

ProcessResult Kwctl(std::vector<std::string> args) {
  args.insert(args.begin(), KwctlBinary());
  return RunProcess(args);
}

// `kwctl run -e wasi` of wasi_policy.wasm on pod_plain.json with `settings`.
ProcessResult RunWasi(const std::string& settings, std::vector<std::string> extra = {},
                      const std::string& request = "pod_plain.json") {
  std::vector<std::string> args = {"run", TestData("wasi_policy.wasm"), "-e", "wasi", "-r",
                                   Request(request), "--settings-json", settings};
  args.insert(args.end(), extra.begin(), extra.end());
  return Kwctl(std::move(args));
}

// The AdmissionResponse kwctl printed.
json::value Response(const ProcessResult& r) {
  auto v = ParseJson(r.out);
  EXPECT_TRUE(v) << "stdout: " << r.out << "\nstderr: " << r.err;
  return v ? *v : json::value();
}

// The policy's message for a successful dns_lookup_host of localhost.
bool IsLocalhostAnswer(std::string_view message) {
  constexpr std::string_view kSuccess = "host.call returned 0: ";
  return message.starts_with(kSuccess) &&
         testing::IsLocalhostLookup(message.substr(kSuccess.size()));
}

std::string Message(const ProcessResult& r) {
  json::value v = Response(r);
  const json::value* message = v.is_object() ? v.as_object().if_contains("status") : nullptr;
  if (message == nullptr || !message->is_object() || !message->as_object().contains("message")) {
    ADD_FAILURE() << "no status.message in " << r.out;
    return "";
  }
  return std::string(message->at("message").as_string());
}

// --- kwctl run -e wasi --------------------------------------------------------------------

TEST(WasiKwctlRun, AcceptsWithUpstreamResponseShape) {
  auto r = RunWasi("{}");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"uid\":\"e7b8a2b0-4d7c-4b53-8a0f-0a2b9f0c1d11\",\"allowed\":true,"
            "\"auditAnnotations\":null,\"warnings\":null}\n");
}

TEST(WasiKwctlRun, RejectsFromWhatItReadOnStdin) {
  auto r = RunWasi("{}", {}, "pod_privileged.json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = Response(r);
  EXPECT_EQ(v.at("uid"), "1299d386-525b-4032-98ae-1949f69f9cfc");
  EXPECT_EQ(v.at("allowed"), false);
  EXPECT_EQ(v.at("status").at("message"), "Privileged container is not allowed");
}

TEST(WasiKwctlRun, ProcExitZeroIsSuccess) {
  auto r = RunWasi(R"({"mode":"exit0"})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Response(r).at("allowed"), true);
}

TEST(WasiKwctlRun, NonZeroExitIsA500WithTheTrimmedStderr) {
  auto r = RunWasi(R"({"mode":"exit"})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = Response(r);
  EXPECT_EQ(v.at("allowed"), false);
  EXPECT_EQ(v.at("status"),
            J(R"({"message":"internal server error: the policy failed on purpose","code":500})"));
  // Non-empty stderr is logged at WARN.
  EXPECT_NE(r.err.find("the policy failed on purpose"), std::string::npos) << r.err;
}

TEST(WasiKwctlRun, TrapIsA500WithTheStderr) {
  auto r = RunWasi(R"({"mode":"trap"})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Message(r), "internal server error: about to trap");
}

TEST(WasiKwctlRun, UnparsableOutputIsA500) {
  auto r = RunWasi(R"({"mode":"garbage"})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string message = Message(r);
  EXPECT_TRUE(message.starts_with(
      "internal server error: Cannot deserialize policy validation response: "))
      << message;
}

TEST(WasiKwctlRun, ValidatesSettingsThroughValidateSettings) {
  auto invalid = RunWasi(R"({"mode":"invalid"})");
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_NE(invalid.err.find("Provided settings are not valid: the settings are invalid"),
            std::string::npos)
      << invalid.err;

  auto garbage = RunWasi(R"({"mode":"settings_garbage"})");
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_NE(garbage.err.find("Provided settings are not valid: Cannot deserialize settings "
                             "validation response: "),
            std::string::npos)
      << garbage.err;

  auto failing = RunWasi(R"({"mode":"settings_exit"})");
  EXPECT_EQ(failing.exit_code, 1);
  EXPECT_NE(failing.err.find("Provided settings are not valid: the settings made me exit\n"),
            std::string::npos)
      << failing.err;
}

TEST(WasiKwctlRun, HostCallAnswersArriveOnStdin) {
  auto log = RunWasi(R"({"mode":"log"})");
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_EQ(Message(log), "host.call returned 0: ");
  EXPECT_NE(log.err.find("hello from a WASI policy"), std::string::npos) << log.err;

  auto javy = RunWasi(R"({"mode":"javy_log"})");
  ASSERT_EQ(javy.exit_code, 0) << javy.err;
  EXPECT_EQ(Message(javy), "host.call returned 0: ");

  auto bad_binding = RunWasi(R"({"mode":"bad_binding"})");
  ASSERT_EQ(bad_binding.exit_code, 0) << bad_binding.err;
  EXPECT_EQ(Message(bad_binding), "host.call returned 1: unknown binding: nope");
}

TEST(WasiKwctlRun, HostCapabilitiesAreGated) {
  // Granted: the call passes the gate and localhost is looked up.
  auto granted = RunWasi(R"({"mode":"dns"})", {"--allowed-host-capabilities", "net/*"});
  ASSERT_EQ(granted.exit_code, 0) << granted.err;
  EXPECT_TRUE(IsLocalhostAnswer(Message(granted))) << Message(granted);

  auto denied = RunWasi(R"({"mode":"dns"})", {"--allowed-host-capabilities", "oci/*"});
  ASSERT_EQ(denied.exit_code, 0) << denied.err;
  EXPECT_EQ(Message(denied), "host.call returned 1: " + std::string(kDenied));
}

TEST(WasiKwctlRun, BusyLoopIsInterruptedAtTheDeadline) {
  auto start = std::chrono::steady_clock::now();
  auto r = RunWasi(R"({"mode":"loop"})", {"--policy-timeout", "0.3"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "the loop was not interrupted";
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Response(r).at("status"), TimeoutStatus());
}

TEST(WasiKwctlRun, HugeOutputIsCapped) {
  auto r = RunWasi(R"({"mode":"huge"})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value v = Response(r);
  EXPECT_EQ(v.at("allowed"), false);
  EXPECT_EQ(v.at("status").at("code"), 500);
  EXPECT_EQ(v.at("status").at("message"),
            "internal server error: the policy wrote more than 16777216 bytes to its standard "
            "output");
}

TEST(WasiKwctlRun, ClockSleepsReallyWait) {
  auto r = RunWasi(R"({"mode":"sleep"})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Response(r).at("allowed"), true) << r.out;
}

TEST(WasiKwctlRun, StdioFlagsAreKept) {
  auto r = RunWasi(R"({"mode":"nonblock"})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Response(r).at("allowed"), true) << r.out;
}

TEST(WasiKwctlRun, ModuleWithoutStartIsRefused) {
  auto r = Kwctl({"run", TestData("wasi_no_start.wasm"), "-e", "wasi", "-r",
                  Request("pod_plain.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("this module is not a WASI program: it exports no `_start` function"),
            std::string::npos)
      << r.err;
}

// --- policy-server ------------------------------------------------------------------------

// wasi_policy.wasm annotated with `executionMode: wasi`, as upstream policies ship: the server
// then picks the mode from the metadata.
std::string AnnotatedPolicy() {
  static const std::string path = [] {
    std::string metadata = WriteTemp("metadata.yml",
                                     "rules:\n"
                                     "  - apiGroups: [\"\"]\n"
                                     "    apiVersions: [\"v1\"]\n"
                                     "    resources: [\"pods\"]\n"
                                     "    operations: [\"CREATE\"]\n"
                                     "mutating: false\n"
                                     "executionMode: wasi\n");
    std::string out = testing::MakeTempDir() + "/wasi_policy.annotated.wasm";
    auto r = Kwctl({"annotate", TestData("wasi_policy.wasm"), "-m", metadata, "-o", out});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }();
  return path;
}

std::string PlainReview() { return "{\"request\":" + RequestText("pod_plain.json") + "}"; }

json::value Status(const testing::HttpResult& r) {
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200) << r.body;
  json::value v = J(r.body);
  const json::value* status = v.at("response").as_object().if_contains("status");
  return status ? *status : json::value();
}

TEST(WasiPolicyServer, EvaluatesWasiPolicies) {
  std::string p = AnnotatedPolicy();
  auto server = testing::PolicyServer::Start(
      "accept:\n  module: " + p + "\n"
      "failing:\n  module: " + p + "\n  settings: {mode: exit}\n"
      "log:\n  module: " + p + "\n  settings: {mode: log}\n"
      "granted:\n  module: " + p + "\n  settings: {mode: dns}\n  hostCapabilities: [\"net/*\"]\n"
      "denied:\n  module: " + p + "\n  settings: {mode: dns}\n");
  ASSERT_TRUE(server);

  auto accepted = server->Post("/validate/accept", PlainReview());
  ASSERT_TRUE(accepted.ok()) << accepted.error;
  EXPECT_EQ(J(accepted.body).at("response"),
            J("{\"uid\":\"" + std::string(kPlainUid) +
              "\",\"allowed\":true,\"auditAnnotations\":null,\"warnings\":null}"));

  auto rejected = server->Post("/validate/accept", RequestText("pod_privileged.json"));
  EXPECT_EQ(Status(rejected).at("message"), "Privileged container is not allowed");

  EXPECT_EQ(Status(server->Post("/validate/failing", PlainReview())),
            J(R"({"message":"internal server error: the policy failed on purpose","code":500})"));
  // tracing/log needs no grant.
  EXPECT_EQ(Status(server->Post("/validate/log", PlainReview())).at("message"),
            "host.call returned 0: ");
  // A granted call gets past the gate to the lookup, a denied one does not.
  std::string granted(Status(server->Post("/validate/granted", PlainReview())).at("message")
                          .as_string());
  EXPECT_TRUE(IsLocalhostAnswer(granted)) << granted;
  EXPECT_EQ(json::value_to<std::string>(
                Status(server->Post("/validate/denied", PlainReview())).at("message")),
            "host.call returned 1: " + std::string(kDenied));
}

TEST(WasiPolicyServer, InvalidSettingsAreRefusedAtStartUp) {
  std::string policies = WriteTemp(
      "policies.yml", "bad:\n  module: " + AnnotatedPolicy() + "\n  settings: {mode: invalid}\n");
  auto r = RunProcess({testing::PolicyServerBinary(), "--addr", "127.0.0.1", "--port",
                       std::to_string(testing::FreeLoopbackPort()), "--readiness-probe-port",
                       std::to_string(testing::FreeLoopbackPort()), "--policies", policies});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("the settings are invalid"), std::string::npos) << r.err;
}

TEST(WasiPolicyServer, LoopCostsOnlyItsTimeoutAndHugeOutputIsCapped) {
  std::string p = AnnotatedPolicy();
  auto server = testing::PolicyServer::Start(
      "loop:\n  module: " + p + "\n  settings: {mode: loop}\n  timeoutEvalSeconds: 2\n"
      "huge:\n  module: " + p + "\n  settings: {mode: huge}\n"
      "accept:\n  module: " + p + "\n");
  ASSERT_TRUE(server);
  std::atomic<bool> loop_done = false;
  testing::HttpResult loop;
  std::thread looping([&] {
    loop = server->Post("/validate/loop", PlainReview());
    loop_done = true;
  });
  // While one worker spins, the other keeps answering.
  for (int i = 0; i < 5; ++i) {
    auto r = server->Post("/validate/accept", PlainReview());
    EXPECT_EQ(J(r.body).at("response").at("allowed"), true) << r.body;
  }
  EXPECT_EQ(Status(server->Post("/validate/huge", PlainReview())),
            J(R"({"message":"internal server error: the policy wrote more than 16777216 bytes to )"
              R"(its standard output","code":500})"));
  EXPECT_FALSE(loop_done) << "the looping policy should still be running";
  looping.join();
  EXPECT_EQ(Status(loop),
            TimeoutStatus());
  // Both workers serve again, the interrupted one included.
  for (int i = 0; i < 4; ++i) {
    auto r = server->Post("/validate/accept", PlainReview());
    EXPECT_EQ(J(r.body).at("response").at("allowed"), true) << r.body;
  }
}

}  // namespace
}  // namespace kw
