// The V8 engine with modules that import their memory, export globals, or whose host functions
// call back into them: what the OPA wasm ABI needs from the engine.
#include <chrono>

#include <gtest/gtest.h>

#include "base/files.h"
#include "engine/v8/v8_engine.h"

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

}  // namespace
}  // namespace kw::engine
