// Finding a policy that is already on this machine, from kwctl's positional "uri_or_sha_prefix"
// argument (tooling.md §1.3, upstream's map_path_to_uri + get_uri): never downloads.
#pragma once

#include <string>

#include "base/error.h"
#include "oci/store.h"

namespace kw::kwctl {

struct LocalPolicy {
  std::string uri;   // normalised: file:///abs/path, or the store URI
  std::string path;  // the module on disk
  bool in_store = false;
};

// Resolves, in upstream's order: `scheme://...` (file:// must exist; other schemes must be in
// the store); an existing local path (canonicalised to file://); a lower-case hex SHA-256 prefix
// of a stored module ("multiple policies found" when ambiguous); a bare OCI reference already in
// the store. Anything else is kNotFound "Cannot find policy with uri: <text>".
Result<LocalPolicy> ResolveLocalPolicy(const std::string& text, const oci::Store& store);

}  // namespace kw::kwctl
