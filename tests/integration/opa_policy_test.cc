// OPA and Gatekeeper policies (executionMode opa | gatekeeper): the OPA wasm ABI host on the real
// V8 engine, then the real kwctl and policy-server binaries. The guests are the hand-written OPA
// ABI modules of tests/data/opa (ABI 1.1 without opa_eval, 1.2 and 1.3 with it), since no Rego
// compiler is at hand; they follow OPA's docs/content/wasm.md.
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "admission/request.h"
#include "base/files.h"
#include "base/json.h"
#include "engine/v8/v8_engine.h"
#include "runtime/opa/opa_instance.h"
#include "runtime/runtime.h"
#include "testing/json.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using namespace std::chrono_literals;
using testing::J;
using testing::TestData;

// Compact on purpose: the test policies look for the text "privileged":true.
constexpr std::string_view kPrivilegedRequest =
    R"({"uid":"uid-privileged","kind":{"group":"","version":"v1","kind":"Pod"},)"
    R"("resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE",)"
    R"("userInfo":{"username":"alice"},"object":{"spec":{"containers":[{"name":"a",)"
    R"("securityContext":{"privileged":true}}]}}})";
constexpr std::string_view kPlainRequest =
    R"({"uid":"uid-plain","kind":{"group":"","version":"v1","kind":"Pod"},)"
    R"("resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE",)"
    R"("userInfo":{"username":"alice"},"object":{"spec":{"containers":[{"name":"a"}]}}})";

std::string Review(std::string_view request) {
  return "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":" +
         std::string(request) + "}";
}

admission::ValidationRequest Request(std::string_view request) {
  return admission::ParseAdmissionReview(Review(request)).value();
}

// --- the runtime on the V8 engine -------------------------------------------------------------

class OpaRuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine_ = engine::CreateV8Engine().value().release(); }
  void SetUp() override { worker_ = engine_->CreateWorker().value(); }

  Result<runtime::PolicyModuleSharedPtr> Load(const std::string& fixture,
                                              policy::ExecutionMode mode) {
    KW_ASSIGN_OR_RETURN(auto bytes, ReadBinaryFile(TestData(fixture)));
    return runtime::LoadPolicyModule(*engine_, bytes, mode);
  }

  runtime::PolicyRuntimePtr Runtime(const std::string& fixture, policy::ExecutionMode mode,
                                    std::string settings = "{}",
                                    std::chrono::milliseconds timeout = 5000ms) {
    auto module = Load(fixture, mode);
    EXPECT_TRUE(module) << module.error().message;
    if (!module) return nullptr;
    runtime::RuntimeOptions options;
    options.policy_id = fixture;
    options.timeout = timeout;
    options.settings_json = std::move(settings);
    auto rt = runtime::CreatePolicyRuntime(*worker_, *module, std::move(options));
    EXPECT_TRUE(rt) << rt.error().message;
    return rt ? std::move(*rt) : nullptr;
  }

  Result<std::unique_ptr<runtime::opa::OpaInstance>> Instance(const std::string& fixture,
                                                              std::string_view data = "{}") {
    KW_ASSIGN_OR_RETURN(auto module, Load(fixture, policy::ExecutionMode::kOpa));
    return runtime::opa::OpaInstance::Create(*worker_, module->module, fixture, data, {});
  }

  static engine::Engine* engine_;
  engine::WorkerPtr worker_;
};
engine::Engine* OpaRuntimeTest::engine_ = nullptr;

class OpaBothAbis : public OpaRuntimeTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(OpaBothAbis, RejectsPrivilegedPodsWithThePolicysResponseVerbatim) {
  auto rt = Runtime(GetParam(), policy::ExecutionMode::kOpa);
  ASSERT_TRUE(rt);
  for (int round = 0; round < 3; ++round) {  // the warm instance answers again and again
    auto denied = rt->Validate(Request(kPrivilegedRequest));
    ASSERT_TRUE(denied) << denied.error().message;
    EXPECT_EQ(denied->uid, "uid-privileged");  // not the policy's "set-by-policy"
    EXPECT_FALSE(denied->allowed);
    ASSERT_TRUE(denied->status);
    EXPECT_EQ(denied->status->message, "privileged containers are not allowed");
    EXPECT_EQ(denied->status->code, std::optional<std::uint16_t>(403));

    auto allowed = rt->Validate(Request(kPlainRequest));
    ASSERT_TRUE(allowed) << allowed.error().message;
    EXPECT_EQ(allowed->uid, "uid-plain");
    EXPECT_TRUE(allowed->allowed);
    EXPECT_FALSE(allowed->status);
    EXPECT_EQ(allowed->warnings, std::optional(std::vector<std::string>{"checked by opa"}));
    EXPECT_EQ(allowed->audit_annotations,
              std::optional(std::map<std::string, std::string>{{"opa", "yes"}}));
  }
}

TEST_P(OpaBothAbis, TheSettingsAreTheDataDocument) {
  auto rt = Runtime(GetParam(), policy::ExecutionMode::kOpa, R"({"allow_privileged":true})");
  ASSERT_TRUE(rt);
  auto r = rt->Validate(Request(kPrivilegedRequest));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->allowed);
  EXPECT_TRUE(rt->ValidateSettings().valid);
}

INSTANTIATE_TEST_SUITE_P(Abi, OpaBothAbis,
                         ::testing::Values("opa_privileged_v1_1.wasm", "opa_privileged_v1_3.wasm"));

TEST_F(OpaRuntimeTest, UsesOpaEvalFromAbi12AndTheContextCallsBefore) {
  auto old_abi = Instance("opa_privileged_v1_1.wasm");
  ASSERT_TRUE(old_abi) << old_abi.error().message;
  EXPECT_EQ((*old_abi)->abi_major(), 1);
  EXPECT_EQ((*old_abi)->abi_minor(), 1);
  EXPECT_FALSE((*old_abi)->uses_opa_eval());

  auto new_abi = Instance("opa_privileged_v1_3.wasm");
  ASSERT_TRUE(new_abi) << new_abi.error().message;
  EXPECT_EQ((*new_abi)->abi_minor(), 3);
  EXPECT_TRUE((*new_abi)->uses_opa_eval());

  // The OPA result set itself, as both paths return it.
  std::string input = "{\"request\":" + std::string(kPlainRequest) + "}";
  auto a = (*old_abi)->Evaluate(input, {});
  auto b = (*new_abi)->Evaluate(input, {});
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(J(*a).at(0).at("result").at("response").at("allowed"), true);
}

// Each evaluation of opa_alloc_v1_2 allocates 1 MiB, each of opa_privileged_v1_1 its input and
// eval context: without the heap being rewound, 1,000 evaluations would need 1 GiB (far above
// the 256 MiB cap) and memory would grow all along.
TEST_F(OpaRuntimeTest, MemoryDoesNotGrowAcrossEvaluations) {
  for (const char* fixture : {"opa_alloc_v1_2.wasm", "opa_privileged_v1_1.wasm"}) {
    auto instance = Instance(fixture);
    ASSERT_TRUE(instance) << fixture << ": " << instance.error().message;
    std::string input = "{\"request\":" + std::string(kPrivilegedRequest) + "}";
    ASSERT_TRUE((*instance)->Evaluate(input, {}));
    std::uint64_t after_first = (*instance)->memory_size();
    for (int i = 0; i < 1000; ++i) {
      auto r = (*instance)->Evaluate(input, {});
      ASSERT_TRUE(r) << fixture << " evaluation " << i << ": " << r.error().message;
    }
    EXPECT_EQ((*instance)->memory_size(), after_first) << fixture;
  }
}

TEST_F(OpaRuntimeTest, TheHostCreatesAtLeastFivePagesOfMemory) {
  auto instance = Instance("opa_privileged_v1_1.wasm");  // the module asks for 2
  ASSERT_TRUE(instance) << instance.error().message;
  EXPECT_GE((*instance)->memory_size(), 5u * 64 * 1024);
}

class OpaBuiltins : public OpaRuntimeTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(OpaBuiltins, CallsHostBuiltinsThroughOpaBuiltinN) {
  if (runtime::opa::FindBuiltin("hex.encode") == nullptr ||
      runtime::opa::FindBuiltin("sprintf") == nullptr) {
    GTEST_SKIP() << "the host builtins are not in this build yet";
  }
  auto rt = Runtime(GetParam(), policy::ExecutionMode::kOpa);
  ASSERT_TRUE(rt);
  for (int round = 0; round < 2; ++round) {
    auto r = rt->Validate(Request(kPlainRequest));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->allowed);
    ASSERT_TRUE(r->status);
    EXPECT_EQ(r->status->message, "6869");  // hex.encode("hi"), through opa_builtin1
    EXPECT_EQ(r->warnings, std::optional(std::vector<std::string>{"a-1"}));  // sprintf, builtin2
  }
}

INSTANTIATE_TEST_SUITE_P(Abi, OpaBuiltins,
                         ::testing::Values("opa_builtins_v1_1.wasm", "opa_builtins_v1_2.wasm"));

// A real `opa build -t wasm` module exports opa_value_dump/opa_value_parse: builtins then see
// sets as sets (OPA prints them {"a", "b"}, not as the JSON array ["a", "b"]) and set results
// go back as sets.
TEST_F(OpaRuntimeTest, BuiltinsExchangeRegoValueTextWhenTheModuleExportsIt) {
  auto rt = Runtime("opa_value_text_v1_2.wasm", policy::ExecutionMode::kOpa);
  ASSERT_TRUE(rt);
  auto r = rt->Validate(Request(kPlainRequest));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->allowed);
  ASSERT_TRUE(r->status);
  EXPECT_EQ(r->status->message, R"({"a", "b"})");  // sprintf("%v", [{"b", "a"}])
  EXPECT_EQ(r->warnings, std::optional(std::vector<std::string>{R"({"j", "k"})"}));  // object.keys, a set
}

TEST_F(OpaRuntimeTest, BuiltinFailuresFailTheEvaluation) {
  if (runtime::opa::FindBuiltin("hex.decode") == nullptr) {
    GTEST_SKIP() << "the host builtins are not in this build yet";
  }
  auto failing = Runtime("opa_builtin_error_v1_2.wasm", policy::ExecutionMode::kOpa);
  ASSERT_TRUE(failing);
  for (int round = 0; round < 2; ++round) {
    auto r = failing->Validate(Request(kPlainRequest));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("hex.decode: ", 0), 0u) << r.error().message;
  }

  auto undeclared = Runtime("opa_undeclared_builtin_v1_2.wasm", policy::ExecutionMode::kOpa);
  ASSERT_TRUE(undeclared);
  auto r = undeclared->Validate(Request(kPlainRequest));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kHostError);
  EXPECT_NE(r.error().message.find("builtin id 7, which it never declared"), std::string::npos)
      << r.error().message;
}

TEST_F(OpaRuntimeTest, AnUndefinedBuiltinResultReachesThePolicyAsANullAddress) {
  auto rt = Runtime("opa_undefined_builtin_v1_2.wasm", policy::ExecutionMode::kOpa);
  ASSERT_TRUE(rt);
  auto r = rt->Validate(Request(kPlainRequest));
  ASSERT_TRUE(r) << r.error().message;  // the module traps unless uuid.parse answered 0
}

TEST_F(OpaRuntimeTest, AnAbortFailsTheEvaluationAndTheNextOneStartsAfresh) {
  auto rt = Runtime("opa_abort_v1_2.wasm", policy::ExecutionMode::kOpa);
  ASSERT_TRUE(rt);
  for (int round = 0; round < 2; ++round) {
    auto r = rt->Validate(Request(kPlainRequest));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("boom: the policy gave up"), std::string::npos)
        << r.error().message;
  }
}

TEST_F(OpaRuntimeTest, ALoopingPolicyTimesOutAndTheWorkerKeepsServing) {
  auto rt = Runtime("opa_loop_v1_2.wasm", policy::ExecutionMode::kOpa, "{}", 200ms);
  ASSERT_TRUE(rt);
  auto r = rt->Validate(Request(kPlainRequest));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout) << r.error().message;

  auto other = Runtime("opa_privileged_v1_3.wasm", policy::ExecutionMode::kOpa);
  ASSERT_TRUE(other);
  auto ok = other->Validate(Request(kPrivilegedRequest));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_FALSE(ok->allowed);
}

TEST_F(OpaRuntimeTest, RefusesToLoadModulesWithoutTheAbi1Exports) {
  struct Case {
    const char* fixture;
    const char* message;
  };
  for (const Case& c : {
           Case{"opa_pre_1_0.wasm", "OPA wasm ABI versions before 1.0 are not supported"},
           Case{"test_policy.wasm", "does not implement the OPA wasm ABI 1.x"},  // a waPC policy
       }) {
    for (auto mode : {policy::ExecutionMode::kOpa, policy::ExecutionMode::kGatekeeper}) {
      auto module = Load(c.fixture, mode);
      ASSERT_FALSE(module) << c.fixture;
      EXPECT_EQ(module.error().kind, ErrorKind::kBadModule);
      EXPECT_NE(module.error().message.find(c.message), std::string::npos)
          << c.fixture << ": " << module.error().message;
    }
  }
}

TEST_F(OpaRuntimeTest, RefusesToRunModulesItCannotRunWithAClearMessage) {
  struct Case {
    const char* fixture;
    const char* message;
  };
  for (const Case& c : {
           Case{"opa_abi_2_0.wasm", "OPA wasm ABI version 2.0, and only 1.x is supported"},
           Case{"opa_unknown_builtin_v1_2.wasm", "`kubewarden.no_such_builtin`"},
       }) {
    auto rt = Runtime(c.fixture, policy::ExecutionMode::kOpa);
    ASSERT_TRUE(rt) << c.fixture;
    // Rego has no settings validation, but it is where a policy is first instantiated.
    auto settings = rt->ValidateSettings();
    EXPECT_FALSE(settings.valid) << c.fixture;
    EXPECT_NE(settings.message.value_or("").find(c.message), std::string::npos)
        << c.fixture << ": " << settings.message.value_or("");
    auto r = rt->Validate(Request(kPlainRequest));
    ASSERT_FALSE(r) << c.fixture;
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
  }
}

class GatekeeperBothAbis : public OpaRuntimeTest,
                           public ::testing::WithParamInterface<const char*> {};

TEST_P(GatekeeperBothAbis, JoinsTheViolationMessages) {
  auto rt = Runtime(GetParam(), policy::ExecutionMode::kGatekeeper);
  ASSERT_TRUE(rt);
  auto denied = rt->Validate(Request(kPrivilegedRequest));
  ASSERT_TRUE(denied) << denied.error().message;
  EXPECT_EQ(denied->uid, "uid-privileged");
  EXPECT_FALSE(denied->allowed);
  ASSERT_TRUE(denied->status);
  EXPECT_EQ(denied->status->message, "privileged container, second violation");
  EXPECT_FALSE(denied->status->code);

  auto allowed = rt->Validate(Request(kPlainRequest));
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_TRUE(allowed->allowed);
  EXPECT_FALSE(allowed->status);
}

TEST_P(GatekeeperBothAbis, TheSettingsAreTheParameters) {
  auto rt = Runtime(GetParam(), policy::ExecutionMode::kGatekeeper, R"({"deny_all":true})");
  ASSERT_TRUE(rt);
  auto r = rt->Validate(Request(kPlainRequest));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->allowed);
  EXPECT_EQ(r->status->message, "denied by parameters");
}

TEST_P(GatekeeperBothAbis, RefusesRawRequests) {
  auto rt = Runtime(GetParam(), policy::ExecutionMode::kGatekeeper);
  ASSERT_TRUE(rt);
  auto raw = admission::ParseRawReview(R"({"request":{"uid":"raw-1"}})");
  ASSERT_TRUE(raw) << raw.error().message;
  auto r = rt->Validate(*raw);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Gatekeeper does not support raw validation requests");
}

INSTANTIATE_TEST_SUITE_P(Abi, GatekeeperBothAbis,
                         ::testing::Values("gatekeeper_privileged_v1_1.wasm",
                                           "gatekeeper_privileged_v1_2.wasm"));

TEST_F(OpaRuntimeTest, AGatekeeperResultOfAnotherShapeCountsAsNoViolation) {
  // The OPA policy's result[0].result is an AdmissionReview object, not a list of violations:
  // upstream's deserialization fails and the request is allowed, even this privileged one.
  auto rt = Runtime("opa_privileged_v1_3.wasm", policy::ExecutionMode::kGatekeeper);
  ASSERT_TRUE(rt);
  auto r = rt->Validate(Request(kPrivilegedRequest));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->allowed);
  EXPECT_EQ(r->uid, "uid-privileged");
  EXPECT_FALSE(r->status);
}

TEST_F(OpaRuntimeTest, AnOpaResultWithoutAResponseCannotBeInterpreted) {
  // The Gatekeeper policy's result set has no result.response: read as an OPA policy, it is
  // not an answer.
  auto rt = Runtime("gatekeeper_privileged_v1_2.wasm", policy::ExecutionMode::kOpa);
  ASSERT_TRUE(rt);
  auto r = rt->Validate(Request(kPlainRequest));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "cannot interpret OPA policy result");
}

TEST(OpaCString, StopsAtTheMemoryEndAndAtTheCap) {
  struct FakeMemory final : engine::GuestMemory {
    std::string bytes;
    std::optional<std::span<std::uint8_t>> Span(std::uint32_t ptr, std::uint32_t len) override {
      if (std::uint64_t{ptr} + len > bytes.size()) return std::nullopt;
      return std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(bytes.data()) + ptr, len);
    }
    std::uint64_t Size() override { return bytes.size(); }
  } memory;
  memory.bytes = std::string("xhello\0world", 12);
  auto hello = runtime::opa::ReadCString(memory, 1, 100, "test");
  ASSERT_TRUE(hello) << hello.error().message;
  EXPECT_EQ(*hello, "hello");
  EXPECT_EQ(runtime::opa::ReadCString(memory, 1, 5, "test").value_or("?"), "hello");
  auto over_cap = runtime::opa::ReadCString(memory, 1, 4, "test");
  ASSERT_FALSE(over_cap);
  EXPECT_NE(over_cap.error().message.find("limit of 4 bytes"), std::string::npos);
  auto unterminated = runtime::opa::ReadCString(memory, 7, 100, "test");  // "world", no NUL
  ASSERT_FALSE(unterminated);
  EXPECT_NE(unterminated.error().message.find("not NUL-terminated"), std::string::npos);
  EXPECT_FALSE(runtime::opa::ReadCString(memory, 12, 100, "test"));
  EXPECT_FALSE(runtime::opa::ReadCString(memory, 0xffffffffu, 100, "test"));
}

// --- kwctl --------------------------------------------------------------------------------------

testing::ProcessResult Kwctl(std::vector<std::string> args) {
  args.insert(args.begin(), testing::KwctlBinary());
  return testing::RunProcess(args);
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = testing::MakeTempDir() + "/" + name;
  EXPECT_TRUE(WriteFile(path, content));
  return path;
}

TEST(OpaKwctl, RunsOpaAndGatekeeperPolicies) {
  std::string privileged = WriteTemp("privileged.json", std::string(kPrivilegedRequest));
  std::string plain = WriteTemp("plain.json", std::string(kPlainRequest));

  for (const char* fixture : {"opa_privileged_v1_1.wasm", "opa_privileged_v1_3.wasm"}) {
    auto denied = Kwctl({"run", TestData(fixture), "-e", "opa", "-r", privileged});
    ASSERT_EQ(denied.exit_code, 0) << denied.err;
    EXPECT_EQ(J(denied.out),
              J(R"({"uid":"uid-privileged","allowed":false,"status":{"message":"privileged containers are not allowed","code":403},"auditAnnotations":null,"warnings":null})"));
    auto allowed = Kwctl({"run", TestData(fixture), "-e", "opa", "-r", plain});
    ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
    EXPECT_EQ(J(allowed.out),
              J(R"({"uid":"uid-plain","allowed":true,"auditAnnotations":{"opa":"yes"},"warnings":["checked by opa"]})"));
    auto settings = Kwctl({"run", TestData(fixture), "-e", "opa", "-r", privileged,
                           "--settings-json", R"({"allow_privileged":true})"});
    ASSERT_EQ(settings.exit_code, 0) << settings.err;
    EXPECT_EQ(J(settings.out).at("allowed"), true);
  }

  auto gatekeeper = Kwctl({"run", TestData("gatekeeper_privileged_v1_2.wasm"), "-e",
                           "gatekeeper", "-r", privileged});
  ASSERT_EQ(gatekeeper.exit_code, 0) << gatekeeper.err;
  EXPECT_EQ(J(gatekeeper.out),
            J(R"({"uid":"uid-privileged","allowed":false,"status":{"message":"privileged container, second violation"},"auditAnnotations":null,"warnings":null})"));

  std::string raw = WriteTemp("raw.json", R"({"uid":"raw-1","user":"alice"})");
  auto raw_gatekeeper = Kwctl({"run", TestData("gatekeeper_privileged_v1_2.wasm"), "-e",
                               "gatekeeper", "-r", raw, "--raw"});
  ASSERT_EQ(raw_gatekeeper.exit_code, 0) << raw_gatekeeper.err;
  EXPECT_EQ(J(raw_gatekeeper.out).at("status"),
            J(R"({"message":"internal server error: Gatekeeper does not support raw validation requests","code":500})"));

  auto aborted = Kwctl({"run", TestData("opa_abort_v1_2.wasm"), "-e", "opa", "-r", plain});
  ASSERT_EQ(aborted.exit_code, 0) << aborted.err;
  EXPECT_EQ(J(aborted.out).at("allowed"), false);
  EXPECT_EQ(J(aborted.out).at("status").at("code"), 500);
  EXPECT_NE(J(aborted.out).at("status").at("message").as_string().find("boom: the policy gave up"),
            std::string::npos)
      << aborted.out;
}

TEST(OpaKwctl, ModulesItCannotRunAreErrorsNamingTheReason) {
  std::string plain = WriteTemp("plain.json", std::string(kPlainRequest));
  auto unknown = Kwctl({"run", TestData("opa_unknown_builtin_v1_2.wasm"), "-e", "opa", "-r", plain});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("`kubewarden.no_such_builtin`"), std::string::npos) << unknown.err;

  auto pre = Kwctl({"run", TestData("opa_pre_1_0.wasm"), "-e", "opa", "-r", plain});
  EXPECT_EQ(pre.exit_code, 1);
  EXPECT_NE(pre.err.find("cannot load policy " + TestData("opa_pre_1_0.wasm") +
                         ": the module does not implement the OPA wasm ABI 1.x: it exports no "
                         "`opa_wasm_abi_version` global (modules built for OPA wasm ABI "
                         "versions before 1.0 are not supported)"),
            std::string::npos)
      << pre.err;
}

// --- policy-server ------------------------------------------------------------------------------

std::string Annotated(const std::string& fixture, const std::string& mode) {
  return testing::AnnotatedRegoFixture(fixture, mode);
}

TEST(OpaPolicyServer, ServesOpaAndGatekeeperPolicies) {
  auto server = testing::PolicyServer::Start(
      "opa:\n  module: " + Annotated("opa_privileged_v1_3.wasm", "opa") + "\n"
      "opa-old:\n  module: " + Annotated("opa_privileged_v1_1.wasm", "opa") + "\n"
      "gatekeeper:\n  module: " + Annotated("gatekeeper_privileged_v1_2.wasm", "gatekeeper") + "\n"
      "gatekeeper-params:\n  module: " + Annotated("gatekeeper_privileged_v1_1.wasm", "gatekeeper") +
      "\n  settings: {deny_all: true}\n"
      "abort:\n  module: " + Annotated("opa_abort_v1_2.wasm", "opa") + "\n"
      "loop:\n  module: " + Annotated("opa_loop_v1_2.wasm", "opa") + "\n  timeoutEvalSeconds: 1\n");
  ASSERT_TRUE(server);

  for (const char* id : {"opa", "opa-old"}) {
    auto denied = server->Post(std::string("/validate/") + id, Review(kPrivilegedRequest));
    ASSERT_EQ(denied.status, 200) << denied.error << denied.body;
    EXPECT_EQ(J(denied.body).at("response"),
              J(R"({"uid":"uid-privileged","allowed":false,"status":{"message":"privileged containers are not allowed","code":403},"auditAnnotations":null,"warnings":null})"));
    auto allowed = server->Post(std::string("/validate/") + id, Review(kPlainRequest));
    EXPECT_EQ(J(allowed.body).at("response"),
              J(R"({"uid":"uid-plain","allowed":true,"auditAnnotations":{"opa":"yes"},"warnings":["checked by opa"]})"));
  }

  auto joined = server->Post("/validate/gatekeeper", Review(kPrivilegedRequest));
  EXPECT_EQ(J(joined.body).at("response").at("status"),
            J(R"({"message":"privileged container, second violation"})"));
  EXPECT_EQ(J(server->Post("/validate/gatekeeper", Review(kPlainRequest)).body)
                .at("response").at("allowed"),
            true);
  auto params = server->Post("/validate/gatekeeper-params", Review(kPlainRequest));
  EXPECT_EQ(J(params.body).at("response").at("status"), J(R"({"message":"denied by parameters"})"));

  auto raw = server->Post("/validate_raw/gatekeeper", R"({"request":{"uid":"raw-1"}})");
  EXPECT_EQ(raw.status, 200) << raw.body;
  EXPECT_EQ(J(raw.body).at("response"),
            J(R"({"uid":"raw-1","allowed":false,"status":{"message":"internal server error: Gatekeeper does not support raw validation requests","code":500},"auditAnnotations":null,"warnings":null})"));

  auto aborted = server->Post("/validate/abort", Review(kPlainRequest));
  EXPECT_EQ(J(aborted.body).at("response").at("status").at("code"), 500);
  EXPECT_NE(J(aborted.body).at("response").at("status").at("message").as_string().find(
                "boom: the policy gave up"),
            std::string::npos)
      << aborted.body;

  auto looped = server->Post("/validate/loop", Review(kPlainRequest));
  EXPECT_EQ(J(looped.body).at("response").at("status"),
            J(R"({"message":"Policy execution interrupted because it exceeded the allowed execution time","code":500})"));
  // Every worker keeps serving, the one interrupted included.
  for (int i = 0; i < 6; ++i) {
    auto again = server->Post("/validate/opa", Review(kPrivilegedRequest));
    EXPECT_EQ(J(again.body).at("response").at("allowed"), false) << again.body;
  }
}

TEST(OpaPolicyServer, AnUnknownBuiltinFailsStartUpNamingPolicyAndBuiltin) {
  std::string policies = WriteTemp(
      "policies.yml", "good:\n  module: " + Annotated("opa_privileged_v1_3.wasm", "opa") + "\n"
                      "needs-builtin:\n  module: " +
                          Annotated("opa_unknown_builtin_v1_2.wasm", "opa") + "\n");
  auto r = testing::RunProcess(
      {testing::PolicyServerBinary(), "--addr", "127.0.0.1", "--port",
       std::to_string(testing::FreeLoopbackPort()), "--readiness-probe-port",
       std::to_string(testing::FreeLoopbackPort()), "--policies", policies});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("policy 'needs-builtin'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`kubewarden.no_such_builtin`"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kw
