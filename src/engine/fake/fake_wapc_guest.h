// A waPC policy as a C++ lambda, for the fake engine: the guest side of waPC spoken through the
// real `wapc` imports (__guest_request, __guest_response, __guest_error, __host_call and the
// __host_* getters), so the real waPC host (src/runtime/wapc) runs it as it runs a compiled
// policy. Every byte crosses guest memory, bounds-checked by the host as usual.
//
// On `__guest_call`, the guest fetches the operation and payload with __guest_request and calls
// the handler. A response is sent with __guest_response (the call returns 1); an error of kind
// kGuestError is sent with __guest_error (the call returns 0); any other error fails the call
// as that error (a trap, kTimeout from RunForever, kOutOfMemory...).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fake/fake_engine.h"

namespace kw::engine::fake {

// What a waPC handler can do besides answering.
class WapcGuestCall {
 public:
  virtual ~WapcGuestCall() = default;
  // waPC __host_call: the host's answer, or kGuestError with the host's error text.
  virtual Result<std::string> HostCall(std::string_view binding, std::string_view name_space,
                                       std::string_view operation, std::string_view payload) = 0;
  // The engine side of the guest (memory, RunForever...).
  virtual GuestContext& context() = 0;
};

using WapcHandler = std::function<Result<std::string>(
    std::string_view operation, std::string_view payload, WapcGuestCall& call)>;

// Registers a waPC guest called `name` that answers with `handler` (shared by its instances)
// and returns its module bytes: imports the nine `wapc` functions, exports `__guest_call` and
// `memory`.
std::vector<std::uint8_t> RegisterWapcGuest(FakeEngine& engine, std::string name,
                                            WapcHandler handler);

// The same, with a handler made for each instance (by `per_instance`, called at each
// Instantiate): a guest with state of its own, or a test counting instantiations.
std::vector<std::uint8_t> RegisterStatefulWapcGuest(FakeEngine& engine, std::string name,
                                                    std::function<WapcHandler()> per_instance);

}  // namespace kw::engine::fake
