#include "kube/bearer_token.h"

#include "base/strings.h"

namespace kw::kube {
namespace {

// A service-account JWT is about 1 KiB; OIDC tokens with many groups stay well under this.
constexpr std::size_t kMaxTokenBytes = 64u << 10;

}  // namespace

Result<std::string> BearerToken::Current() {
  std::lock_guard lock(mutex_);
  // Identified before the read: should the file change in between, the next call sees an
  // identity other than the one recorded and reads it again.
  const std::optional<FileIdentity> identity = IdentifyFile(path_);
  if (!identity) {
    return Fail(ErrorKind::kNotFound, "token file " + path_ + " does not exist (any more)");
  }
  if (read_identity_ == identity) return token_;
  KW_ASSIGN_OR_RETURN(std::string text, ReadFile(path_, kMaxTokenBytes));
  const std::string_view token = TrimWhitespace(text);
  if (token.empty()) return Fail(ErrorKind::kInvalidArgument, "token file " + path_ + " is empty");
  token_ = std::string(token);
  read_identity_ = identity;
  return token_;
}

}  // namespace kw::kube
