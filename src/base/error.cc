#include "base/error.h"

#include <ostream>

namespace kw {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return "invalid argument";
    case ErrorKind::kSyntax: return "syntax error";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kIo: return "i/o error";
    case ErrorKind::kTls: return "tls error";
    case ErrorKind::kPermissionDenied: return "permission denied";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kBadModule: return "bad module";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kTrap: return "trap";
    case ErrorKind::kOutOfMemory: return "out of memory";
    case ErrorKind::kStackOverflow: return "stack overflow";
    case ErrorKind::kGuestExit: return "guest exit";
    case ErrorKind::kGuestError: return "guest error";
    case ErrorKind::kHostError: return "host error";
    case ErrorKind::kPolicyResponse: return "invalid policy response";
    case ErrorKind::kUnimplemented: return "unimplemented";
    case ErrorKind::kInternal: return "internal error";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, ErrorKind kind) { return os << ErrorKindName(kind); }

Error Error::Wrap(std::string_view context) const {
  Error e(kind, std::string(context) + ": " + message);
  e.exit_code = exit_code;
  e.http_status = http_status;
  return e;
}

}  // namespace kw
