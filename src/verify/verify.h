// Cosign signature verification of policy images (spec §4): key-based signatures checked with
// OpenSSL, keyless (Fulcio certificate + Rekor bundle) signatures checked offline against a
// Sigstore trust root.
//
// The flow, as upstream's policy-fetcher runs it:
//   1. the caller resolves the image's manifest digest D;
//   2. a SignatureSource returns the layers of the `<repo>:sha256-<hex>.sig` manifest
//      (SignatureTag() names it);
//   3. Verify() keeps the layers that are well-formed cosign signatures of D, and evaluates the
//      config's allOf/anyOf constraints against them; it returns D when they hold;
//   4. after downloading the module, CheckLocalDigest() ties the local bytes to D.
//
// Everything a SignatureSource returns is treated as hostile (sizes are capped, malformed
// layers are skipped, nothing crashes). Verification failures are kInvalidArgument errors whose
// message starts with "Image verification failed"; bad arguments (a malformed digest, a config
// without constraints) are kInvalidArgument without that prefix; errors from the source pass
// through as is.
// TrustRoot is immutable and Verify() keeps no state, so both are safe to use from many threads
// (a SignatureSource must be as thread-safe as its callers need).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "verify/config.h"

namespace kw::verify {

// Media type of a cosign simple-signing layer.
inline constexpr std::string_view kSimpleSigningMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
// Layer annotations cosign writes.
inline constexpr std::string_view kSignatureAnnotation = "dev.cosignproject.cosign/signature";
inline constexpr std::string_view kCertificateAnnotation = "dev.sigstore.cosign/certificate";
inline constexpr std::string_view kChainAnnotation = "dev.sigstore.cosign/chain";
inline constexpr std::string_view kBundleAnnotation = "dev.sigstore.cosign/bundle";

// Caps on what a registry may hand us. Layers beyond kMaxSignatureLayers are ignored; a layer
// whose payload exceeds kMaxPayloadBytes is skipped; a source stops reading layers once their
// payloads would pass kMaxTotalPayloadBytes in all (a cosign payload is a few hundred bytes, so
// this only bounds what a hostile registry can make one verification hold in memory).
inline constexpr std::size_t kMaxSignatureLayers = 256;
inline constexpr std::size_t kMaxPayloadBytes = 1 << 20;
inline constexpr std::size_t kMaxTotalPayloadBytes = 16 << 20;

// One layer of the signature manifest.
struct SignatureLayer {
  std::string media_type;  // the layer descriptor's mediaType
  std::string digest;      // the layer descriptor's digest ("sha256:<hex>"); checked against
                           // the payload, so a source must not compute it from the payload
  std::string payload;     // the blob bytes, exactly as downloaded
  std::map<std::string, std::string> annotations;  // the layer descriptor's annotations
};

// Where signatures come from: the registry client implements this over `<repo>:<SignatureTag>`.
class SignatureSource {
 public:
  virtual ~SignatureSource() = default;
  // The layers of the signature manifest for `manifest_digest` of `image_reference` (a
  // reference such as "ghcr.io/kubewarden/policies/x:v1"). A missing signature manifest is an
  // empty list or a kNotFound error (both become "no signatures found"); other errors abort
  // verification and are returned as is.
  virtual Result<std::vector<SignatureLayer>> Signatures(const std::string& image_reference,
                                                         const std::string& manifest_digest) = 0;
};

// The Sigstore trust material for keyless signatures: Fulcio CA certificates and Rekor keys,
// read from sigstore's TrustedRoot JSON (or a ClientTrustConfig wrapping one in `trustedRoot`).
// Immutable; thread-safe.
class TrustRoot {
 public:
  // kInvalidArgument naming the offending field on malformed input. Needs at least one
  // certificate authority and one transparency log.
  static Result<std::shared_ptr<const TrustRoot>> Parse(std::string_view json);
  static Result<std::shared_ptr<const TrustRoot>> Load(const std::string& path);

  ~TrustRoot();
  TrustRoot(const TrustRoot&) = delete;
  TrustRoot& operator=(const TrustRoot&) = delete;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit TrustRoot(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct VerifyOptions {
  // Without a trust root only key-based constraints can be satisfied, and Rekor bundles are
  // ignored (spec §4.4: slightly more permissive than upstream, which discards layers whose
  // bundle does not verify). With one, a layer whose bundle fails is discarded.
  const TrustRoot* trust_root = nullptr;
};

struct VerifiedImage {
  std::string digest;  // the manifest digest the signatures cover ("sha256:<hex>")
};

// Verifies that the image `image_reference` at `manifest_digest` satisfies `config`, with the
// signatures `source` provides. Errors (kInvalidArgument) say why, e.g. "Image verification
// failed: no signatures found for ...", "...: missing signatures" followed by the unsatisfied
// constraints as YAML, "...: minimum number of signatures not reached: needed 2, got 1".
Result<VerifiedImage> Verify(const VerificationConfig& config, SignatureSource& source,
                             const std::string& image_reference, const std::string& manifest_digest,
                             const VerifyOptions& options = {});

// The tag of the signature manifest for `manifest_digest`: "sha256:<hex>" → "sha256-<hex>.sig".
// kInvalidArgument unless the digest is sha256 (64 hex) or sha512 (128 hex), lower case.
Result<std::string> SignatureTag(std::string_view manifest_digest);

// The integrity check after a verified pull (spec §4.2 step 6): `manifest_json` is the manifest
// fetched by digest `verified_digest`; its bytes must hash to that digest, it must have exactly
// one `application/vnd.wasm.content.layer.v1+wasm` layer, and that layer's sha256 digest must be
// the sha256 of `local_module`. kInvalidArgument otherwise ("The digest of the local file
// doesn't match ...").
Result<void> CheckLocalDigest(std::string_view verified_digest, std::string_view manifest_json,
                              std::span<const std::uint8_t> local_module);

}  // namespace kw::verify
