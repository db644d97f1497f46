// Test helper: publishes cosign signatures to a registry as `cosign sign` does, a `.sig`
// manifest under the tag `sha256-<hex>.sig` of the signed image's repository (tooling.md §4.2).
#pragma once

#include <string>
#include <vector>

#include "oci/registry.h"
#include "testing/cosign.h"

namespace kw::testing {

// Pushes the signature manifest for `digest` ("sha256:<hex>") of `repository`
// ("<registry>/<repository>") holding `layers` (blobs uploaded as given, so a test may push a
// layer whose digest does not match its payload). Fails the calling test on any error.
void PushCosignSignatures(const std::string& repository, const std::string& digest,
                          const std::vector<CosignLayer>& layers,
                          const oci::RegistryOptions& options);

}  // namespace kw::testing
