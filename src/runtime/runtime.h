// Policy runtimes: the Kubewarden protocol on top of the engine, one per execution mode.
//
// A PolicyModule is a policy's wasm compiled once, with its metadata and execution mode: it is
// immutable and shared by every worker. A PolicyRuntime is that module live on one worker, for
// one policy id (its host-capability grants are baked in). It answers the two Kubewarden
// operations, with the policy's settings it was created with:
//   - ValidateSettings() -> {valid, message?}
//   - Validate(request) -> the "vanilla" AdmissionResponse (§3.1 step 4: before the response
//     handler), or an Error the evaluator turns into a rejection.
//
// Runtimes keep their guest instance warm between evaluations (instantiation costs more than a
// whole trivial evaluation), and throw it away after any failure of the guest (trap, timeout,
// out of memory, host-call violation), since its state may be half-updated. The next call
// instantiates afresh.
//
// Thread-compatible: a PolicyRuntime belongs to the thread of its Worker.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "admission/request.h"
#include "admission/response.h"
#include "base/json.h"
#include "engine/engine.h"
#include "host/host.h"
#include "policy/metadata.h"

namespace kw::runtime {

struct PolicyModule {
  engine::ModuleSharedPtr module;
  policy::ExecutionMode execution_mode = policy::ExecutionMode::kKubewardenWapc;
  std::optional<policy::Metadata> metadata;
};
using PolicyModuleSharedPtr = std::shared_ptr<const PolicyModule>;

// Reads the metadata of `wasm`, decides its execution mode (`mode_override` first, then the
// metadata, then detection as upstream does) and compiles it with `compile_options`. A module
// without the exports its mode calls (`__guest_call` for waPC, `_start` for WASI, the OPA ABI
// for opa and gatekeeper) is refused here (kBadModule), the error saying what the module looks
// like instead and which execution mode runs it.
Result<PolicyModuleSharedPtr> LoadPolicyModule(const engine::Engine& engine,
                                               std::span<const std::uint8_t> wasm,
                                               std::optional<policy::ExecutionMode> mode_override,
                                               const engine::CompileOptions& compile_options = {});

// What a runtime needs to know about the policy it runs.
struct RuntimeOptions {
  std::string policy_id;
  std::shared_ptr<const host::HostCapabilities> capabilities;  // nullptr = deny all
  host::DispatcherSharedPtr dispatcher;
  // Per-call time limit; zero = unbounded.
  std::chrono::milliseconds timeout{0};
  // The policy's settings as sent to it (admission::SerializeSettings), serialized once here
  // rather than on every call.
  std::string settings_json = "{}";
};

// The options of a guest call that starts now and may last `timeout` (zero: no deadline).
engine::CallOptions CallOptionsFor(std::chrono::milliseconds timeout);

class PolicyRuntime {
 public:
  virtual ~PolicyRuntime() = default;

  // Errors (all meant to become a 500 rejection): kTimeout, kTrap, kOutOfMemory,
  // kStackOverflow, kHostError, kBadModule (instantiation), kGuestError ("Guest call failure:
  // ..."), kPolicyResponse ("invalid response from policy: ...").
  virtual Result<admission::AdmissionResponse> Validate(
      const admission::ValidationRequest& request) = 0;

  // Never fails: a guest failure becomes {valid:false, message:<why>}, as upstream reports it.
  virtual admission::SettingsValidationResponse ValidateSettings() = 0;

  // The waPC `protocol_version` answer (e.g. "v1"), for kwctl annotate. kUnimplemented for
  // execution modes that have none.
  virtual Result<std::string> ProtocolVersion() = 0;
};
using PolicyRuntimePtr = std::unique_ptr<PolicyRuntime>;

// Creates the runtime for `module`'s execution mode on `worker` (which must outlive it). Does
// not instantiate the guest yet: that happens on first use, so errors surface per call.
Result<PolicyRuntimePtr> CreatePolicyRuntime(engine::Worker& worker,
                                             PolicyModuleSharedPtr module,
                                             RuntimeOptions options);

}  // namespace kw::runtime
