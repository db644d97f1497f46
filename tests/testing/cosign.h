// Test helper: cosign signatures in cosign's exact wire format, made with OpenSSL.
//
// Key-based: a P-256 key pair (PEM, like `cosign generate-key-pair`), the simple-signing payload,
// the base64 DER ECDSA signature in `dev.cosignproject.cosign/signature`.
// Keyless: a fake Sigstore (Fulcio root CA + intermediate issuing short-lived leaf certificates
// with the Sigstore extensions, a Rekor key signing bundles) and the TrustedRoot JSON naming it.
// Everything throws std::runtime_error when OpenSSL fails (tests only).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace kw::testing {

using StringMap = std::map<std::string, std::string>;

struct CosignKey {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----")
};

// A fresh EC P-256 key pair.
CosignKey GenerateCosignKey();

// One layer of a `.sig` manifest: its descriptor's media type, digest and annotations, and the
// blob.
struct CosignLayer {
  std::string media_type = "application/vnd.dev.cosign.simplesigning.v1+json";
  std::string digest;  // "sha256:<hex of payload>"
  std::string payload;
  StringMap annotations;
};

// The simple-signing payload cosign signs; `optional` is null when `annotations` is empty.
std::string SimpleSigningPayload(const std::string& docker_reference,
                                 const std::string& manifest_digest,
                                 const StringMap& annotations = {});

// Base64 of the DER ECDSA/SHA-256 signature of `data` with `private_pem`.
std::string SignBase64(const std::string& private_pem, std::string_view data);

std::string Base64(std::string_view bytes);
std::string Sha256Hex(std::string_view bytes);

// A layer with `payload` signed by `key` (digest and signature annotation filled in).
CosignLayer KeyedLayer(const CosignKey& key, const std::string& payload);

// Recomputes `layer.digest` from `layer.payload` (after a test tampers with the payload).
void RefreshDigest(CosignLayer& layer);

// What the fake Fulcio puts in a leaf certificate.
struct LeafOptions {
  std::string email;                // SAN email, if not empty
  std::string uri;                  // SAN URI, if not empty
  std::string issuer;               // the OIDC issuer
  bool legacy_issuer = false;       // 1.3.6.1.4.1.57264.1.1 (raw) instead of .1.8 (UTF8String)
  std::string workflow_repository;  // 1.3.6.1.4.1.57264.1.5, if not empty
  std::int64_t not_before = 0;      // seconds since the epoch; 0 = integrated_time - 60
  std::int64_t not_after = 0;       // 0 = not_before + 600 (Fulcio's ten minutes)
  bool code_signing = true;         // extendedKeyUsage codeSigning
  bool rogue_ca = false;            // issue from a CA the trust root does not list
};

class FakeSigstore {
 public:
  FakeSigstore();  // generates the CAs and the Rekor key
  ~FakeSigstore();

  // A keyless layer: an ephemeral key signs the payload, the fake Fulcio certifies it, the fake
  // Rekor logs it at `integrated_time` (annotations certificate, chain, bundle, signature).
  CosignLayer KeylessLayer(const std::string& payload, const LeafOptions& leaf,
                           std::int64_t integrated_time);

  // A bundle for `payload` and `signature_b64` made with `cert_pem`, its SET signed with the fake
  // Rekor key (or with `set_key_pem` when given, to fake a bad SET).
  std::string Bundle(const std::string& payload, const std::string& signature_b64,
                     const std::string& cert_pem, std::int64_t integrated_time,
                     const std::string& set_key_pem = "") const;

  // sigstore's TrustedRoot JSON: the Fulcio chain (intermediate, root) and the Rekor key.
  std::string TrustedRootJson() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace kw::testing
