// The `crypto` host capabilities: `crypto/v1/is_certificate_trusted`.
//
// Payload: {"cert": Cert, "cert_chain": [Cert] | null, "not_after": RFC 3339 | null | ""}, where
// Cert is {"encoding": "Pem" | "Der", "data": [bytes as JSON numbers]} (serde's Vec<u8>, not
// base64); unknown fields are ignored, as serde does. Answer: {"trusted": bool, "reason": str}
// with upstream's reasons (reason "" when trusted).
//
// As upstream (webpki): the verification time is `not_after` when given, else now; the
// certificate's own validity is checked at that time first ("Certificate is being used after
// its expiration date" / "... before its validity date"), then its chain: every certificate of
// `cert_chain` is a trust anchor (OpenSSL's partial chains), or, without a chain, the system
// trust store (Debian's ca-certificates, Mozilla's roots as upstream's webpki-roots). An unknown
// issuer is "Certificate is not trusted by the provided cert chain", any other failure
// "Certificate not trusted: <OpenSSL's reason>". No key-usage check is made (OpenSSL's "any"
// purpose).
//
// A payload that does not decode, or a certificate whose bytes are not one (bad PEM or DER), is a
// host error, not an untrusted answer, as serde and the PEM decoding fail upstream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "host/host.h"

namespace kw::capabilities {

// A payload above this size is refused before it is parsed: each certificate byte costs up to
// four payload bytes and a JSON value, so this admits chains of about a hundred certificates
// while bounding the memory of one call.
inline constexpr std::size_t kMaxCertificateTrustPayload = 2 << 20;

struct Certificate {
  enum class Encoding { kPem, kDer };
  Encoding encoding = Encoding::kPem;
  std::string data;
};

struct CertificateTrustRequest {
  Certificate cert;
  std::optional<std::vector<Certificate>> chain;  // nullopt: the system trust store
  std::optional<std::int64_t> not_after;          // seconds since the epoch; nullopt: now
};

struct CertificateTrust {
  bool trusted = false;
  std::string reason;
};

// kInvalidArgument naming the field at fault ("field 'cert.data[3]' must be ...").
Result<CertificateTrustRequest> DecodeCertificateTrustRequest(std::string_view payload);

// kInvalidArgument when a certificate's bytes cannot be decoded.
Result<CertificateTrust> CheckCertificateTrust(const CertificateTrustRequest& request);

// Registers the `crypto` namespace.
void RegisterCrypto(host::Dispatcher& dispatcher);

}  // namespace kw::capabilities
