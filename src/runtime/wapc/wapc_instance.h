// The waPC host: one live waPC guest and the protocol state of its calls.
//
// Implements the nine `wapc` imports (policy-server.md §4.a) plus WASI preview1 (stdio forwarded
// to the log, no args, no env, no files), which TinyGo, Rust and AssemblyScript waPC guests
// import. Creating an instance runs the guest's initializers: `_initialize` (WASI reactors),
// `_start` (a proc_exit(0) inside it is fine, any other exit code fails) and `wapc_init`.
//
// Every pointer and length the guest hands over is bounds-checked, and every size is capped
// (WapcLimits); a violation aborts the guest call with kHostError. Invalid UTF-8 where the
// protocol requires text also aborts it, as upstream does.
//
// Thread-compatible: use an instance from the thread of the Worker that created it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/engine.h"
#include "host/host.h"
#include "runtime/wasi/wasi_host.h"

namespace kw::runtime::wapc {

struct WapcLimits {
  std::uint32_t max_response_bytes = 16 * 1024 * 1024;   // __guest_response
  std::uint32_t max_error_bytes = 1024 * 1024;           // __guest_error
  std::uint32_t max_log_bytes = 64 * 1024;               // __console_log
  std::uint32_t max_host_call_payload = 16 * 1024 * 1024;
  std::uint32_t max_host_call_name = 4 * 1024;           // binding, namespace, operation
};

struct WapcOptions {
  std::string policy_id;  // for logs and for the host-capability gate
  std::shared_ptr<const host::HostCapabilities> capabilities;  // nullptr = deny all
  host::DispatcherSharedPtr dispatcher;                        // nullptr = no host calls at all
  WapcLimits limits;
};

class WapcInstance {
 public:
  // Instantiates `module` on `worker` and runs its initializers under `call_options`.
  // Fails with the engine's typed errors, with kBadModule when `__guest_call` or `memory` is not
  // exported, and with kGuestExit when `_start` exits with a non-zero code.
  static Result<std::unique_ptr<WapcInstance>> Create(engine::Worker& worker,
                                                      const engine::ModuleSharedPtr& module,
                                                      WapcOptions options,
                                                      const engine::CallOptions& call_options);

  // Performs one waPC invocation: `operation` with `payload`. Returns the guest's response
  // bytes. Errors:
  //   - the engine's (kTimeout, kTrap, kOutOfMemory, kStackOverflow, kHostError, ...), after
  //     which the instance should be discarded;
  //   - kGuestError "Guest call failure: <message>" when the guest reported failure.
  Result<std::string> Call(std::string_view operation, std::string_view payload,
                           const engine::CallOptions& call_options);

 private:
  WapcInstance(WapcOptions options);
  void AddImports();

  struct Invocation {
    std::string_view operation;
    std::string_view payload;
    std::optional<std::string> guest_response;
    std::optional<std::string> guest_error;
    std::optional<std::string> host_response;
    std::optional<std::string> host_error;
  };

  WapcOptions options_;
  host::CallContext call_context_;
  wasi::WasiHost wasi_;
  engine::HostFunctionTable imports_;
  Invocation invocation_;
  engine::InstancePtr instance_;  // declared last: destroyed first, before what it calls into
};

}  // namespace kw::runtime::wapc
