// Structurally valid modules with hostile declared sizes and start functions, compiled and
// instantiated on the real V8 engine under the limits a policy gets: the input picks table sizes
// (up to 2^32-1), element and data segments, globals, imports, exports, memory limits and what
// the start and `run` functions do (trap, loop, recurse, grow memory or tables). Whatever it
// picks, the process must survive (a fatal V8 error aborts the fuzzer), every failure must be a
// typed error other than kInternal, and a few instances stay alive between inputs so that their
// host-side objects add up in the worker's heap as a policy server's would.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <deque>

#include <fuzzer/FuzzedDataProvider.h>

#include "engine/v8/v8_engine.h"
#include "testing/module_writer.h"

namespace {

using kw::ErrorKind;
using namespace kw::engine;
namespace wasm = kw::wasm;

// A count drawn towards the interesting places: nothing, a little, around `limit` (the host's
// cap for it), any size up to it, or far beyond when `materialized` is false (the count is one
// number in the module, not that many entries to write). "Any size" is log-uniform: drawn
// uniformly, nearly every count would be in the top half of the range, and nearly every input
// would pay for a near-limit module (up to half a second under ASan), which the third case
// already tries.
std::uint32_t HostileCount(FuzzedDataProvider& in, std::uint32_t limit, bool materialized) {
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: return 0;
    case 1: return in.ConsumeIntegralInRange<std::uint32_t>(1, 16);
    case 2: return limit - 1 + in.ConsumeIntegralInRange<std::uint32_t>(0, 2);
    case 3: break;
    default:
      if (!materialized) return in.ConsumeIntegral<std::uint32_t>();
      break;
  }
  const int bits = in.ConsumeIntegralInRange<int>(0, std::bit_width(limit));
  const std::uint64_t below = std::min<std::uint64_t>(limit, (std::uint64_t{1} << bits) - 1);
  return in.ConsumeIntegralInRange<std::uint32_t>(0, static_cast<std::uint32_t>(below));
}

wasm::Body PickBody(FuzzedDataProvider& in, const wasm::ModuleSpec& spec) {
  auto body = static_cast<wasm::Body>(in.ConsumeIntegralInRange<int>(0, 6));
  // Keep the module valid: these need something to act on.
  if (body == wasm::Body::kGrowTable && spec.tables.empty()) return wasm::Body::kGrowMemory;
  if (body == wasm::Body::kCallImport && spec.imports == 0) return wasm::Body::kTrap;
  return body;
}

wasm::ModuleSpec PickModule(FuzzedDataProvider& in) {
  const wasm::DeclaredSizeLimits limits;
  wasm::ModuleSpec spec;
  spec.memory_min = HostileCount(in, 16, false) % 65537;
  if (in.ConsumeBool()) spec.memory_max = std::max(spec.memory_min, HostileCount(in, 16, false) % 65537);
  for (int i = in.ConsumeIntegralInRange<int>(0, 3); i > 0; --i) {
    wasm::TableSpec t;
    t.min = HostileCount(in, static_cast<std::uint32_t>(limits.table_entries), false);
    if (in.ConsumeBool()) t.max = std::max(t.min, in.ConsumeIntegral<std::uint32_t>());
    spec.tables.push_back(t);
  }
  spec.imports = in.ConsumeBool() ? HostileCount(in, static_cast<std::uint32_t>(limits.imports), true) : 0;
  spec.exports = in.ConsumeBool() ? HostileCount(in, static_cast<std::uint32_t>(limits.exports), true) : 0;
  spec.globals = in.ConsumeBool() ? HostileCount(in, static_cast<std::uint32_t>(limits.globals), true) : 0;
  for (int i = in.ConsumeIntegralInRange<int>(0, 2); i > 0; --i) {
    wasm::ElementSpec e;
    e.passive = spec.tables.empty() || in.ConsumeBool();
    e.offset = in.ConsumeIntegral<std::uint32_t>() % 4 == 0 ? in.ConsumeIntegral<std::uint32_t>() : 0;
    e.entries = HostileCount(in, static_cast<std::uint32_t>(limits.element_entries) / 2, true);
    spec.elements.push_back(e);
  }
  for (int i = in.ConsumeIntegralInRange<int>(0, 3); i > 0; --i) {
    wasm::DataSpec d;
    d.offset = in.ConsumeBool() ? in.ConsumeIntegral<std::uint32_t>() : in.ConsumeIntegralInRange<std::uint32_t>(0, 70'000);
    d.size = in.ConsumeIntegralInRange<std::uint32_t>(0, 70'000);
    spec.data.push_back(d);
  }
  if (in.ConsumeBool()) spec.start = PickBody(in, spec);
  spec.run_body = PickBody(in, spec);
  spec.grow_amount = in.ConsumeBool() ? in.ConsumeIntegral<std::uint32_t>()
                                      : in.ConsumeIntegralInRange<std::uint32_t>(0, 2'000'000);
  return spec;
}

CallOptions Deadline() {
  return {.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50)};
}

void ExpectTyped(const kw::Error& error) {
  if (error.kind == ErrorKind::kInternal) __builtin_trap();
}

}  // namespace

// V8 frees what it allocates for an instance when its heap is next collected, or keeps it in
// caches for the life of the process: to LeakSanitizer, all of that looks leaked.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One engine and one worker for the whole run, as in a server; 16 pages of memory per
  // instance keep the fuzzer's own footprint small.
  static auto* engine = CreateV8Engine({.max_memory_pages = 16}).value().release();
  static auto* worker = engine->CreateWorker().value().release();
  static auto* linker = [] {
    auto* table = new HostFunctionTable();
    table->Add({"env", "f", FuncType{}, [](GuestMemory&, std::span<const Value>) -> HostResult {
                  return std::optional<Value>();
                }});
    return table;
  }();
  static std::deque<InstancePtr> live;

  FuzzedDataProvider in(data, size);
  const wasm::ModuleSpec spec = PickModule(in);
  auto module = engine->Compile(wasm::WriteModule(spec));
  if (!module) {
    ExpectTyped(module.error());
    return 0;
  }
  auto instance = worker->Instantiate(*module, *linker, Deadline());
  if (!instance) {
    ExpectTyped(instance.error());
    return 0;
  }
  auto run = (*instance)->Call("run", {}, Deadline());
  if (!run) {
    ExpectTyped(run.error());
    return 0;  // a failed instance is discarded, as the runtimes do
  }
  live.push_back(std::move(*instance));
  if (live.size() > 3) live.pop_front();
  return 0;
}
