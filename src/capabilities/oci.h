// The `oci` host capabilities (policy-server.md §4.c.2): what a policy may ask about container
// images in registries.
//
//   v1/manifest_digest      "image"  → {"digest": "sha256:..."}
//   v1/oci_manifest         "image"  → the image manifest or image index, as the registry sent it
//   v1/oci_manifest_config  "image"  → {"manifest": <image manifest>, "digest": "sha256:...",
//                                      "config": <image config>}; for an image index, the
//                                      manifest of the host's platform (linux/<arch>), as
//                                      upstream's client picks it, and that manifest's digest
//   v1/verify, v2/verify    (oci_requests.h) → {"is_trusted": true, "digest": "sha256:..."}
//
// Registries are reached with the settings the binary was configured with (sources.yaml's
// insecure sources, authorities and proxies, docker's credentials: OciCapabilityOptions), and
// signatures are checked as policies' own are (verify/verify.h), keyless ones and Rekor bundles
// against the binary's Sigstore trust root. A verification that fails is a host error whose
// message says why ("Image verification failed: ..."), never `is_trusted: false`, as upstream.
//
// Answers are cached for a minute (upstream's 60 s; verifications only when they succeed, the
// other look-ups likewise never keep a failure), in a bounded cache, and no call holds the worker
// past the policy's deadline (lookup_cache.h). Errors name the operation and the image.
#pragma once

#include <memory>

#include "capabilities/lookup_cache.h"
#include "host/host.h"
#include "oci/registry.h"

namespace kw::verify {
class TrustRoot;
}
namespace kw::loader {
struct FetchSettings;
}

namespace kw::capabilities {

struct OciCapabilityOptions {
  OciCapabilityOptions();

  // Sources, docker config directory, size caps and per-request timeouts. The defaults reach
  // registries as anonymous, verified HTTPS, with timeouts short enough for a policy call.
  oci::RegistryOptions registry;
  // For keyless signatures and Rekor bundles; without one only key-based checks can hold.
  std::shared_ptr<const verify::TrustRoot> trust_root;
  LookupCacheOptions cache;  // ttl: 60 s
};

// The options of a binary whose remote modules are fetched with `settings`: the same sources,
// docker config and trust root.
OciCapabilityOptions OciOptionsFrom(const loader::FetchSettings& settings);

// Registers the `oci` namespace. When the registry settings are unusable (a source authority
// that does not load), every call answers with that error.
void RegisterOci(host::Dispatcher& dispatcher, OciCapabilityOptions options = {});

}  // namespace kw::capabilities
