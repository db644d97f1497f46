// A verify::SignatureSource over the OCI distribution API: the layers of the cosign signature
// manifest `<repository>:sha256-<hex>.sig` (verify::SignatureTag), pulled with an
// oci::RegistryClient, so signatures come through the same sources.yaml TLS settings and docker
// credentials as the policy itself (tooling.md §4.2 steps 2-3).
//
// The registry is hostile: at most verify::kMaxSignatureLayers layers are read, and no more than
// verify::kMaxTotalPayloadBytes in all; a layer whose declared size exceeds
// verify::kMaxPayloadBytes or whose descriptor is malformed is skipped without being downloaded, and every blob is digest-checked by the client. Media types,
// digests and annotations are copied from the manifest's descriptors, never computed from the
// payload (verify::Verify checks the payload against them). Thread-safe when the client is
// (RegistryClient is).
#pragma once

#include <string>
#include <vector>

#include "oci/registry.h"
#include "verify/verify.h"

namespace kw::loader {

class RegistrySignatureSource : public verify::SignatureSource {
 public:
  // `client` must outlive the source.
  explicit RegistrySignatureSource(oci::RegistryClient& client) : client_(client) {}

  // A missing signature manifest is an empty list (Verify reports "no signatures found");
  // other registry errors, and a signature manifest that is not a JSON object with a `layers`
  // list or that is an image index (kInvalidArgument), are returned.
  Result<std::vector<verify::SignatureLayer>> Signatures(
      const std::string& image_reference, const std::string& manifest_digest) override;

 private:
  oci::RegistryClient& client_;
};

}  // namespace kw::loader
