// The V8 engine with modules that import their memory, export globals, or whose host functions
// call back into them: what the OPA wasm ABI needs from the engine.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "base/files.h"
#include "engine/v8/v8_engine.h"
#include "testing/module_writer.h"

namespace kw::engine {
namespace {

constexpr std::uint32_t kPage = 64 * 1024;

std::string Fixture(const std::string& name) {
  const char* dir = std::getenv("KW_TEST_DATA");
  return std::string(dir ? dir : "tests/data") + "/" + name;
}

class V8EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = CreateV8Engine({.max_memory_pages = 16}).value().release();
  }
  void SetUp() override { worker_ = engine_->CreateWorker().value(); }

  ModuleSharedPtr Compile(const std::string& fixture) {
    auto bytes = ReadBinaryFile(Fixture(fixture));
    EXPECT_TRUE(bytes) << bytes.error().message;
    auto module = engine_->Compile(*bytes);
    EXPECT_TRUE(module) << module.error().message;
    return module ? *module : nullptr;
  }

  // A linker whose `env.call_back` calls `instance->inner` (set once instantiated).
  HostFunctionTable CallBackLinker(InstancePtr* instance) {
    HostFunctionTable linker;
    linker.Add({"env", "call_back", FuncType{{}, {ValType::kI32}},
                [instance](GuestMemory&, std::span<const Value>) -> Result<std::optional<Value>> {
                  KW_ASSIGN_OR_RETURN(std::vector<Value> r, (*instance)->Call("inner", {}));
                  return std::optional<Value>(r.at(0));
                }});
    return linker;
  }

  static Engine* engine_;
  WorkerPtr worker_;
};
Engine* V8EngineTest::engine_ = nullptr;

TEST_F(V8EngineTest, ImportedMemoryIsCreatedWithTheLinkersMinimumAndTheModulesCap) {
  ModuleSharedPtr module = Compile("imported_memory.wasm");
  ASSERT_TRUE(module);
  InstancePtr instance;
  HostFunctionTable linker = CallBackLinker(&instance);
  linker.set_min_imported_memory_pages(5);
  auto created = worker_->Instantiate(module, linker);
  ASSERT_TRUE(created) << created.error().message;
  instance = std::move(*created);

  // 5 pages although the module asks for 1; the host sees the memory it does not export.
  EXPECT_EQ(instance->memory().Size(), 5u * kPage);
  auto size = instance->Call("size", {});
  ASSERT_TRUE(size);
  EXPECT_EQ(size->at(0).i32, 5);

  Value store[2] = {Value::I32(4 * kPage + 8), Value::I32(1234)};
  ASSERT_TRUE(instance->Call("store", store));
  auto bytes = instance->memory().Span(4 * kPage + 8, 4);
  ASSERT_TRUE(bytes);
  EXPECT_EQ((*bytes)[0] | ((*bytes)[1] << 8), 1234);
  EXPECT_FALSE(instance->memory().Span(5 * kPage - 2, 4));

  // Capped at the engine's 16 pages like a defined memory: growing past it fails in the guest.
  Value too_much[1] = {Value::I32(12)};
  auto refused = instance->Call("grow", too_much);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->at(0).i32, -1);
  Value to_cap[1] = {Value::I32(11)};
  auto grown = instance->Call("grow", to_cap);
  ASSERT_TRUE(grown);
  EXPECT_EQ(grown->at(0).i32, 5);
  // The host's view follows the grown memory.
  EXPECT_EQ(instance->memory().Size(), 16u * kPage);
  EXPECT_TRUE(instance->memory().Span(16 * kPage - 4, 4));
}

TEST_F(V8EngineTest, ImportedMemoryKeepsTheModulesMinimumAndNeverExceedsTheCap) {
  ModuleSharedPtr module = Compile("imported_memory.wasm");
  ASSERT_TRUE(module);
  InstancePtr instance;
  HostFunctionTable linker = CallBackLinker(&instance);
  auto plain = worker_->Instantiate(module, linker);  // no minimum asked: the module's 1 page
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ((*plain)->memory().Size(), 1u * kPage);

  linker.set_min_imported_memory_pages(1000);  // above the cap: the cap wins
  auto capped = worker_->Instantiate(module, linker);
  ASSERT_TRUE(capped) << capped.error().message;
  EXPECT_EQ((*capped)->memory().Size(), 16u * kPage);
}

TEST_F(V8EngineTest, ReadsExportedI32Globals) {
  ModuleSharedPtr module = Compile("imported_memory.wasm");
  ASSERT_TRUE(module);
  InstancePtr instance;
  HostFunctionTable linker = CallBackLinker(&instance);
  instance = worker_->Instantiate(module, linker).value();
  EXPECT_EQ(instance->GlobalI32("answer"), std::optional<std::int32_t>(42));
  EXPECT_EQ(instance->GlobalI32("counter"), std::optional<std::int32_t>(0));
  ASSERT_TRUE(instance->Call("bump", {}));
  EXPECT_EQ(instance->GlobalI32("counter"), std::optional<std::int32_t>(1));
  EXPECT_FALSE(instance->GlobalI32("wide"));     // an i64
  EXPECT_FALSE(instance->GlobalI32("size"));     // a function
  EXPECT_FALSE(instance->GlobalI32("missing"));
}

TEST_F(V8EngineTest, HostFunctionsCanCallBackIntoTheGuest) {
  ModuleSharedPtr module = Compile("imported_memory.wasm");
  ASSERT_TRUE(module);
  InstancePtr instance;
  HostFunctionTable linker = CallBackLinker(&instance);
  instance = worker_->Instantiate(module, linker).value();
  auto deadline = CallOptions{.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5)};
  auto r = instance->Call("outer", {}, deadline);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at(0).i32, 8);
}

TEST_F(V8EngineTest, ANestedCallDoesNotCancelTheOuterDeadline) {
  ModuleSharedPtr module = Compile("imported_memory.wasm");
  ASSERT_TRUE(module);
  InstancePtr instance;
  HostFunctionTable linker = CallBackLinker(&instance);
  instance = worker_->Instantiate(module, linker).value();
  auto deadline =
      CallOptions{.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200)};
  auto r = instance->Call("outer_then_spin", {}, deadline);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout) << r.error().message;

  // The worker is usable afterwards, nested calls included.
  InstancePtr again;
  HostFunctionTable linker2 = CallBackLinker(&again);
  again = worker_->Instantiate(module, linker2).value();
  auto ok = again->Call("outer", {});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->at(0).i32, 8);
}


// Hostile modules: whatever a module declares or runs at instantiation, the result is a typed
// error and the worker goes on serving.
class HostileModuleTest : public V8EngineTest {
 protected:
  ModuleSharedPtr CompileSpec(const wasm::ModuleSpec& spec) {
    auto module = engine_->Compile(wasm::WriteModule(spec));
    EXPECT_TRUE(module) << module.error().message;
    return module ? *module : nullptr;
  }
  static CallOptions Deadline(std::chrono::milliseconds in) {
    return {.deadline = std::chrono::steady_clock::now() + in};
  }
  void ExpectWorkerServes() {
    ModuleSharedPtr healthy = CompileSpec({});
    ASSERT_TRUE(healthy);
    auto instance = worker_->Instantiate(healthy, linker_, Deadline(std::chrono::seconds(5)));
    ASSERT_TRUE(instance) << instance.error().message;
    auto run = (*instance)->Call("run", {}, Deadline(std::chrono::seconds(5)));
    EXPECT_TRUE(run) << run.error().message;
  }
  HostFunctionTable linker_;
};

TEST_F(HostileModuleTest, StartFunctionFailuresAreTypedErrors) {
  struct Case {
    wasm::Body start;
    ErrorKind kind;
    std::string message;
  };
  const Case cases[] = {
      {wasm::Body::kTrap, ErrorKind::kTrap,
       "cannot instantiate the module: guest trapped: RuntimeError: unreachable"},
      {wasm::Body::kLoop, ErrorKind::kTimeout,
       "cannot instantiate the module: guest code interrupted, execution deadline exceeded"},
      {wasm::Body::kRecurse, ErrorKind::kStackOverflow,
       "cannot instantiate the module: guest stack overflow: RangeError: Maximum call stack size "
       "exceeded"},
  };
  for (const Case& c : cases) {
    ModuleSharedPtr module = CompileSpec({.start = c.start});
    ASSERT_TRUE(module);
    for (int attempt = 0; attempt < 3; ++attempt) {  // and again, as after a failed call
      auto instance = worker_->Instantiate(module, linker_, Deadline(std::chrono::milliseconds(100)));
      ASSERT_FALSE(instance);
      EXPECT_EQ(instance.error().kind, c.kind) << instance.error().message;
      EXPECT_EQ(instance.error().message, c.message);
    }
    ExpectWorkerServes();
  }
}

// A stack overflow is told by where V8 raised its RangeError, not by its text: the RangeError
// of an instance whose memory cannot be allocated comes from the JavaScript API, before the
// start function (which would overflow the stack) runs, and is no stack overflow.
TEST_F(HostileModuleTest, ARangeErrorOutsideGuestCodeIsNoStackOverflow) {
  // In a fresh process of its own, whose address space the test then limits.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ModuleSharedPtr module = CompileSpec({.start = wasm::Body::kRecurse});
  ASSERT_TRUE(module);
  auto instantiate_in_little_address_space = [&] {
    // What the process maps already plus 1 GiB: too little for the guard regions V8 reserves
    // around a wasm memory (8 GiB and more), enough for everything else.
    std::size_t pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    const rlim_t limit = pages * sysconf(_SC_PAGESIZE) + (rlim_t{1} << 30);
    const rlimit address_space{limit, limit};
    setrlimit(RLIMIT_AS, &address_space);
    auto instance = worker_->Instantiate(module, linker_, Deadline(std::chrono::seconds(5)));
    return !instance && instance.error().message.find("RangeError") != std::string::npos &&
           instance.error().kind != ErrorKind::kStackOverflow;
  };
  EXPECT_EXIT(std::exit(instantiate_in_little_address_space() ? 0 : 1),
              ::testing::ExitedWithCode(0), "");
}

TEST_F(HostileModuleTest, AStartFunctionThatFailsOnlyWhenInstantiatedAgain) {
  // The import the start function calls succeeds the first time only: as a policy whose
  // instance is replaced after a failed call, and whose start function then fails.
  int calls = 0;
  linker_.Add({"env", "f", FuncType{}, [&calls](GuestMemory&, std::span<const Value>) -> HostResult {
                 if (++calls == 2) return Fail(ErrorKind::kHostError, "second start refused");
                 return std::optional<Value>();
               }});
  ModuleSharedPtr module =
      CompileSpec({.imports = 1, .start = wasm::Body::kCallImport, .run_body = wasm::Body::kTrap});
  ASSERT_TRUE(module);
  auto first = worker_->Instantiate(module, linker_, Deadline(std::chrono::seconds(5)));
  ASSERT_TRUE(first) << first.error().message;
  auto run = (*first)->Call("run", {}, Deadline(std::chrono::seconds(5)));
  ASSERT_FALSE(run);  // a trap (reported as running out of memory this close to a 16-page cap)
  first->reset();

  auto second = worker_->Instantiate(module, linker_, Deadline(std::chrono::seconds(5)));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::kHostError);
  EXPECT_EQ(second.error().message, "cannot instantiate the module: second start refused");

  auto third = worker_->Instantiate(module, linker_, Deadline(std::chrono::seconds(5)));
  EXPECT_TRUE(third) << third.error().message;
  ExpectWorkerServes();
}

TEST_F(HostileModuleTest, DeclaredSizesOverTheLimitsAreRefusedAtCompileTime) {
  wasm::ModuleSpec spec;
  spec.tables = {{10'000'000, std::nullopt}};
  auto module = engine_->Compile(wasm::WriteModule(spec));
  ASSERT_FALSE(module);
  EXPECT_EQ(module.error().kind, ErrorKind::kBadModule);
  EXPECT_NE(module.error().message.find("10000000 table entries, more than the limit of 1000000"),
            std::string::npos)
      << module.error().message;
}

TEST_F(HostileModuleTest, TablesGrowOnlyUpToTheCap) {
  // table.grow answers -1 past the cap (here: the guest drops the answer and returns).
  ModuleSharedPtr module = CompileSpec({.tables = {{1, std::nullopt}},
                                        .run_body = wasm::Body::kGrowTable,
                                        .grow_amount = 10'000'000});
  ASSERT_TRUE(module);
  auto instance = worker_->Instantiate(module, linker_);
  ASSERT_TRUE(instance) << instance.error().message;
  for (int i = 0; i < 20; ++i) {
    auto run = (*instance)->Call("run", {}, Deadline(std::chrono::seconds(5)));
    ASSERT_TRUE(run) << run.error().message;
  }
  ExpectWorkerServes();
}

TEST_F(HostileModuleTest, ExhaustingTheWorkersHeapIsAnErrorThatPasses) {
  // Each instance is within every limit but costs ~40 MB of the worker's 64 MiB heap: the
  // second one cannot fit beside the first.
  ModuleSharedPtr module = CompileSpec({.tables = {{1'000'000, std::nullopt}},
                                        .elements = {{false, 0, 1'000'000}}});
  ASSERT_TRUE(module);
  std::vector<InstancePtr> live;
  std::optional<Error> refused;
  for (int i = 0; i < 4 && !refused; ++i) {
    auto instance = worker_->Instantiate(module, linker_, Deadline(std::chrono::seconds(20)));
    if (instance) {
      live.push_back(std::move(*instance));
    } else {
      refused = instance.error();
    }
  }
  ASSERT_TRUE(refused) << "four instances fit in the heap";
  EXPECT_EQ(refused->kind, ErrorKind::kOutOfMemory) << refused->message;
  EXPECT_NE(refused->message.find("JavaScript heap"), std::string::npos) << refused->message;

  // Once the instances are gone, their heap comes back and the limit with it.
  live.clear();
  auto again = worker_->Instantiate(module, linker_, Deadline(std::chrono::seconds(20)));
  EXPECT_TRUE(again) << again.error().message;
  again->reset();
  ExpectWorkerServes();
}

}  // namespace
}  // namespace kw::engine
