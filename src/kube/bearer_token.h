// A bearer token kept in a file that is replaced while we run: Kubernetes rotates projected
// service-account tokens (about hourly) by swapping the file under the pod, and a kubeconfig's
// tokenFile may be refreshed by another tool. The token is read again whenever the file's
// identity (base/files.h) changes, so a rotated token is used from the next request on, and
// never re-read while it stays the same.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/files.h"

namespace kw::kube {

class BearerToken {
 public:
  explicit BearerToken(std::string path) : path_(std::move(path)) {}

  // The token the file holds now, without surrounding whitespace (as client-go trims it).
  // kNotFound when the file no longer exists (naming it), kInvalidArgument when it is empty or
  // larger than a token can be, kIo when it cannot be read. A failure is not cached: the next
  // call looks again. Thread-safe.
  Result<std::string> Current();

  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  std::mutex mutex_;
  std::optional<FileIdentity> read_identity_;  // of the file `token_` was read from
  std::string token_;
};

}  // namespace kw::kube
