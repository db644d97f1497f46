// The waPC host on the real V8 engine, against hand-written guests: the protocol's happy paths
// and every way a hostile or broken guest can fail. Each failure must come back as a typed error
// and leave the worker able to evaluate again.
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "base/files.h"
#include "engine/v8/v8_engine.h"
#include "runtime/wapc/wapc_instance.h"
#include "testing/process.h"

namespace kw {
namespace {

using runtime::wapc::WapcInstance;
using runtime::wapc::WapcOptions;
using std::chrono::milliseconds;

constexpr std::uint32_t kTestMemoryPages = 2048;  // 128 MiB: above huge_response's 100 MiB

class WapcGuestTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = engine::CreateV8Engine({.max_memory_pages = kTestMemoryPages}).value().release();
  }

  void SetUp() override { worker_ = engine_->CreateWorker().value(); }

  Result<engine::ModuleSharedPtr> Compile(const std::string& fixture) {
    KW_ASSIGN_OR_RETURN(auto bytes, ReadBinaryFile(testing::TestData(fixture)));
    return engine_->Compile(bytes);
  }

  static engine::CallOptions Deadline(milliseconds ms = milliseconds(2000)) {
    return {.deadline = std::chrono::steady_clock::now() + ms};
  }

  Result<std::unique_ptr<WapcInstance>> Instantiate(const std::string& fixture) {
    KW_ASSIGN_OR_RETURN(auto module, Compile(fixture));
    WapcOptions options;
    options.policy_id = fixture;
    options.dispatcher = dispatcher_;
    options.capabilities = capabilities_;
    return WapcInstance::Create(*worker_, module, std::move(options), Deadline());
  }

  // Instantiates `fixture` and makes one call; returns its result (or the instantiation error).
  Result<std::string> CallOnce(const std::string& fixture, std::string_view payload = "{}",
                               milliseconds timeout = milliseconds(2000)) {
    KW_ASSIGN_OR_RETURN(auto instance, Instantiate(fixture));
    return instance->Call("validate", payload, Deadline(timeout));
  }

  void ExpectEchoStillWorks() {
    auto r = CallOnce("wapc_echo.wasm", "still alive");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, "still alive");
  }

  static engine::Engine* engine_;
  engine::WorkerPtr worker_;
  host::DispatcherSharedPtr dispatcher_ = std::make_shared<const host::Dispatcher>();
  std::shared_ptr<const host::HostCapabilities> capabilities_ =
      std::make_shared<const host::HostCapabilities>(host::HostCapabilities::DenyAll());
};

engine::Engine* WapcGuestTest::engine_ = nullptr;

TEST_F(WapcGuestTest, EchoesPayloadAcrossManyCalls) {
  auto instance = Instantiate("wapc_echo.wasm");
  ASSERT_TRUE(instance) << instance.error().message;
  for (int i = 0; i < 100; ++i) {
    std::string payload = "payload #" + std::to_string(i) + std::string(static_cast<std::size_t>(i * 37), 'x');
    auto r = (*instance)->Call("validate", payload, Deadline());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, payload);
  }
}

TEST_F(WapcGuestTest, HostCallReachesTheDispatcher) {
  auto ok = CallOnce("wapc_host_call.wasm",
                     "kubewarden\ntracing\nlog\n{\"level\":\"info\",\"message\":\"from guest\"}");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(*ok, "");

  auto denied = CallOnce("wapc_host_call.wasm", "kubewarden\noci\nv1/verify\n{}");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, ErrorKind::kGuestError);
  EXPECT_EQ(denied.error().message,
            "Guest call failure: Policy has not been granted access to the 'oci/v1/verify' host "
            "capability. The violation has been reported.");

  auto bad_binding = CallOnce("wapc_host_call.wasm", "elsewhere\ntracing\nlog\n{}");
  ASSERT_FALSE(bad_binding);
  EXPECT_EQ(bad_binding.error().message, "Guest call failure: unknown binding: elsewhere");
}

TEST_F(WapcGuestTest, ReportsGuestFailuresAsUpstreamWordsThem) {
  auto err = CallOnce("wapc_guest_error.wasm");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().kind, ErrorKind::kGuestError);
  EXPECT_EQ(err.error().message, "Guest call failure: boom from guest");

  auto silent = CallOnce("wapc_fail_silent.wasm");
  ASSERT_FALSE(silent);
  EXPECT_EQ(silent.error().message, "Guest call failure: No error message set for call failure");

  auto no_response = CallOnce("wapc_no_response.wasm");
  ASSERT_FALSE(no_response);
  EXPECT_EQ(no_response.error().message,
            "Guest call failure: No error message OR response set for call success");
}

TEST_F(WapcGuestTest, LinksWasiAndRunsInitializers) {
  auto r = CallOnce("wasi_imports.wasm", "abc");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "1abc");  // wapc_init ran after _start

  auto exit_zero = CallOnce("start_exit_zero.wasm", "fine");
  ASSERT_TRUE(exit_zero) << exit_zero.error().message;
  EXPECT_EQ(*exit_zero, "fine");

  auto exit_three = Instantiate("start_exit_nonzero.wasm");
  ASSERT_FALSE(exit_three);
  EXPECT_EQ(exit_three.error().kind, ErrorKind::kGuestExit);
  EXPECT_EQ(exit_three.error().exit_code, 3);
}

struct FailureCase {
  std::string fixture;
  ErrorKind kind;
  std::string message_part;
};

class WapcFailureTest : public WapcGuestTest, public ::testing::WithParamInterface<FailureCase> {};

TEST_P(WapcFailureTest, FailsWithTypedErrorAndWorkerSurvives) {
  const FailureCase& c = GetParam();
  auto r = CallOnce(c.fixture, "{}", milliseconds(300));
  ASSERT_FALSE(r) << c.fixture << " unexpectedly answered: " << r->substr(0, 200);
  EXPECT_EQ(r.error().kind, c.kind) << ErrorKindName(r.error().kind) << ": " << r.error().message;
  EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
  ExpectEchoStillWorks();
}

std::vector<FailureCase> FailureCases() {
  return {
      {"infinite_loop.wasm", ErrorKind::kTimeout, "deadline exceeded"},
      {"host_call_loop.wasm", ErrorKind::kTimeout, "deadline exceeded"},
      {"recursion.wasm", ErrorKind::kStackOverflow, "stack"},
      {"memory_grow_bomb.wasm", ErrorKind::kOutOfMemory, "out of memory"},
      {"trap.wasm", ErrorKind::kTrap, "unreachable"},
      {"divide_by_zero.wasm", ErrorKind::kTrap, "divide by zero"},
      {"huge_response.wasm", ErrorKind::kHostError, "__guest_response: 104857600 bytes"},
      {"oob_guest_request.wasm", ErrorKind::kHostError, "__guest_request"},
      {"oob_guest_response.wasm", ErrorKind::kHostError, "__guest_response"},
      {"oob_guest_error.wasm", ErrorKind::kHostError, "__guest_error"},
      {"oob_host_call.wasm", ErrorKind::kHostError, "__host_call"},
      {"oob_host_response.wasm", ErrorKind::kHostError, "__host_response"},
      {"oob_host_error.wasm", ErrorKind::kHostError, "__host_error"},
      {"oob_console_log.wasm", ErrorKind::kHostError, "__console_log"},
      {"missing_guest_call.wasm", ErrorKind::kBadModule, "__guest_call"},
      {"no_memory_export.wasm", ErrorKind::kBadModule, "memory"},
      {"unknown_import.wasm", ErrorKind::kBadModule, "env::mystery"},
      {"bad_signature_import.wasm", ErrorKind::kBadModule, "incompatible import type"},
      {"not_wasm.wasm", ErrorKind::kBadModule, "not a WebAssembly module"},
      // Instantiation runs the start function under the same deadline, stack limit and error
      // classification as a call.
      {"start_trap.wasm", ErrorKind::kTrap, "cannot instantiate the module: guest trapped"},
      {"start_infinite_loop.wasm", ErrorKind::kTimeout, "deadline exceeded"},
      {"start_recursion.wasm", ErrorKind::kStackOverflow, "stack"},
      // Declared sizes the host would allocate outside the memory cap.
      {"table_huge.wasm", ErrorKind::kBadModule,
       "the module declares 10000000 table entries, more than the limit of 1000000"},
      {"table_grow_bomb.wasm", ErrorKind::kTrap, "unreachable"},
  };
}

INSTANTIATE_TEST_SUITE_P(AllFailureModes, WapcFailureTest, ::testing::ValuesIn(FailureCases()),
                         [](const ::testing::TestParamInfo<FailureCase>& info) {
                           std::string name = info.param.fixture.substr(0, info.param.fixture.find('.'));
                           return name;
                         });

// The same worker goes through every failure, three times over, and keeps evaluating.
TEST_F(WapcGuestTest, SurvivesEveryFailureInARowAndKeepsEvaluating) {
  auto echo = Instantiate("wapc_echo.wasm");
  ASSERT_TRUE(echo);
  for (int round = 0; round < 3; ++round) {
    for (const auto& c : FailureCases()) {
      // Short deadlines for the loops only: under load, the memory bomb or the recursion may
      // take longer than 200 ms to reach their own failure, which would then be a timeout.
      auto r = CallOnce(c.fixture, "{}",
                        c.kind == ErrorKind::kTimeout ? milliseconds(200) : milliseconds(10000));
      ASSERT_FALSE(r) << c.fixture;
      EXPECT_EQ(r.error().kind, c.kind) << c.fixture << ": " << r.error().message;
      auto alive = (*echo)->Call("validate", "round " + std::to_string(round), Deadline());
      ASSERT_TRUE(alive) << "after " << c.fixture << ": " << alive.error().message;
      EXPECT_EQ(*alive, "round " + std::to_string(round));
    }
  }
}

TEST_F(WapcGuestTest, TimeoutInterruptsWithinItsDeadline) {
  auto instance = Instantiate("infinite_loop.wasm");
  ASSERT_TRUE(instance);
  auto start = std::chrono::steady_clock::now();
  auto r = (*instance)->Call("validate", "{}", Deadline(milliseconds(50)));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  // Not a timing assertion on speed: it only proves the call ended (a hang would block here).
  EXPECT_LT(elapsed, std::chrono::seconds(30));
}

}  // namespace
}  // namespace kw

namespace kw {
namespace {

// One compiled module, instantiated by two workers on two threads, evaluating concurrently.
TEST(WapcConcurrency, WorkersShareCompiledCode) {
  auto engine = engine::CreateV8Engine().value();
  auto bytes = ReadBinaryFile(testing::TestData("wapc_echo.wasm")).value();
  engine::ModuleSharedPtr module = engine->Compile(bytes).value();
  constexpr int kCallsPerThread = 2000;
  std::atomic<int> failures{0};
  auto work = [&](int id) {
    auto worker = engine->CreateWorker().value();
    auto instance = runtime::wapc::WapcInstance::Create(*worker, module, {}, {}).value();
    for (int i = 0; i < kCallsPerThread; ++i) {
      std::string payload = "thread " + std::to_string(id) + " call " + std::to_string(i);
      auto r = instance->Call("validate", payload,
                              {.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5)});
      if (!r || *r != payload) ++failures;
    }
  };
  std::thread a(work, 1), b(work, 2);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace kw
