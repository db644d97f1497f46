// The WebAssembly engine, behind one interface.
//
// An Engine compiles wasm bytes into Modules. Engine and Module are immutable once created and
// safe to share across threads; compiled code is shared, never recompiled per thread.
//
// A Worker is an execution context bound to the thread that created it (for V8, an isolate). It
// instantiates Modules into Instances. A Worker and its Instances are *thread-compatible*: use them
// from their thread only. Create one Worker per thread that runs guests.
//
// Every guest call is bounded:
//   - in time: `CallOptions::deadline`; a watchdog interrupts infinite loops, deep recursion and
//     loops over host calls alike, and the call fails with kTimeout;
//   - in memory: each module's memory is capped when it is compiled (kOutOfMemory when a guest
//     traps at its cap, or when its initial memory is already above it);
//   - in stack: deep recursion fails with kStackOverflow.
//
// Compiled code can outlive the process: given a CodeCache, Compile loads the code a previous
// process stored for the same module instead of compiling it, and stores the optimized code of
// what it did compile. The cache is an optimisation only; whatever it holds, Compile's result
// behaves the same.
//
// Any guest failure comes back as a typed Error; the Worker stays usable afterwards. An Instance
// whose call failed may hold half-updated guest state: callers should discard it.
//
// A host function may call back into the exports of the instance that called it (the OPA ABI
// needs this: a builtin reads its arguments with the guest's opa_json_dump). Such a nested call
// runs under the outer call's deadline, whatever its own CallOptions say, and its failure is the
// host function's to report (returning it fails the outer call too).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "wasm/wasm_binary.h"

namespace kw::engine {

using wasm::FuncType;
using wasm::ValType;

// A wasm value as exchanged with the host (integers and floats only).
struct Value {
  ValType type = ValType::kI32;
  union {
    std::int32_t i32;
    std::int64_t i64;
    float f32;
    double f64;
  };
  Value() : i64(0) {}
  static Value I32(std::int32_t v) { Value x; x.type = ValType::kI32; x.i32 = v; return x; }
  static Value I64(std::int64_t v) { Value x; x.type = ValType::kI64; x.i64 = v; return x; }
  static Value F32(float v) { Value x; x.type = ValType::kF32; x.f32 = v; return x; }
  static Value F64(double v) { Value x; x.type = ValType::kF64; x.f64 = v; return x; }

  // An i32 read as unsigned: how guests pass addresses and lengths.
  std::uint32_t u32() const { return static_cast<std::uint32_t>(i32); }
};

// What a host function sees of the instance that called it: its linear memory (the one it
// exports as `memory`, else the one the host created for its memory import). Guest memory is
// untrusted; every access is bounds-checked and the view is valid only until the guest
// runs again (memory.grow may move it).
class GuestMemory {
 public:
  virtual ~GuestMemory() = default;
  // The bytes [ptr, ptr+len), or nullopt when out of bounds or when the instance has no memory.
  virtual std::optional<std::span<std::uint8_t>> Span(std::uint32_t ptr, std::uint32_t len) = 0;
  virtual std::uint64_t Size() = 0;

  // Copies guest bytes out / host bytes in; false when out of bounds.
  bool Read(std::uint32_t ptr, std::uint32_t len, std::string& out);
  bool Write(std::uint32_t ptr, std::span<const std::uint8_t> bytes);
  bool Write(std::uint32_t ptr, std::string_view bytes);
};

// A host function's body. `args` follow the import's declared parameter types. Returning an error
// aborts the guest call, which then fails with that error (its kind is kept, so kGuestExit from
// WASI proc_exit or kHostError from a bounds check reach the caller intact).
using HostResult = Result<std::optional<Value>>;  // no value for imports without results
using HostCallback = std::function<HostResult(GuestMemory& memory, std::span<const Value> args)>;

struct HostFunction {
  std::string module;
  std::string name;
  FuncType type;  // must match the guest's import exactly, or linking fails
  HostCallback callback;
};

// Resolves a module's imports when it is instantiated.
//
// Functions come from Find. A memory import (whatever its name) is satisfied by a memory the
// engine creates for the instance: initial size max(the import's declared minimum,
// MinImportedMemoryPages()) pages, capped at the module's memory cap like a defined memory.
// Table and global imports are refused.
class Linker {
 public:
  virtual ~Linker() = default;
  // Returns the host function for `module.name`, or nullptr when the host does not provide it.
  virtual const HostFunction* Find(std::string_view module, std::string_view name) const = 0;
  // The smallest initial size, in 64 KiB pages, of a memory the engine creates for a module
  // that imports its memory (OPA's host creates 5 pages). Never above the module's cap.
  virtual std::uint32_t MinImportedMemoryPages() const { return 0; }
};

// A Linker over a list of host functions: the usual way to provide imports.
class HostFunctionTable final : public Linker {
 public:
  // Adds (or replaces) `fn`.
  void Add(HostFunction fn);
  const HostFunction* Find(std::string_view module, std::string_view name) const override;
  std::size_t size() const { return functions_.size(); }
  std::uint32_t MinImportedMemoryPages() const override { return min_imported_memory_pages_; }
  void set_min_imported_memory_pages(std::uint32_t pages) { min_imported_memory_pages_ = pages; }

 private:
  std::vector<HostFunction> functions_;
  std::uint32_t min_imported_memory_pages_ = 0;
};

// Finds the host function for `import`, or fails with kBadModule naming it: an import that is
// not a function, one the linker does not provide, or one whose type differs from the host
// function's. Every engine links through this, so all report link errors in the same words.
// (Memory imports are the engine's to create; pass only the others.)
Result<const HostFunction*> ResolveFunctionImport(const Linker& linker,
                                                  const wasm::Import& import);

// A compiled module: immutable, shared across threads and workers.
class Module {
 public:
  virtual ~Module() = default;
  // Imports and exports. Custom sections are not kept (read them from the module bytes).
  virtual const wasm::ModuleInfo& info() const = 0;
  // The cap on an instance's linear memory, in 64 KiB pages.
  virtual std::uint32_t max_memory_pages() const = 0;
  // True when the code was loaded from CompileOptions::code_cache instead of being compiled.
  virtual bool from_code_cache() const = 0;
};
using ModuleSharedPtr = std::shared_ptr<const Module>;

struct CallOptions {
  // When the call is interrupted. nullopt = no deadline.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// A live instance. Thread-compatible; belongs to the Worker that created it, which must outlive it.
class Instance {
 public:
  virtual ~Instance() = default;
  // Calls exported function `name`. Fails with kNotFound when there is no such function export.
  virtual Result<std::vector<Value>> Call(std::string_view name, std::span<const Value> args,
                                          const CallOptions& options = {}) = 0;
  virtual bool HasFunction(std::string_view name) const = 0;
  // The current value of exported global `name` when it holds an i32 (the OPA ABI publishes its
  // version that way); nullopt when there is no such global export or its value is not an
  // integer (an i64, or a float that is not integral; an integral float reads as its value).
  virtual std::optional<std::int32_t> GlobalI32(std::string_view name) = 0;
  virtual GuestMemory& memory() = 0;
};
using InstancePtr = std::unique_ptr<Instance>;

// A per-thread execution context. Must be created, used and destroyed on one thread.
class Worker {
 public:
  virtual ~Worker() = default;
  // Instantiates `module`, resolving function imports through `linker` (which, with the host
  // functions it returns, must outlive the instance). Missing imports and imports whose type
  // does not match the host function fail with kBadModule, naming the import. A trap in the
  // module's start function fails like a call. Does not call `_start` or `_initialize`.
  virtual Result<InstancePtr> Instantiate(const ModuleSharedPtr& module, const Linker& linker,
                                          const CallOptions& options = {}) = 0;
  // A hint that instances were destroyed in numbers and their memory should go back to the
  // system now (V8 frees an instance's memory only when it collects garbage, which a worker
  // that runs no guest may never do). Costs a full collection: call it seldom.
  virtual void ReleaseMemory() {}
};
using WorkerPtr = std::unique_ptr<Worker>;

struct EngineOptions {
  // Default cap on each instance's linear memory, in 64 KiB pages (256 MiB).
  std::uint32_t max_memory_pages = 4096;
};

// Persistent storage for compiled code, consulted by Engine::Compile.
//
// Keys are chosen by the engine: lower-case hex strings that identify the module bytes and
// everything else that shapes the code (engine version, flags, memory cap), so one key names
// exactly one valid value. Values are opaque to the cache. Implementations must be thread-safe:
// Put is called from the engine's background threads, possibly after Compile has returned.
class CodeCache {
 public:
  virtual ~CodeCache() = default;
  // The value last stored under `key`, or nullopt when there is nothing usable (absent,
  // unreadable, damaged: all the same to the engine, which then compiles).
  virtual std::optional<std::vector<std::uint8_t>> Get(std::string_view key) = 0;
  // Stores `value` under `key`, replacing what was there. Failures are the cache's to report;
  // the engine carries on without it.
  virtual void Put(std::string_view key, std::span<const std::uint8_t> value) = 0;
};
using CodeCacheSharedPtr = std::shared_ptr<CodeCache>;

struct CompileOptions {
  // This module's memory cap in pages; nullopt = EngineOptions::max_memory_pages.
  std::optional<std::uint32_t> max_memory_pages;
  // Where compiled code is looked up before compiling, and where the module's optimized code is
  // stored once the engine has it (in the background, possibly after Compile returned; the
  // engine keeps the cache alive until then). nullptr = always compile, store nothing.
  CodeCacheSharedPtr code_cache;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Validates and compiles `bytes`, capping its memory. Thread-safe. Fails with kBadModule
  // (not wasm, invalid, uncappable memory) or kOutOfMemory (initial memory above the cap).
  // With a code cache, a valid entry for these bytes and options replaces compilation, and a
  // missing or unusable one is replaced by this compilation's optimized code.
  virtual Result<ModuleSharedPtr> Compile(std::span<const std::uint8_t> bytes,
                                          const CompileOptions& options = {}) const = 0;
  // Waits until every module compiled so far with a code cache has had its optimized code
  // stored, for at most `timeout`; false when some had not. Optimized code is produced in the
  // background after Compile returns, so a short-lived process (kwctl) calls this before
  // exiting, or it would never leave anything in the cache.
  virtual bool WaitForCodeCacheWrites(std::chrono::milliseconds timeout) const = 0;
  // Creates a Worker bound to the calling thread.
  virtual Result<WorkerPtr> CreateWorker() const = 0;
  virtual const EngineOptions& options() const = 0;
};

}  // namespace kw::engine
