// The Kubewarden protocol for Rego policies compiled to the OPA wasm ABI (`executionMode: opa`
// and `gatekeeper`, policy-server.md §4.e).
//
// OPA mode evaluates entrypoint 0 with input `{"request": <request>}` and the settings as data,
// and reads the verdict from `result[0].result.response` (an AdmissionResponse; its uid is
// replaced by the request's). Gatekeeper mode evaluates with input `{"parameters": <settings>,
// "review": <request>}` and data `{}`, and rejects with the `msg` of each violation listed in
// `result[0].result`, joined by ", "; raw requests are refused.
//
// The guest instance (opa_instance.h) is created on first use and kept warm; any failure of an
// evaluation discards it. ValidateSettings (Rego has no settings validation: always valid)
// instantiates the module, so a module the host cannot run (pre-1.0 ABI, missing builtins) is
// reported when the policy is loaded.
#pragma once

#include "runtime/runtime.h"

namespace kw::runtime::opa {

Result<PolicyRuntimePtr> CreateOpaPolicyRuntime(engine::Worker& worker,
                                                PolicyModuleSharedPtr module,
                                                RuntimeOptions options);

}  // namespace kw::runtime::opa
