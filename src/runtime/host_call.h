// The guest side of host-capability calls, shared by the waPC `__host_call` and the WASI
// `host.call` imports: both hand over (binding, namespace, operation, payload) as four
// (ptr, len) pairs in guest memory and differ only in how the answer travels back.
//
// Guest memory is untrusted: every range is bounds-checked and every size capped. A violation
// is the guest breaking the ABI, which aborts its call (kHostError), as upstream traps.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "host/host.h"

namespace kw::runtime {

struct HostCallLimits {
  std::uint32_t max_payload = 16 * 1024 * 1024;
  std::uint32_t max_name = 4 * 1024;  // binding, namespace, operation
};

// Copies guest bytes [ptr, ptr+len) for `import`. Fails with kHostError when `len` exceeds `cap`,
// when the range is out of bounds, or, with `utf8`, when the bytes are not valid UTF-8.
Result<std::string> ReadGuest(engine::GuestMemory& memory, std::string_view import,
                              std::uint32_t ptr, std::uint32_t len, std::uint32_t cap, bool utf8);

// The error message for an out-of-bounds guest range.
std::string OutOfBounds(std::string_view import, std::uint32_t ptr, std::uint64_t len);

// Reads the eight i32 `args` of a host call made through `import` and dispatches it (§4.c).
// The outer Result fails when the guest broke the ABI (abort its call); the inner one is the
// dispatcher's answer for the guest: the response bytes or the error message. A null
// `dispatcher` answers every call with an error.
Result<Result<std::string>> DispatchGuestHostCall(engine::GuestMemory& memory,
                                                  std::span<const engine::Value> args,
                                                  std::string_view import,
                                                  const host::Dispatcher* dispatcher,
                                                  const host::CallContext& context,
                                                  const HostCallLimits& limits);

}  // namespace kw::runtime
