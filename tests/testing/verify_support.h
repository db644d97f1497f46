// Test support shared by the verify tests: a SignatureSource serving fixed layers, and configs
// built in code. Test-only; not part of kw_verify.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "testing/cosign.h"
#include "verify/config.h"
#include "verify/verify.h"

namespace kw::verify::test {

inline SignatureLayer ToLayer(const kw::testing::CosignLayer& l) {
  return {l.media_type, l.digest, l.payload, l.annotations};
}

// A registry with a fixed `.sig` manifest, recording what it was asked for.
class FakeSource : public SignatureSource {
 public:
  std::vector<SignatureLayer> layers;
  std::optional<Error> error;
  std::string asked_reference, asked_digest;

  void Add(const kw::testing::CosignLayer& l) { layers.push_back(ToLayer(l)); }

  Result<std::vector<SignatureLayer>> Signatures(const std::string& reference,
                                                 const std::string& digest) override {
    asked_reference = reference;
    asked_digest = digest;
    if (error) return std::unexpected(*error);
    return layers;
  }
};

inline VerificationConfig AllOf(std::vector<SignatureConstraint> all) {
  VerificationConfig c;
  c.api_version = "v1";
  c.all_of = std::move(all);
  return c;
}

}  // namespace kw::verify::test
