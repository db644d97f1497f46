// The WASI policy runtime (executionMode: wasi) on the real V8 engine, through its public
// interface (runtime::CreatePolicyRuntime), with wasi_policy.wasm (tests/data/wasi): what the
// program receives, how its answers and failures are mapped, and the limits it runs under.
#include <chrono>

#include <gtest/gtest.h>

#include "admission/request.h"
#include "base/files.h"
#include "engine/v8/v8_engine.h"
#include "runtime/runtime.h"
#include "testing/process.h"

namespace kw {
namespace {

using namespace std::chrono_literals;

class WasiRuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine_ = engine::CreateV8Engine().value().release(); }

  void SetUp() override {
    worker_ = engine_->CreateWorker().value();
    auto dispatcher = std::make_shared<host::Dispatcher>();
    // A stand-in provider, so a granted call has an answer to append to stdin.
    dispatcher->Register("net", {"v1/dns_lookup_host"},
                         [](const host::CallContext&, std::string_view, std::string_view payload)
                             -> Result<std::string> {
                           if (payload != "\"localhost\"") {
                             return Fail(ErrorKind::kHostError, "unexpected payload");
                           }
                           return std::string(R"({"ips":["127.0.0.1"]})");
                         });
    dispatcher_ = std::move(dispatcher);
  }

  // The runtime of wasi_policy.wasm with `settings_json`, capped at `memory_pages`.
  runtime::PolicyRuntimePtr Runtime(const std::string& settings_json,
                                    std::chrono::milliseconds timeout = 5s,
                                    std::optional<std::uint32_t> memory_pages = std::nullopt,
                                    const std::string& fixture = "wasi_policy.wasm") {
    auto bytes = ReadBinaryFile(testing::TestData(fixture)).value();
    engine::CompileOptions compile;
    compile.max_memory_pages = memory_pages;
    auto module = runtime::LoadPolicyModule(*engine_, bytes, policy::ExecutionMode::kWasi, compile);
    EXPECT_TRUE(module) << module.error().message;
    runtime::RuntimeOptions options;
    options.policy_id = "wasi-test";
    options.capabilities = std::make_shared<const host::HostCapabilities>(
        host::HostCapabilities::Parse({"net/*"}).value());
    options.dispatcher = dispatcher_;
    options.timeout = timeout;
    options.settings_json = settings_json;
    auto rt = runtime::CreatePolicyRuntime(*worker_, std::move(*module), std::move(options));
    EXPECT_TRUE(rt) << rt.error().message;
    return std::move(*rt);
  }

  static admission::ValidationRequest Request(const std::string& name = "pod_plain.json") {
    auto body = ReadFile(testing::SourcePath("tests/data/requests/" + name)).value();
    auto review = body.find("\"request\"") == std::string::npos ? "{\"request\":" + body + "}"
                                                                : body;
    return admission::ParseAdmissionReview(review).value();
  }

  static std::string MessageOf(const admission::AdmissionResponse& r) {
    return r.status && r.status->message ? *r.status->message : "";
  }

  static inline engine::Engine* engine_ = nullptr;
  engine::WorkerPtr worker_;
  host::DispatcherSharedPtr dispatcher_;
};

TEST_F(WasiRuntimeTest, StdinCarriesTheSameValidatePayloadAsWapc) {
  const std::string settings = R"({"mode":"echo"})";
  auto rt = Runtime(settings);
  auto request = Request();
  auto r = rt->Validate(request);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->allowed);
  EXPECT_EQ(MessageOf(*r), admission::BuildValidatePayload(request, settings));
}

TEST_F(WasiRuntimeTest, ValidateSettingsReadsTheSettingsOnStdin) {
  const std::string settings = R"({"mode":"echo","other":[1,2]})";
  auto verdict = Runtime(settings)->ValidateSettings();
  EXPECT_FALSE(verdict.valid);
  EXPECT_EQ(verdict.message, settings);
}

TEST_F(WasiRuntimeTest, EveryCallRunsAFreshProgram) {
  auto rt = Runtime("{}");
  for (int i = 0; i < 3; ++i) {
    auto r = rt->Validate(Request());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->allowed);
    auto rejected = rt->Validate(Request("pod_privileged.json"));
    ASSERT_TRUE(rejected) << rejected.error().message;
    EXPECT_EQ(MessageOf(*rejected), "Privileged container is not allowed");
  }
}

TEST_F(WasiRuntimeTest, HostCallAnswerIsAppendedToStdin) {
  auto r = Runtime(R"({"mode":"dns"})")->Validate(Request());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(MessageOf(*r), R"(host.call returned 0: {"ips":["127.0.0.1"]})");
}

TEST_F(WasiRuntimeTest, FailuresCarryStderrAsGuestErrors) {
  auto exit = Runtime(R"({"mode":"exit"})")->Validate(Request());
  ASSERT_FALSE(exit);
  EXPECT_EQ(exit.error().kind, ErrorKind::kGuestError);
  EXPECT_EQ(exit.error().message, "the policy failed on purpose");

  auto garbage = Runtime(R"({"mode":"garbage"})")->Validate(Request());
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().kind, ErrorKind::kPolicyResponse);
  EXPECT_TRUE(
      garbage.error().message.starts_with("Cannot deserialize policy validation response: "))
      << garbage.error().message;

  auto settings = Runtime(R"({"mode":"settings_exit"})")->ValidateSettings();
  EXPECT_FALSE(settings.valid);
  EXPECT_EQ(settings.message, "the settings made me exit");
}

TEST_F(WasiRuntimeTest, OutOfBoundsHostCallAbortsTheProgram) {
  auto r = Runtime(R"({"mode":"oob_host_call"})")->Validate(Request());
  ASSERT_FALSE(r) << "the host let the guest pass an out-of-bounds payload";
  EXPECT_EQ(r.error().kind, ErrorKind::kHostError);
  EXPECT_NE(r.error().message.find("host.call (payload)"), std::string::npos)
      << r.error().message;
}

TEST_F(WasiRuntimeTest, MemoryIsCappedByTheModuleLimit) {
  // 16 MiB: the program sees malloc fail before it gets there, and says so on stderr.
  auto r = Runtime(R"({"mode":"memory_bomb"})", 10s, 256)->Validate(Request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kGuestError);
  EXPECT_TRUE(r.error().message.starts_with("malloc failed after ")) << r.error().message;
  int mib = std::atoi(r.error().message.c_str() + std::strlen("malloc failed after "));
  EXPECT_LT(mib, 16);
}

TEST_F(WasiRuntimeTest, DeadlineCutsBusyLoopsAndSleeps) {
  for (const char* mode : {"loop", "long_sleep"}) {
    auto rt = Runtime(std::string(R"({"mode":")") + mode + "\"}", 200ms);
    auto start = std::chrono::steady_clock::now();
    auto r = rt->Validate(Request());
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r) << mode;
    EXPECT_EQ(r.error().kind, ErrorKind::kTimeout) << mode << ": " << r.error().message;
    EXPECT_LT(elapsed, 10s) << mode;
  }
  // The worker runs the next program normally.
  auto r = Runtime("{}")->Validate(Request());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->allowed);
}

TEST_F(WasiRuntimeTest, PollOneoffReportsOnlyWhatIsReady) {
  // wasi_poll.wasm exits 7 or 8 when poll_oneoff reports a clock that has not fired.
  auto start = std::chrono::steady_clock::now();
  auto r = Runtime("{}", 5s, std::nullopt, "wasi_poll.wasm")->Validate(Request());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->allowed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(WasiRuntimeTest, HasNoProtocolVersion) {
  auto v = Runtime("{}")->ProtocolVersion();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::kUnimplemented);
}

TEST_F(WasiRuntimeTest, ProgramWithoutStartIsRefusedWhenLoaded) {
  auto bytes = ReadBinaryFile(testing::TestData("wasi_no_start.wasm")).value();
  auto module = runtime::LoadPolicyModule(*engine_, bytes, policy::ExecutionMode::kWasi);
  ASSERT_FALSE(module);
  EXPECT_EQ(module.error().kind, ErrorKind::kBadModule);
  EXPECT_EQ(module.error().message.find(
                "this module is not a WASI program: it exports no `_start` function."),
            0u)
      << module.error().message;
}

}  // namespace
}  // namespace kw
