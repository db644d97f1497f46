// Internal to kw_verify: the keyless half of cosign verification, offline against a TrustRoot.
//
// A keyless layer carries a short-lived Fulcio certificate (annotation
// dev.sigstore.cosign/certificate) and a Rekor bundle (dev.sigstore.cosign/bundle) whose signed
// entry timestamp (SET) proves the signature was logged while the certificate was valid. So:
// the SET is checked with a Rekor key of the trust root, the bundle's body must describe this
// very payload and signature, and the certificate must chain to a Fulcio CA *at the bundle's
// integratedTime* (the certificate itself expired ten minutes after signing).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "verify/crypto.h"
#include "verify/verify.h"

namespace kw::verify {

struct TrustRoot::Impl {
  struct Validity {
    std::optional<std::int64_t> start;  // seconds since the epoch; absent = unbounded
    std::optional<std::int64_t> end;
    bool Contains(std::int64_t t) const { return (!start || t >= *start) && (!end || t <= *end); }
  };
  struct CertificateAuthority {
    std::vector<X509Ptr> certificates;  // as listed in certChain: all are trust anchors
    Validity valid_for;
  };
  struct TransparencyLog {
    PKeyPtr key;
    std::string log_id_hex;  // lower-case hex of logId.keyId (sha256 of the DER key)
    Validity valid_for;
  };
  std::vector<CertificateAuthority> certificate_authorities;
  std::vector<TransparencyLog> tlogs;
};

// What a verified bundle tells us.
struct VerifiedBundle {
  std::int64_t integrated_time = 0;
};

// Checks the bundle JSON against the trust root's Rekor keys, and its body against `payload`,
// `signature` (decoded bytes) and, when given, the certificate `leaf_der`.
Result<VerifiedBundle> VerifyBundle(const TrustRoot::Impl& root, std::string_view bundle_json,
                                    std::string_view payload, std::string_view signature,
                                    const std::string* leaf_der);

// Checks that the PEM certificate `cert_pem` (with optional untrusted intermediates
// `chain_pem`) chains to a Fulcio CA of the trust root at `at_time`, is meant for code signing,
// and that its key verifies `signature` over `payload`. Returns who the certificate names.
Result<CertificateIdentity> VerifyCertificate(const TrustRoot::Impl& root,
                                              std::string_view cert_pem, std::string_view chain_pem,
                                              std::int64_t at_time, std::string_view payload,
                                              std::string_view signature);

// The DER of the single certificate in `cert_pem` (for matching against the bundle body).
Result<std::string> LeafDer(std::string_view cert_pem);

}  // namespace kw::verify
