// The host side of the OPA wasm ABI 1.x (OPA docs/content/wasm.md; policy-server.md §4.e.1): one
// live Rego policy compiled by `opa build -t wasm`, kept warm across evaluations.
//
// Imports provided (module `env`): `memory` (created by the host, at least 5 pages, capped like
// any module memory), `opa_abort`, `opa_println` and `opa_builtin0..4`, the last calling the
// host builtins of builtins.h by the name the module's `builtins()` map gives their id.
//
// Unlike upstream burrego, which instantiates afresh per evaluation, the instance stays warm:
// the data document is loaded once, the heap pointer is recorded after it, and every evaluation
// starts by restoring that heap pointer, so what an evaluation allocated is reclaimed and memory
// does not grow from one evaluation to the next. Modules of ABI 1.2 and later that export
// `opa_eval` are evaluated with that single call; older ones through the `opa_eval_ctx_*` calls.
//
// Guest memory and output are untrusted: every address is bounds-checked, NUL-terminated strings
// are looked for within the memory and within a size cap only, and dumps over the caps fail the
// evaluation with kHostError.
//
// Thread-compatible: use an instance from the thread of the Worker that created it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "runtime/opa/builtins.h"

namespace kw::runtime::opa {

struct OpaLimits {
  std::uint32_t max_result_bytes = 4 * 1024 * 1024;    // the result set's JSON dump
  std::uint32_t max_builtin_arg_bytes = 4 * 1024 * 1024;  // one builtin argument's dump
  std::uint32_t max_message_bytes = 64 * 1024;         // opa_abort / opa_println text
  std::uint32_t max_builtin_id = 4096;                 // ids in the builtins() map
};

// The smallest memory the host gives an OPA module, in pages (upstream creates 5).
inline constexpr std::uint32_t kMinMemoryPages = 5;

class OpaInstance {
 public:
  // Instantiates `module` and loads `data_json` (one JSON value) as its data document.
  // Fails with kBadModule when the module does not implement the OPA wasm ABI 1.x (pre-1.0
  // modules, which publish no `opa_wasm_abi_version`, included), or when its builtins() lists a
  // builtin the host does not implement (naming it: upstream's MissingRegoBuiltins), and with
  // the engine's errors otherwise.
  static Result<std::unique_ptr<OpaInstance>> Create(engine::Worker& worker,
                                                     const engine::ModuleSharedPtr& module,
                                                     std::string policy_id,
                                                     std::string_view data_json,
                                                     const engine::CallOptions& call_options,
                                                     OpaLimits limits = {});

  // Evaluates entrypoint 0 (as upstream does) with `input_json` (one JSON value) as input and
  // returns the result set's JSON text, e.g. `[{"result": ...}]`. After any error the instance
  // should be discarded.
  Result<std::string> Evaluate(std::string_view input_json,
                               const engine::CallOptions& call_options);

  // Replaces the data document (a context-aware policy's cluster inventory changed). After an
  // error the instance should be discarded.
  Result<void> ReplaceData(std::string_view data_json, const engine::CallOptions& call_options);

  std::int32_t abi_major() const { return abi_major_; }
  std::int32_t abi_minor() const { return abi_minor_; }
  // Whether evaluations go through `opa_eval` (ABI 1.2+) rather than the ctx calls.
  bool uses_opa_eval() const { return use_opa_eval_; }
  // The guest's linear memory size in bytes (to check it does not grow per evaluation).
  std::uint64_t memory_size() { return instance_->memory().Size(); }

 private:
  OpaInstance(std::string policy_id, OpaLimits limits)
      : policy_id_(std::move(policy_id)), limits_(limits) {}
  void AddImports();
  Result<void> LoadBuiltins(const engine::CallOptions& call_options);
  Result<void> LoadData(std::string_view data_json, const engine::CallOptions& call_options);

  // One i32 export call, with the guest's answer.
  Result<std::int32_t> CallI32(std::string_view name, std::span<const engine::Value> args,
                               const engine::CallOptions& call_options);
  Result<void> CallVoid(std::string_view name, std::span<const engine::Value> args,
                        const engine::CallOptions& call_options);
  // Copies `json` into guest memory and parses it there; returns the value's address.
  Result<std::uint32_t> PushJson(std::string_view json, const engine::CallOptions& call_options);
  // The same through the guest's `parser` (opa_json_parse or opa_value_parse).
  Result<std::uint32_t> PushText(std::string_view text, std::string_view parser,
                                 const engine::CallOptions& call_options);
  // The JSON text of the guest value at `value_addr` (opa_json_dump), at most `cap` bytes.
  Result<std::string> DumpJson(std::uint32_t value_addr, std::uint32_t cap,
                               const engine::CallOptions& call_options);
  // The host side of opa_builtinN.
  engine::HostResult CallBuiltin(std::span<const engine::Value> args);

  std::string policy_id_;
  OpaLimits limits_;
  std::int32_t abi_major_ = 0;
  std::int32_t abi_minor_ = 0;
  bool use_opa_eval_ = false;
  bool has_value_dump_ = false;   // builtin arguments read as Rego value text
  bool has_value_parse_ = false;  // builtin results handed back as Rego value text
  std::vector<Builtin> builtins_;            // by builtin id
  std::vector<std::string> builtin_names_;   // by builtin id, for error messages
  BuiltinContext builtin_context_;           // of the evaluation under way
  std::uint32_t base_heap_ptr_ = 0;  // the heap top before the data document
  std::uint32_t data_addr_ = 0;
  std::uint32_t data_heap_ptr_ = 0;          // the heap top after the data document
  engine::HostFunctionTable imports_;
  engine::InstancePtr instance_;  // declared last: destroyed first, before what it calls into
};

// The checks that need only the module's imports and exports: it publishes its ABI version
// (pre-1.0 modules do not), exports what every OPA 1.x module exports, and imports or exports
// its memory. kBadModule otherwise, saying what is missing. Create() runs them too; policy
// loading runs them early so that such a module fails to load rather than to run.
Result<void> CheckOpaModule(const wasm::ModuleInfo& info);

// Reads the NUL-terminated string at `addr`: at most `cap` bytes before the NUL, which must lie
// inside the memory. kHostError otherwise, naming `what`.
Result<std::string> ReadCString(engine::GuestMemory& memory, std::uint32_t addr,
                                std::uint32_t cap, std::string_view what);

}  // namespace kw::runtime::opa
