// The Kubewarden protocol for WASI programs (`executionMode: wasi`, policy-server.md §4.d).
//
// Every operation runs the program afresh, as upstream does: a new instance, argv
// ["policy.wasm", "validate" | "validate-settings"], no environment, no preopened directories,
// the input on stdin, `_start` called once. A clean return or proc_exit(0) is success and stdout
// is the answer; anything else is a failure whose message is the program's trimmed stderr.
// Host capabilities come through the `host.call` import (alias `kubewarden:javy/host.call`),
// whose answers are appended to stdin. The runtime's deadline covers instantiation and the
// whole run; the module's memory cap applies as for any module.
//
// Validate errors: kGuestError (the program failed: its stderr), kPolicyResponse ("Cannot
// deserialize policy validation response: ..."), kTimeout, kHostError (the program broke the
// host.call ABI, or wrote more than 16 MiB to stdout), kBadModule (no `_start`, unknown
// imports). Two deliberate differences from upstream, both about messages only: a timeout is
// reported like a waPC timeout rather than as the (usually empty) stderr, and a failure with an
// empty stderr is reported with what happened (trap text, exit code) rather than nothing.
#pragma once

#include "runtime/runtime.h"

namespace kw::runtime::wasi {

Result<PolicyRuntimePtr> CreateWasiPolicyRuntime(engine::Worker& worker,
                                                 PolicyModuleSharedPtr module,
                                                 RuntimeOptions options);

}  // namespace kw::runtime::wasi
