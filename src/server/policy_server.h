// policy-server from start to exit (policy-server.md §1.1, §2.5, §2.8):
//   1. logging; every port to listen on bound once and released (a port in use fails before
//      any policy loads; the same port given twice was refused with the flags already); TLS
//      files read and checked (a bad certificate fails before any policy loads);
//   2. the engine and the worker pool (`--workers` threads, each with its own V8 isolate);
//   3. policies.yml: remote modules downloaded (and verified with --verification-path), every
//      module compiled once, settings validated (served_policies.h);
//   4. the API listener bound, then the readiness listener (so ready = loaded and bound), then
//      the policies file followed: its changes are served live (served_policies.h);
//   5. serve until SIGTERM or SIGINT, then shut down gracefully: stop following the policies
//      file (a reload in progress finishes), stop accepting, finish the
//      requests in progress (for at most kShutdownGracePeriod), exit 0.
// Start-up errors are printed to stderr as "Error: <message>" and exit 1.
//
// With --daemon, the process detaches first (daemon.h) and the command returns once the daemon
// is ready, or fails with its start-up error.
//
// --log-fmt otlp logs text and exports traces over OTLP/HTTP (tracing/otlp_trace_exporter.h).
// Not supported yet, and said so: --enable-pprof is ignored, with a warning.
#pragma once

#include <chrono>

#include "server/config.h"

namespace kw::server {

// Kubernetes' default termination grace period; it sends SIGKILL after it anyway.
inline constexpr std::chrono::seconds kShutdownGracePeriod{30};

// Runs the server; returns the process exit code. Call from the main thread before any other
// thread exists (signals are blocked here so that every thread inherits the mask).
int RunPolicyServer(const Config& config);

}  // namespace kw::server
