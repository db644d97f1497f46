// The controller's certificate authority (spec/tooling.md §6.2, §6.5): the `kubewarden-ca` root,
// the serving certificates of policy-servers and of the controller's own webhooks, the audit
// scanner's client certificate, and the checks that decide whether what a Secret holds is still
// good.
//
// Every function is pure apart from randomness (keys, serial numbers) and takes the time it
// works at as a parameter, so callers and tests choose the clock. PEM inputs come from Secrets
// read from the API server and are treated as hostile: sizes are bounded, and anything that does
// not parse or check out is a kInvalidArgument error with a message saying why, never a crash.
// Nothing is left on OpenSSL's per-thread error queue. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace kw::certs {

using TimePoint = std::chrono::system_clock::time_point;

// What the controller generates: 10 years for a CA (Helm's 3650 days), 1 year for the rest.
inline constexpr std::chrono::days kCaValidity{3650};
inline constexpr std::chrono::days kLeafValidity{365};

// Largest PEM text accepted in any input (a certificate or key is about 1 KiB): Secrets are
// limited to 1 MiB in all, and nothing legitimate comes close to this.
inline constexpr std::size_t kMaxPemBytes = 64 << 10;

// A certificate and its private key, both PEM. Keys generated here are P-256 in SEC1 form
// ("-----BEGIN EC PRIVATE KEY-----"), as upstream writes them; keys read may be any form
// OpenSSL reads unencrypted (SEC1, PKCS#8, PKCS#1).
struct CertificateAuthority {
  std::string cert_pem;
  std::string key_pem;
};
struct IssuedCertificate {
  std::string cert_pem;
  std::string key_pem;
};

// A new self-signed root: ECDSA P-256, CN `kubewarden-controller-ca`, basicConstraints CA:TRUE
// (critical), keyUsage keyCertSign+digitalSignature+keyEncipherment, extendedKeyUsage
// clientAuth+serverAuth, a subject key identifier, a random positive serial of at most 128 bits,
// valid from an hour before `now` (clocks across a cluster disagree) until `now` + kCaValidity.
// kInternal only if OpenSSL fails.
Result<CertificateAuthority> CreateCa(TimePoint now);

// A serving certificate for `dns_name` (CN and the single DNS subjectAltName), signed by `ca`:
// new P-256 key, extendedKeyUsage clientAuth+serverAuth, keyUsage digitalSignature+
// keyEncipherment (critical), basicConstraints CA:FALSE, authority key identifier, random serial.
// Valid from an hour before `now` to `now` + `validity`, cut at the CA's own expiry (a leaf
// cannot outlive its chain). kInvalidArgument when `dns_name` is not a DNS name or `ca` is not a
// CA with its matching key.
Result<IssuedCertificate> IssueServing(const CertificateAuthority& ca, std::string_view dns_name,
                                       TimePoint now,
                                       std::chrono::seconds validity = kLeafValidity);

// A client certificate for `common_name` (printable ASCII, at most 64 bytes; the audit scanner's
// is `audit-scanner-client`), signed by `ca`: as IssueServing, without subjectAltName and with
// extendedKeyUsage clientAuth only.
Result<IssuedCertificate> IssueClient(const CertificateAuthority& ca, std::string_view common_name,
                                      TimePoint now,
                                      std::chrono::seconds validity = kLeafValidity);

// Whether `cert_pem` (exactly one certificate, as policy-server requires) is a TLS server
// certificate for `dns_name` that chains, at `at_time`, to one of the certificates in `ca_pems`
// (each entry may hold several, as a caBundle does), and, when `key_pem` is given, whether that
// holds exactly one private key and it matches the certificate. The error says what failed.
Result<void> CheckServing(std::string_view cert_pem, std::optional<std::string_view> key_pem,
                          const std::vector<std::string>& ca_pems, std::string_view dns_name,
                          TimePoint at_time);

// Whether `cert_pem` (exactly one certificate) is a CA (basicConstraints CA:TRUE, keyUsage, if
// present, allowing keyCertSign) valid at `at_time`, and, when `key_pem` is given, whether that
// holds exactly one private key, matching the certificate and of a kind this library signs
// with: EC P-256/P-384/P-521, or RSA of 2048 bits or more (an older install may hold an RSA
// root, which is as good as ours and is kept). Without the key: whether the CA can still be
// trusted, as an old CA is.
Result<void> CheckCa(std::string_view cert_pem, std::optional<std::string_view> key_pem,
                     TimePoint at_time);

// The notAfter of the first certificate of `pem`.
Result<TimePoint> NotAfter(std::string_view pem);

}  // namespace kw::certs
