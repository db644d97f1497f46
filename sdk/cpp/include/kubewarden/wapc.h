// kubewarden/wapc.h: the waPC guest protocol (policy-server spec §4.a), for wasm32 policies.
//
// A waPC host invokes an operation by calling the exported `__guest_call(op_len, payload_len)`.
// The guest copies the operation name and payload with `__guest_request`, runs the handler
// registered for that name, and answers with `__guest_response` (returning 1) or
// `__guest_error` (returning 0). Inside a handler the guest may call the host any number of
// times (`__host_call`, then `__host_response*` or `__host_error*`).
//
// Usage: register handlers from an init function and export the entry point, in exactly one
// source file of the module:
//
//   bool Echo(std::string_view payload, std::string& out) { out.assign(payload); return true; }
//   void Init() { kubewarden::wapc::RegisterFunction("echo", Echo); }
//   KUBEWARDEN_WAPC_GUEST(Init)   // no trailing semicolon
//
// Kubewarden policies normally use KUBEWARDEN_POLICY (policy.h), which does this for
// `validate` and `validate_settings`. `protocol_version` answers "v1" unless a handler is
// registered for it; any other unregistered operation fails with
// "No handler registered for function <op>", like the Rust waPC guest.
//
// Initialization: link with `-mexec-model=reactor` (the CMake helper does). A reactor exports
// `_initialize`, which runs the static constructors; upstream hosts never call it, so
// KUBEWARDEN_WAPC_GUEST runs them on the first `__guest_call` unless `_initialize` already did
// (exactly once either way), then the init function. Do not link as a "command"
// (`-nostartfiles -Wl,--no-entry`): wasm-ld would then run static destructors after every
// exported call.
//
// KUBEWARDEN_WAPC_GUEST also replaces, in the module:
//   * malloc and friends with the SDK's small allocator (allocator.h; about 9 KB smaller than
//     dlmalloc), unless KUBEWARDEN_USE_LIBC_MALLOC is defined;
//   * `operator new`/`delete` with malloc/free, trapping when out of memory;
//   * libc++'s verbose abort with a trap,
// so that a module without exceptions does not link stdio and printf just to print messages
// nobody reads.
//
// Single-threaded, like every wasm32 guest.
#ifndef KUBEWARDEN_WAPC_H_
#define KUBEWARDEN_WAPC_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <expected>
#include <new>
#include <string>
#include <string_view>

#include "kubewarden/allocator.h"

#if defined(__wasm__)
#define KUBEWARDEN_WAPC_IMPORT_(name) __attribute__((import_module("wapc"), import_name(name)))
#else
// Native builds (unit tests) link their own fakes of these functions.
#define KUBEWARDEN_WAPC_IMPORT_(name)
#endif

extern "C" {
KUBEWARDEN_WAPC_IMPORT_("__guest_request")
void kubewarden_wapc_guest_request(char* op, char* payload);
KUBEWARDEN_WAPC_IMPORT_("__guest_response")
void kubewarden_wapc_guest_response(const char* ptr, std::size_t len);
KUBEWARDEN_WAPC_IMPORT_("__guest_error")
void kubewarden_wapc_guest_error(const char* ptr, std::size_t len);
KUBEWARDEN_WAPC_IMPORT_("__host_call")
int kubewarden_wapc_host_call(const char* binding, std::size_t binding_len, const char* ns,
                              std::size_t ns_len, const char* op, std::size_t op_len,
                              const char* payload, std::size_t payload_len);
KUBEWARDEN_WAPC_IMPORT_("__host_response_len")
std::size_t kubewarden_wapc_host_response_len();
KUBEWARDEN_WAPC_IMPORT_("__host_response")
void kubewarden_wapc_host_response(char* ptr);
KUBEWARDEN_WAPC_IMPORT_("__host_error_len")
std::size_t kubewarden_wapc_host_error_len();
KUBEWARDEN_WAPC_IMPORT_("__host_error")
void kubewarden_wapc_host_error(char* ptr);
KUBEWARDEN_WAPC_IMPORT_("__console_log")
void kubewarden_wapc_console_log(const char* ptr, std::size_t len);
}

namespace kubewarden::wapc {

// Handles one operation. On success writes the response bytes to `out` and returns true; on
// failure writes the error message to `out` and returns false (the host then reports
// "Guest call failure: <message>"). `payload` is valid only during the call.
using Handler = bool (*)(std::string_view payload, std::string& out);

inline constexpr std::size_t kMaxFunctions = 16;

namespace internal {
struct Registration {
  const char* name;
  std::size_t size;
  Handler handler;
};
// Constant-initialized: usable before (and without) static constructors.
inline Registration g_functions[kMaxFunctions] = {};
inline std::size_t g_function_count = 0;
inline bool g_initialized = false;
// Set by a static constructor of KUBEWARDEN_WAPC_GUEST, so it tells whether `_initialize` ran
// them. Volatile: LLVM would otherwise evaluate that constructor at compile time and fold the
// flag to true.
inline volatile bool g_constructors_ran = false;

#if defined(__wasm__)
extern "C" void __wasm_call_ctors(void);

// On the first guest call: runs the static constructors unless the host's `_initialize` call
// already did (upstream hosts never make it), then `init`.
template <typename Init>
void Initialize(Init init) {
  if (g_initialized) return;
  g_initialized = true;
  if (!g_constructors_ran) __wasm_call_ctors();
  init();
}
#endif
}  // namespace internal

// Registers `handler` for `operation` (replacing an earlier registration). `operation` must
// stay valid for the life of the module (use a string literal). Traps past kMaxFunctions.
inline void RegisterFunction(std::string_view operation, Handler handler) {
  using internal::g_function_count;
  using internal::g_functions;
  for (std::size_t i = 0; i < g_function_count; ++i) {
    if (std::string_view(g_functions[i].name, g_functions[i].size) == operation) {
      g_functions[i].handler = handler;
      return;
    }
  }
  if (g_function_count == kMaxFunctions) __builtin_trap();
  g_functions[g_function_count++] = {operation.data(), operation.size(), handler};
}

// Writes `message` to the host log (`__console_log`; upstream logs it at INFO as
// "Guest module <id>: <message>").
inline void ConsoleLog(std::string_view message) {
  kubewarden_wapc_console_log(message.data(), message.size());
}

// Calls the host: `binding`/`ns`/`operation` with `payload`. Returns the host's response bytes,
// or its error message. Kubewarden hosts use binding "kubewarden" (host.h has typed helpers).
inline std::expected<std::string, std::string> HostCall(std::string_view binding,
                                                        std::string_view ns,
                                                        std::string_view operation,
                                                        std::string_view payload) {
  int ok =
      kubewarden_wapc_host_call(binding.data(), binding.size(), ns.data(), ns.size(),
                                operation.data(), operation.size(), payload.data(), payload.size());
  std::string answer;
  if (ok != 0) {
    answer.resize(kubewarden_wapc_host_response_len());
    kubewarden_wapc_host_response(answer.data());
    return answer;
  }
  answer.resize(kubewarden_wapc_host_error_len());
  kubewarden_wapc_host_error(answer.data());
  return std::unexpected(std::move(answer));
}

// The body of `__guest_call`: fetches the request, dispatches it, answers. Returns 1 on
// success and 0 on failure, as the protocol wants.
inline int HandleGuestCall(std::uint32_t op_len, std::uint32_t payload_len) {
  // One buffer for both; it lives until the answer is sent, so handlers may keep pointers into
  // the payload (the JSON DOM does).
  char* buffer = static_cast<char*>(std::malloc(std::size_t{op_len} + payload_len + 1));
  if (buffer == nullptr) __builtin_trap();
  kubewarden_wapc_guest_request(buffer, buffer + op_len);
  std::string_view op(buffer, op_len);
  std::string_view payload(buffer + op_len, payload_len);

  Handler handler = nullptr;
  for (std::size_t i = 0; i < internal::g_function_count; ++i) {
    if (std::string_view(internal::g_functions[i].name, internal::g_functions[i].size) == op) {
      handler = internal::g_functions[i].handler;
      break;
    }
  }
  std::string out;
  bool ok;
  if (handler != nullptr) {
    ok = handler(payload, out);
  } else if (op == "protocol_version") {
    out.assign("\"v1\"");
    ok = true;
  } else {
    out.assign("No handler registered for function ").append(op);
    ok = false;
  }
  std::free(buffer);
  if (ok) {
    kubewarden_wapc_guest_response(out.data(), out.size());
    return 1;
  }
  kubewarden_wapc_guest_error(out.data(), out.size());
  return 0;
}

}  // namespace kubewarden::wapc

#if defined(__wasm__)
// Defines the module's `__guest_call` export; `init` (a `void()` function) registers the
// handlers. See the file comment. Use once per module.
#define KUBEWARDEN_WAPC_GUEST(init)                                                  \
  __attribute__((constructor)) static void kubewarden_constructors_ran_() {          \
    ::kubewarden::wapc::internal::g_constructors_ran = true;                         \
  }                                                                                  \
  extern "C" __attribute__((export_name("__guest_call"))) int kubewarden_guest_call( \
      std::uint32_t op_len, std::uint32_t payload_len) {                             \
    ::kubewarden::wapc::internal::Initialize(init);                                  \
    return ::kubewarden::wapc::HandleGuestCall(op_len, payload_len);                 \
  }                                                                                  \
  KUBEWARDEN_MALLOC_OVERRIDES_()                                                     \
  KUBEWARDEN_RUNTIME_OVERRIDES_()

#if defined(KUBEWARDEN_USE_LIBC_MALLOC)
#define KUBEWARDEN_MALLOC_OVERRIDES_()
#else
#define KUBEWARDEN_MALLOC_OVERRIDES_()                                                   \
  extern "C" void* malloc(std::size_t n) {                                               \
    return ::kubewarden::internal::g_allocator.Allocate(n);                              \
  }                                                                                      \
  extern "C" void free(void* p) { ::kubewarden::internal::g_allocator.Free(p); }         \
  extern "C" void* calloc(std::size_t count, std::size_t n) {                            \
    return ::kubewarden::internal::g_allocator.AllocateZeroed(count, n);                 \
  }                                                                                      \
  extern "C" void* realloc(void* p, std::size_t n) {                                     \
    return ::kubewarden::internal::g_allocator.Reallocate(p, n);                         \
  }                                                                                      \
  extern "C" void* aligned_alloc(std::size_t align, std::size_t n) {                     \
    return ::kubewarden::internal::g_allocator.AllocateAligned(align, n);                \
  }                                                                                      \
  extern "C" int posix_memalign(void** out, std::size_t align, std::size_t n) {          \
    if (align < sizeof(void*) || (align & (align - 1)) != 0) return 22; /* EINVAL */     \
    *out = ::kubewarden::internal::g_allocator.AllocateAligned(align, n);                \
    return *out ? 0 : 12; /* ENOMEM */                                                   \
  }                                                                                      \
  extern "C" std::size_t malloc_usable_size(void* p) {                                   \
    return ::kubewarden::internal::g_allocator.UsableSize(p);                            \
  }                                                                                      \
  /* wasi-libc's internal names (used by atexit...): defining them keeps dlmalloc out */ \
  extern "C" void* __libc_malloc(std::size_t n) { return malloc(n); }                    \
  extern "C" void __libc_free(void* p) { free(p); }                                      \
  extern "C" void* __libc_calloc(std::size_t count, std::size_t n) { return calloc(count, n); }
#endif

// Small-module replacements for the C++ runtime (see the file comment).
#define KUBEWARDEN_RUNTIME_OVERRIDES_()                                            \
  void* operator new(std::size_t n) {                                              \
    void* p = std::malloc(n == 0 ? 1 : n);                                         \
    if (p == nullptr) __builtin_trap();                                            \
    return p;                                                                      \
  }                                                                                \
  void* operator new[](std::size_t n) { return operator new(n); }                  \
  void operator delete(void* p) noexcept { std::free(p); }                         \
  void operator delete[](void* p) noexcept { std::free(p); }                       \
  void operator delete(void* p, std::size_t) noexcept { std::free(p); }            \
  void operator delete[](void* p, std::size_t) noexcept { std::free(p); }          \
  _LIBCPP_BEGIN_NAMESPACE_STD                                                      \
  [[noreturn]] void __libcpp_verbose_abort(const char*, ...) { __builtin_trap(); } \
  _LIBCPP_END_NAMESPACE_STD                                                        \
  /* compiler-rt's wasm32 builtins, as Debian builds them, check their stack with  \
     a guard that wasi-libc does not define: unsigned __int128 division at -O2     \
     (__umodti3) would not link without these. */                                  \
  extern "C" {                                                                     \
  __attribute__((weak)) std::uintptr_t __stack_chk_guard = 0x2f8a5c3du;            \
  __attribute__((weak, noreturn)) void __stack_chk_fail() { __builtin_trap(); }    \
  }
#else
// Native builds (unit tests) drive HandleGuestCall directly.
#define KUBEWARDEN_WAPC_GUEST(init)
#endif

#endif  // KUBEWARDEN_WAPC_H_
