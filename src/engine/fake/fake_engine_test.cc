#include "engine/fake/fake_engine.h"

#include <gtest/gtest.h>

#include "engine/fake/fake_wapc_guest.h"

namespace kw::engine::fake {
namespace {

constexpr ValType I32 = ValType::kI32;

std::vector<Value> I32s(std::initializer_list<std::int32_t> values) {
  std::vector<Value> out;
  for (std::int32_t v : values) out.push_back(Value::I32(v));
  return out;
}

// A guest importing env.log(ptr, len) and exporting:
//   say(len): writes `len` bytes of 'x' at 0 and logs them; returns 7 whatever log answered;
//   count(): how many times it was called in this instance;
//   grow(pages): memory.grow;
//   trap(): fails with kTrap; spin(): loops forever; again(): calls env.again (nested).
GuestDefinition LoggingGuest(std::uint32_t memory_pages = 1) {
  GuestDefinition d;
  d.name = "logging";
  d.memory_pages = memory_pages;
  d.imports = {{"env", "log", {{I32, I32}, {}}}};
  d.exports = {{"say", {{I32}, {I32}}},  {"count", {{}, {I32}}}, {"grow", {{I32}, {I32}}},
               {"trap", {{}, {}}},        {"spin", {{}, {}}}};
  d.instantiate = [] {
    auto calls = std::make_shared<int>(0);
    return GuestExports{
        {"say",
         [](GuestContext& c, std::span<const Value> a) -> Result<std::vector<Value>> {
           c.memory().Write(0, std::string(a[0].u32(), 'x'));
           (void)c.CallImport("env", "log", I32s({0, a[0].i32}));  // ignores the error on purpose
           return I32s({7});
         }},
        {"count",
         [calls](GuestContext&, std::span<const Value>) -> Result<std::vector<Value>> {
           return I32s({++*calls});
         }},
        {"grow",
         [](GuestContext& c, std::span<const Value> a) -> Result<std::vector<Value>> {
           auto old = c.GrowMemory(a[0].u32());
           return I32s({old ? static_cast<std::int32_t>(*old) : -1});
         }},
        {"trap",
         [](GuestContext&, std::span<const Value>) -> Result<std::vector<Value>> {
           return Fail(ErrorKind::kTrap, "unreachable");
         }},
        {"spin",
         [](GuestContext& c, std::span<const Value>) -> Result<std::vector<Value>> {
           return std::unexpected(c.RunForever());
         }},
    };
  };
  return d;
}

struct Host {
  HostFunctionTable table;
  std::string logged;
  Host() {
    auto log = [this](GuestMemory& m, std::span<const Value> a) -> HostResult {
      if (!m.Read(a[0].u32(), a[1].u32(), logged)) {
        return Fail(ErrorKind::kHostError, "log: out of bounds");
      }
      return std::optional<Value>();
    };
    table.Add({"env", "log", {{I32, I32}, {}}, log});
  }
};

struct Fixture {
  FakeEngine engine;
  std::vector<std::uint8_t> bytes = engine.Register(LoggingGuest());
  WorkerPtr worker = *engine.CreateWorker();
  Host host;
  InstancePtr Instantiate() {
    auto module = engine.Compile(bytes);
    EXPECT_TRUE(module) << module.error().message;
    auto instance = worker->Instantiate(*module, host.table);
    EXPECT_TRUE(instance) << instance.error().message;
    return std::move(*instance);
  }
};

TEST(FakeEngine, ModuleBytesAreRealWasmDeclaringTheGuest) {
  FakeEngine engine;
  auto bytes = engine.Register(LoggingGuest());
  auto info = wasm::Inspect(bytes);
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_EQ(info->imports.size(), 1u);
  EXPECT_EQ(info->imports[0].module, "env");
  EXPECT_EQ(info->imports[0].type, (FuncType{{I32, I32}, {}}));
  ASSERT_NE(info->FindExport("memory"), nullptr);
  EXPECT_EQ(info->FindExport("memory")->kind, wasm::ExternKind::kMemory);
  ASSERT_NE(info->FindExport("say"), nullptr);
  EXPECT_EQ(info->FindExport("say")->type, (FuncType{{I32}, {I32}}));

  // Other custom sections (a policy's metadata) do not get in the way.
  std::string payload = "{}";
  auto annotated = wasm::AppendCustomSection(
      bytes, "io.kubewarden.metadata",
      std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
  auto module = engine.Compile(annotated);
  ASSERT_TRUE(module) << module.error().message;
  EXPECT_FALSE((*module)->from_code_cache());
  EXPECT_EQ((*module)->max_memory_pages(), engine.options().max_memory_pages);
}

TEST(FakeEngine, CompileRefusesWhatItCannotRun) {
  FakeEngine engine;
  auto bytes = engine.Register(LoggingGuest());
  std::vector<std::uint8_t> not_wasm = {1, 2, 3};
  EXPECT_EQ(engine.Compile(not_wasm).error().kind, ErrorKind::kBadModule);
  auto unnamed = wasm::RemoveCustomSections(bytes, kGuestSectionName);
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(engine.Compile(*unnamed).error().kind, ErrorKind::kBadModule);
  FakeEngine other;
  auto unknown = other.Compile(bytes);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "no fake guest is registered as `logging`");

  auto big = engine.Register(LoggingGuest(10));
  auto capped = engine.Compile(big, {.max_memory_pages = 9, .code_cache = nullptr});
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().kind, ErrorKind::kOutOfMemory);
}

TEST(FakeEngine, LinkErrorsAreV8s) {
  Fixture f;
  auto module = f.engine.Compile(f.bytes);
  ASSERT_TRUE(module);
  HostFunctionTable empty;
  auto missing = f.worker->Instantiate(*module, empty);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kBadModule);
  EXPECT_EQ(missing.error().message, "unknown import: `env::log` has not been defined");

  HostFunctionTable mistyped;
  mistyped.Add({"env", "log", {{I32}, {I32}}, [](GuestMemory&, std::span<const Value>) {
                  return HostResult(std::optional<Value>(Value::I32(0)));
                }});
  auto wrong = f.worker->Instantiate(*module, mistyped);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message,
            "incompatible import type for `env::log`: the host provides (i32) -> (i32), the "
            "module expects (i32, i32) -> ()");
}

TEST(FakeEngine, HostFunctionsSeeTheGuestMemory) {
  Fixture f;
  InstancePtr instance = f.Instantiate();
  auto said = instance->Call("say", I32s({3}));
  ASSERT_TRUE(said) << said.error().message;
  EXPECT_EQ((*said)[0].i32, 7);
  EXPECT_EQ(f.host.logged, "xxx");
  EXPECT_EQ(instance->memory().Size(), 65536u);
  EXPECT_FALSE(instance->memory().Span(65535, 2));
  EXPECT_FALSE(instance->memory().Span(UINT32_MAX, 2));
  EXPECT_TRUE(instance->memory().Span(65535, 1));
}

TEST(FakeEngine, HostErrorsFailTheCallEvenWhenTheGuestIgnoresThem) {
  Fixture f;
  InstancePtr instance = f.Instantiate();
  auto said = instance->Call("say", I32s({70000}));  // log reads past the memory
  ASSERT_FALSE(said);
  EXPECT_EQ(said.error().kind, ErrorKind::kHostError);
  EXPECT_EQ(said.error().message, "log: out of bounds");
  // The instance stays callable.
  EXPECT_TRUE(instance->Call("say", I32s({1})));
}

TEST(FakeEngine, MemoryGrowsUpToTheCap) {
  Fixture f;
  auto module = f.engine.Compile(f.bytes, {.max_memory_pages = 3, .code_cache = nullptr});
  ASSERT_TRUE(module);
  auto instance = f.worker->Instantiate(*module, f.host.table);
  ASSERT_TRUE(instance);
  EXPECT_EQ((**instance).Call("grow", I32s({2}))->at(0).i32, 1);
  EXPECT_EQ((**instance).Call("grow", I32s({1}))->at(0).i32, -1);
  EXPECT_EQ((**instance).memory().Size(), 3u * 65536);
}

TEST(FakeEngine, GuestsFailWithTheKindTheyChoose) {
  Fixture f;
  InstancePtr instance = f.Instantiate();
  EXPECT_EQ(instance->Call("trap", {}).error().kind, ErrorKind::kTrap);
  EXPECT_EQ(instance->Call("nothing", {}).error().kind, ErrorKind::kNotFound);
  EXPECT_FALSE(instance->HasFunction("nothing"));
  EXPECT_TRUE(instance->HasFunction("trap"));
  EXPECT_EQ(instance->GlobalI32("anything"), std::nullopt);
}

TEST(FakeEngine, DeadlinesAreHonouredWithoutWaiting) {
  Fixture f;
  InstancePtr instance = f.Instantiate();
  CallOptions passed{.deadline = std::chrono::steady_clock::now()};
  EXPECT_EQ(instance->Call("count", {}, passed).error().kind, ErrorKind::kTimeout);
  CallOptions later{.deadline = std::chrono::steady_clock::now() + std::chrono::hours(1)};
  EXPECT_EQ(instance->Call("spin", {}, later).error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(instance->Call("spin", {}).error().kind, ErrorKind::kInternal);
}

TEST(FakeEngine, EachInstanceHasItsOwnState) {
  Fixture f;
  InstancePtr a = f.Instantiate();
  InstancePtr b = f.Instantiate();
  EXPECT_EQ(a->Call("count", {})->at(0).i32, 1);
  EXPECT_EQ(a->Call("count", {})->at(0).i32, 2);
  EXPECT_EQ(b->Call("count", {})->at(0).i32, 1);
}

TEST(FakeEngine, HostFunctionsMayCallBackIntoTheInstance) {
  FakeEngine engine;
  GuestDefinition d;
  d.name = "nested";
  d.imports = {{"env", "callback", {{}, {I32}}}};
  d.exports = {{"outer", {{}, {I32}}}, {"inner", {{}, {I32}}}};
  d.instantiate = [] {
    return GuestExports{
        {"outer",
         [](GuestContext& c, std::span<const Value>) -> Result<std::vector<Value>> {
           KW_ASSIGN_OR_RETURN(std::optional<Value> v, c.CallImport("env", "callback", {}));
           return std::vector<Value>{Value::I32(v->i32 + 1)};
         }},
        {"inner", [](GuestContext&, std::span<const Value>) -> Result<std::vector<Value>> {
           return I32s({41});
         }}};
  };
  auto module = engine.Compile(engine.Register(std::move(d)));
  ASSERT_TRUE(module);
  Instance* self = nullptr;
  HostFunctionTable table;
  auto callback = [&self](GuestMemory&, std::span<const Value>) -> HostResult {
    // The nested call's own deadline has passed, but the outer call's rules.
    CallOptions passed{.deadline = std::chrono::steady_clock::now()};
    KW_ASSIGN_OR_RETURN(std::vector<Value> r, self->Call("inner", {}, passed));
    return std::optional<Value>(r[0]);
  };
  table.Add({"env", "callback", {{}, {I32}}, callback});
  WorkerPtr worker = *engine.CreateWorker();
  auto instance = worker->Instantiate(*module, table);
  ASSERT_TRUE(instance);
  self = instance->get();
  CallOptions later{.deadline = std::chrono::steady_clock::now() + std::chrono::hours(1)};
  auto result = (**instance).Call("outer", {}, later);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ((*result)[0].i32, 42);
}

}  // namespace
}  // namespace kw::engine::fake
