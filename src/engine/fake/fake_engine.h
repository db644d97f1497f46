// A fake engine behind engine.h whose guests are native C++ objects, for fast unit tests of what
// sits on the engine (runtimes, evaluator, environment) without V8 -- like proxy-wasm-cpp-host's
// null VM.
//
// A test registers a GuestDefinition with the FakeEngine; Register returns the bytes of a real,
// minimal wasm module declaring the guest's imports, function exports and exported `memory`,
// plus a custom section `kubewarden-fake-guest` holding the guest's name. Those bytes go through
// the ordinary paths (wasm::Inspect sees real imports and exports; a metadata section can be
// appended with wasm::AppendCustomSection); Compile looks the name up and binds the module to
// the definition. Bytes without that section, or naming an unregistered guest, fail with
// kBadModule. Nothing in the module's function bodies is ever run (they are `unreachable`).
//
// What it honours of engine.h:
//   - Instantiate links every import through engine::ResolveFunctionImport (V8's messages);
//   - guest memory is bounds-checked, starts at the declared pages and grows up to the compile's
//     max_memory_pages; a definition declaring more initial pages than that fails Compile with
//     kOutOfMemory;
//   - a call whose deadline has passed fails with kTimeout before the guest runs, and so does
//     every import the guest calls after it; GuestContext::RunForever stands for an infinite loop
//     (kTimeout with a deadline, without sleeping);
//   - a host function's error aborts the call with that error, whatever the guest returns after;
//   - nested calls (a host function calling back into the instance) run under the outer deadline;
//   - a guest fails with any ErrorKind it chooses by returning it.
//
// What it does NOT emulate: wasm execution of any kind (no bytecode, JIT, tiering or traps from
// real instructions), stack limits (kStackOverflow only when a guest returns it), memory imports
// (a fake guest always defines and exports its memory), globals (GlobalI32 is always nullopt),
// start functions, and the code cache: Compile accepts CompileOptions::code_cache and never
// uses it (from_code_cache() is always false, WaitForCodeCacheWrites returns true at once).
//
// Thread-safety as engine.h: Register and Compile may race (the registry is locked); guests'
// state is per instance, created by the definition's `instantiate` on each Instantiate.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"

namespace kw::engine::fake {

inline constexpr std::string_view kGuestSectionName = "kubewarden-fake-guest";

// What a guest function sees while it runs.
class GuestContext {
 public:
  virtual ~GuestContext() = default;
  // The instance's linear memory (its exported `memory`).
  virtual GuestMemory& memory() = 0;
  // memory.grow: the previous size in pages, or nullopt (wasm's -1) past the memory cap.
  virtual std::optional<std::uint32_t> GrowMemory(std::uint32_t delta_pages) = 0;
  // Calls the host function linked to the guest's import `module.name` with `args`. Its error is
  // the call's error, whatever the guest does next (a guest should just return it).
  virtual HostResult CallImport(std::string_view module, std::string_view name,
                                std::span<const Value> args) = 0;
  // Stands for a loop that never ends: kTimeout when the call has a deadline (the watchdog would
  // have interrupted it), kInternal otherwise (the test would hang on a real engine).
  virtual Error RunForever() = 0;
};

// An exported function's body: args follow its declared params; the result must match its
// declared results. Returning an error fails the call with it.
using GuestFunction =
    std::function<Result<std::vector<Value>>(GuestContext& context, std::span<const Value> args)>;
// One instance's exported functions by name. Lambdas hold the instance's state.
using GuestExports = std::map<std::string, GuestFunction, std::less<>>;

struct GuestImport {
  std::string module;
  std::string name;
  FuncType type;
};

struct GuestDefinition {
  std::string name;  // unique within a FakeEngine
  std::vector<GuestImport> imports;
  std::map<std::string, FuncType> exports;  // function exports (plus `memory`, always)
  std::uint32_t memory_pages = 1;           // initial size of the exported memory
  // Called at each Instantiate: the bodies of the functions in `exports`, with fresh state.
  std::function<GuestExports()> instantiate;
};

class FakeEngine final : public Engine {
 public:
  explicit FakeEngine(EngineOptions options = {});
  ~FakeEngine() override;

  // Registers `definition` (replacing one of the same name) and returns the bytes of its module.
  std::vector<std::uint8_t> Register(GuestDefinition definition);

  Result<ModuleSharedPtr> Compile(std::span<const std::uint8_t> bytes,
                                  const CompileOptions& options = {}) const override;
  bool WaitForCodeCacheWrites(std::chrono::milliseconds timeout) const override;
  Result<WorkerPtr> CreateWorker() const override;
  const EngineOptions& options() const override { return options_; }

 private:
  EngineOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const GuestDefinition>, std::less<>> guests_;
};

}  // namespace kw::engine::fake
