// Errors across component boundaries.
//
// Every fallible function returns `kw::Result<T>` (a `std::expected<T, kw::Error>`). An Error has
// a kind, which callers branch on, and a human message, which is shown to users as is. Nothing
// throws across a component boundary; third-party code that throws is caught at its wrapper.
// Callers never parse the message to find out what happened: they look at `kind`.
#pragma once

#include <expected>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

namespace kw {

enum class ErrorKind {
  kInvalidArgument,  // bad input from a user, a file or a request
  kSyntax,           // input that is not well-formed at all (JSON that does not parse)
  kNotFound,         // a file, export, policy or key that does not exist
  kIo,               // the operating system failed us (open, read, write), or the network
  kTls,              // a TLS handshake failed (a certificate not trusted, no TLS at all, ...)
  kPermissionDenied, // a remote API refused who we are (HTTP 401/403)
  kConflict,         // a remote API refused a write that conflicts (HTTP 409: exists, changed)
  kBadModule,        // bytes that are not a valid, linkable WebAssembly module
  kTimeout,          // a guest ran past its deadline and was interrupted
  kTrap,             // a guest trapped (unreachable, out-of-bounds access, ...)
  kOutOfMemory,      // a guest hit its memory cap
  kStackOverflow,    // a guest exhausted its stack
  kGuestExit,        // a guest called WASI proc_exit; `exit_code` says with what
  kGuestError,       // a guest reported failure through its ABI (waPC __guest_error, ...)
  kHostError,        // a host function refused a guest's call (bad pointer, size cap, ...)
  kPolicyResponse,   // a policy answered with something that is not a valid response
  kUnimplemented,    // a feature this build does not provide yet
  kInternal,         // a bug on our side
};

// Returns a stable lower-case name for `kind`, for logs and test output.
std::string_view ErrorKindName(ErrorKind kind);
std::ostream& operator<<(std::ostream& os, ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
  int exit_code = 0;  // meaningful only for kGuestExit
  // The HTTP status of a remote API that refused the request (a Kubernetes API server's Status
  // code), when that is what failed; 0 otherwise.
  int http_status = 0;

  Error() = default;
  Error(ErrorKind k, std::string msg) : kind(k), message(std::move(msg)) {}

  // Returns a copy whose message is "<context>: <message>".
  Error Wrap(std::string_view context) const;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for `return std::unexpected(Error(kind, msg))`.
inline std::unexpected<Error> Fail(ErrorKind kind, std::string message) {
  return std::unexpected(Error(kind, std::move(message)));
}

}  // namespace kw

// KW_TRY(expr): evaluates a Result<void>-like expression and returns its error from the
// enclosing function if it failed.
#define KW_TRY(expr)                                      \
  do {                                                    \
    if (auto kw_try_result_ = (expr); !kw_try_result_) {  \
      return std::unexpected(std::move(kw_try_result_).error()); \
    }                                                     \
  } while (false)

#define KW_CONCAT_INNER_(a, b) a##b
#define KW_CONCAT_(a, b) KW_CONCAT_INNER_(a, b)

// KW_ASSIGN_OR_RETURN(lhs, expr): `lhs = *expr`, or return expr's error.
#define KW_ASSIGN_OR_RETURN(lhs, expr) \
  KW_ASSIGN_OR_RETURN_IMPL_(KW_CONCAT_(kw_result_, __LINE__), lhs, expr)
#define KW_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)      \
  auto tmp = (expr);                                   \
  if (!tmp) {                                          \
    return std::unexpected(std::move(tmp).error());    \
  }                                                    \
  lhs = std::move(*tmp)
