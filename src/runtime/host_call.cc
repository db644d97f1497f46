#include "runtime/host_call.h"

#include "base/utf8.h"

namespace kw::runtime {
namespace {

std::unexpected<Error> HostFail(std::string message) {
  return std::unexpected(Error(ErrorKind::kHostError, std::move(message)));
}

}  // namespace

std::string OutOfBounds(std::string_view import, std::uint32_t ptr, std::uint64_t len) {
  return std::string(import) + ": guest memory range [" + std::to_string(ptr) + ", " +
         std::to_string(std::uint64_t{ptr} + len) + ") is out of bounds";
}

Result<std::string> ReadGuest(engine::GuestMemory& m, std::string_view import, std::uint32_t ptr,
                              std::uint32_t len, std::uint32_t cap, bool utf8) {
  if (len > cap) {
    return HostFail(std::string(import) + ": " + std::to_string(len) +
                    " bytes is more than the limit of " + std::to_string(cap) + " bytes");
  }
  std::string out;
  if (!m.Read(ptr, len, out)) return HostFail(OutOfBounds(import, ptr, len));
  if (utf8 && !IsValidUtf8(out)) return HostFail(std::string(import) + ": invalid UTF-8");
  return out;
}

Result<Result<std::string>> DispatchGuestHostCall(engine::GuestMemory& m,
                                                  std::span<const engine::Value> a,
                                                  std::string_view import,
                                                  const host::Dispatcher* dispatcher,
                                                  const host::CallContext& context,
                                                  const HostCallLimits& limits) {
  const std::string name(import);
  KW_ASSIGN_OR_RETURN(std::string binding, ReadGuest(m, name + " (binding)", a[0].u32(), a[1].u32(),
                                                     limits.max_name, true));
  KW_ASSIGN_OR_RETURN(std::string ns, ReadGuest(m, name + " (namespace)", a[2].u32(), a[3].u32(),
                                                limits.max_name, true));
  KW_ASSIGN_OR_RETURN(std::string op, ReadGuest(m, name + " (operation)", a[4].u32(), a[5].u32(),
                                                limits.max_name, true));
  KW_ASSIGN_OR_RETURN(std::string payload, ReadGuest(m, name + " (payload)", a[6].u32(), a[7].u32(),
                                                     limits.max_payload, false));
  if (dispatcher == nullptr) {
    // in_place: the answer is the inner Result, never the outer (ABI) error.
    return Result<Result<std::string>>(
        std::in_place,
        Fail(ErrorKind::kHostError, "host capabilities are not available to this policy"));
  }
  return Result<Result<std::string>>(std::in_place,
                                     dispatcher->Call(context, binding, ns, op, payload));
}

}  // namespace kw::runtime
