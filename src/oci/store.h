// The local policy store (tooling.md §1.5): downloaded modules under
//   <root>/<scheme>/<host[:port]>/<url path dirs...>/<last path segment>
// with the registry scheme's last segment keeping its tag and/or digest verbatim
// (`<root>/registry/ghcr.io/kubewarden/policies/pod-privileged:v0.2.2`). There is no index: the
// file tree is the store, and listing walks it. Files are written atomically (WriteFile), so
// concurrent fetches of one policy never expose a half-written module.
//
// Paths are derived from untrusted URIs: a path segment that is empty, "." or ".." is refused,
// so nothing is ever written outside the root. Linux layout only (upstream base64-encodes path
// components on Windows).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/reference.h"

namespace kw::oci {

// The cap on a module, downloaded or local. Upstream sets no limit; policies are a few MiB (the
// largest, Rego bundles, tens of MiB), so 512 MiB only stops a hostile registry or a mistaken
// path from exhausting memory.
inline constexpr std::uint64_t kDefaultMaxModuleBytes = 512ull << 20;

// Reads a module from local disk (a stored copy, a file:// policy, a path given to kwctl): a
// regular file of at most `max_bytes`. A larger file, a FIFO, a device (`file:///dev/zero`) or a
// directory is refused before anything is read, with an error naming the path (and the limit).
Result<std::vector<std::uint8_t>> ReadModuleFile(const std::string& path,
                                                 std::uint64_t max_bytes = kDefaultMaxModuleBytes);

struct StoredPolicy {
  std::string uri;   // scheme://host/path, as rebuilt from the tree
  std::string path;  // the file
};

class Store {
 public:
  explicit Store(std::string root) : root_(std::move(root)) {}

  // $XDG_CACHE_HOME/kubewarden/store, else ~/.cache/kubewarden/store.
  static std::string DefaultRoot();

  const std::string& root() const { return root_; }

  // Where `uri` lives in the store. kInvalidArgument for file:// URIs (used in place) and for
  // URLs without a file name or with dot segments.
  Result<std::string> PathFor(const PolicyUri& uri) const;
  // The stored file of `uri`, if present.
  std::optional<std::string> Lookup(const PolicyUri& uri) const;
  // Stores `module` for `uri` (atomically replacing any previous file); returns its path.
  Result<std::string> Put(const PolicyUri& uri, std::string_view module) const;
  // Removes the stored file of `uri` and the directories this leaves empty. kNotFound when absent.
  Result<void> Remove(const PolicyUri& uri) const;
  // Every stored policy, sorted by URI.
  Result<std::vector<StoredPolicy>> List() const;
  // The stored policy whose module's hex SHA-256 starts with `prefix` (kwctl's
  // "uri_or_sha_prefix"). kNotFound when none does, kInvalidArgument when several do ("multiple
  // policies found") or the prefix is not lower-case hex.
  Result<StoredPolicy> FindBySha256Prefix(std::string_view prefix) const;

 private:
  std::string root_;
};

}  // namespace kw::oci
