// What policy-server takes from the operating system for its connections: file descriptors and
// memory.
//
// Every connection is a file descriptor. When a process runs out of them, accept() fails on
// every listener, so a flood of connections on the API port would also silence the readiness
// probe. policy-server therefore caps its connections below the open-file limit, keeping a
// reserve for everything else that needs a descriptor (policy downloads, the compiled-code
// cache, certificate watches, the OTLP exporter, V8) and a separate small cap for the readiness
// and metrics listeners.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kw::server {

// Raises the soft open-file limit to the hard one (as Go's runtime does for every Go server) and
// returns the soft limit now in force. Logs a warning when it cannot raise it.
std::uint64_t RaiseOpenFileLimit();

struct ConnectionLimits {
  std::size_t api = 0;     // admission API connections
  std::size_t probes = 0;  // readiness and metrics connections, together
};

// The caps for a process that may open `open_files` descriptors: the API gets what is left after
// a reserve of an eighth of the limit (at least 128, at most 4096; half the limit when the limit
// is below twice that), the probes up to 64 of the reserve. Neither is ever zero.
ConnectionLimits DefaultConnectionLimits(std::uint64_t open_files);

// Makes freed request buffers go back to the system: large allocations (64 KiB and more, such
// as large bodies) are always mapped separately, so freeing one unmaps it, instead of the
// allocator keeping them for reuse after a burst of large requests. Call once at start-up, before the threads start.
void TuneAllocatorForServing();

// Hands the free memory the allocator keeps (in every thread's arena) back to the system. Costs
// a walk over the free lists: call it after a burst of frees, not on every one.
void ReleaseFreeMemory();

}  // namespace kw::server
