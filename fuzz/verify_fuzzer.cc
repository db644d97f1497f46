// Signature verification over hostile input: a verification config, a Sigstore trust root and
// one `.sig` layer (payload and cosign annotations), all from the fuzzer. The input is split on
// NUL bytes into: config YAML, trust root JSON, payload, signature, certificate, chain, bundle.
// Whatever the bytes, parsing and verification must fail cleanly or succeed, never crash.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "verify/verify.h"

namespace {

// The digest the seed corpus signs; the fuzzer finds it in the seeds.
constexpr char kDigest[] = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

class OneLayer : public kw::verify::SignatureSource {
 public:
  explicit OneLayer(kw::verify::SignatureLayer layer) : layer_(std::move(layer)) {}
  kw::Result<std::vector<kw::verify::SignatureLayer>> Signatures(const std::string&,
                                                                 const std::string&) override {
    return std::vector<kw::verify::SignatureLayer>{layer_};
  }

 private:
  kw::verify::SignatureLayer layer_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> fields;
  while (fields.size() < 6) {
    std::size_t nul = input.find('\0');
    if (nul == std::string_view::npos) break;
    fields.emplace_back(input.substr(0, nul));
    input.remove_prefix(nul + 1);
  }
  fields.emplace_back(input);
  fields.resize(7);

  auto config = kw::verify::ParseVerificationConfig(fields[0]);
  auto root = kw::verify::TrustRoot::Parse(fields[1]);
  if (!config) return 0;
  kw::verify::SignatureLayer layer;
  layer.media_type = kw::verify::kSimpleSigningMediaType;
  layer.payload = fields[2];
  layer.digest = "sha256:" + kw::Sha256Hex(kw::Sha256(kw::AsBytes(layer.payload)));
  const std::string_view keys[] = {kw::verify::kSignatureAnnotation,
                                   kw::verify::kCertificateAnnotation,
                                   kw::verify::kChainAnnotation, kw::verify::kBundleAnnotation};
  for (int i = 0; i < 4; ++i) {
    if (!fields[3 + i].empty()) layer.annotations[std::string(keys[i])] = fields[3 + i];
  }
  OneLayer source(std::move(layer));
  kw::verify::VerifyOptions options;
  if (root) options.trust_root = root->get();
  (void)kw::verify::Verify(*config, source, "registry.example/policy:v1", kDigest, options);
  return 0;
}
