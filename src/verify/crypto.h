// The OpenSSL (libcrypto) pieces the cosign checks need (and the crypto host capability, which
// parses certificates and times the same way). Inputs are
// untrusted bytes from a registry or a config file: every function fails cleanly (never crashes,
// never throws) and leaves nothing on OpenSSL's error queue. Thread-safe.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace kw::verify {

struct PKeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Deleter {
  void operator()(X509* c) const { X509_free(c); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, PKeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// A "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo) PEM block.
Result<PKeyPtr> ParsePublicKeyPem(std::string_view pem);
// A DER SubjectPublicKeyInfo (the TrustedRoot's `publicKey.rawBytes`).
Result<PKeyPtr> ParsePublicKeyDer(std::string_view der);

// Verifies `signature` over `data` the way cosign signs (spec §4.4): ECDSA (DER) with SHA-256,
// -384 or -512 for P-256, P-384 or P-521; RSA PKCS#1 v1.5 with SHA-256; pure Ed25519.
// kInvalidArgument when the signature does not verify or the key type is unsupported.
Result<void> VerifySignature(EVP_PKEY* key, std::string_view signature, std::string_view data);

// Every CERTIFICATE block of `pem`, in order; at most `max_certs`. Empty input yields none.
Result<std::vector<X509Ptr>> ParseCertificatesPem(std::string_view pem, std::size_t max_certs);
Result<X509Ptr> ParseCertificateDer(std::string_view der);

// The DER encoding of a certificate (to compare certificates byte for byte).
std::string CertificateDer(X509* cert);

// Whether `leaf` chains, at `at_time` (seconds since the epoch), to one of `anchors`, helped by
// the untrusted `intermediates`. Every anchor is trusted as is, even an intermediate CA
// (OpenSSL's partial chains), and chains are at most `max_depth` certificates long.
bool ChainsToAnchors(X509* leaf, const std::vector<X509Ptr>& anchors,
                     const std::vector<X509Ptr>& intermediates, std::int64_t at_time,
                     std::size_t max_depth);

// What else a chain must satisfy (VerifiedChain), beyond ChainsToAnchors' rules.
struct ChainRequirements {
  std::int64_t at_time = 0;  // seconds since the epoch
  std::size_t max_depth = 10;
  // The leaf's subjectAltName must cover this DNS name or IP address ("" = any); the subject's
  // CN is never consulted, as Go's VerifyHostname.
  std::string host;
};

// The chain, leaf first and anchor last, by which `leaf` verifies as ChainsToAnchors says and
// meets `requirements`; nullopt when it does not.
std::optional<std::vector<X509Ptr>> VerifiedChain(X509* leaf, const std::vector<X509Ptr>& anchors,
                                                  const std::vector<X509Ptr>& intermediates,
                                                  const ChainRequirements& requirements);

// Whether the certificate says it is for code signing (extendedKeyUsage codeSigning), as
// sigstore requires of the certificates that sign images.
bool IsCodeSigningCertificate(X509* cert);

// Whether `at_time` (seconds since the epoch) lies within the certificate's validity.
bool ValidAt(X509* cert, std::int64_t at_time);

// What a Fulcio certificate says about who signed.
struct CertificateIdentity {
  std::vector<std::string> emails;  // SAN rfc822Name entries
  std::vector<std::string> uris;    // SAN URI entries
  // OIDC issuer: extension 1.3.6.1.4.1.57264.1.8 (DER UTF8String) when present, else the legacy
  // 1.3.6.1.4.1.57264.1.1 (raw bytes).
  std::optional<std::string> issuer;
  // 1.3.6.1.4.1.57264.1.5 (legacy, raw bytes) "owner/repo", when present.
  std::optional<std::string> github_workflow_repository;
};
Result<CertificateIdentity> ReadIdentity(X509* cert);

// Seconds since the epoch for an RFC 3339 timestamp such as "2021-10-07T13:28:58.000Z" (the
// TrustedRoot's validFor bounds) or "2021-10-07T15:28:58+02:00" (a policy's not_after).
Result<std::int64_t> ParseRfc3339(std::string_view text);

}  // namespace kw::verify
