// Fetching a policy module by URI, for kwctl pull/run and policy-server start-up, and pushing
// one to a registry (tooling.md §1.3, §1.5, §2).
//
//   registry://  pulled through the OCI distribution API (registry.h) into the store
//   https://     one GET (redirects followed) into the store; TLS verified with the system roots
//                plus the host's sources.yaml authorities; an insecure source falls back to
//                unverified HTTPS, then plain HTTP
//   http://      only for hosts listed in insecure_sources, fetched over plain HTTP as written
//   file://      used in place, never copied
// Downloads go through the proxies of `registry.sources.proxies` and report progress to
// `registry.on_module_progress` (registry.h). A stored copy is reused, except for registry
// references tagged `latest`, which are always fetched again (as upstream). Every module, stored
// or downloaded, must start with the wasm magic and fit the size cap; registry downloads are
// digest-checked. Thread-safe (separate fetches of the same policy race benignly: the store
// writes atomically).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "oci/registry.h"
#include "oci/store.h"

namespace kw::oci {

struct FetchOptions {
  std::string store_root = Store::DefaultRoot();
  RegistryOptions registry;  // sources, docker config, caps and timeouts (for https:// as well)
};

struct FetchedPolicy {
  std::string uri;     // normalised
  std::string path;    // the module on disk (in the store, or the file:// path)
  std::string digest;  // "sha256:<hex>" of the module bytes (what store prefixes match)
  std::optional<std::string> manifest_digest;  // registry downloads: the manifest's digest
  bool downloaded = false;                     // false: reused from the store, or file://
};

Result<FetchedPolicy> Fetch(std::string_view uri, const FetchOptions& options);

// Pushes `module` to `destination` (`registry://` optional); returns the immutable reference
// `registry/repository@sha256:<hex>`.
Result<std::string> Push(std::span<const std::uint8_t> module, std::string_view destination,
                         const RegistryOptions& options);

}  // namespace kw::oci
