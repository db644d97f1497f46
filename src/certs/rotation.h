// When the controller replaces its CA and the certificates it signed (spec/tooling.md §6.5), as
// pure decisions over the data of Secrets: the caller reads the Secrets, asks, and writes back
// only what changed. Secret data here is decoded (the bytes, not the API's base64).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "base/error.h"
#include "certs/certificates.h"

namespace kw::certs {

using SecretData = std::map<std::string, std::string>;

// Keys of the `kubewarden-ca` Secret (upstream's chart and controller) and of the serving
// certificate Secrets (`policy-server-<ps>`, `kubewarden-webhook-server-cert`).
inline constexpr std::string_view kCaCertKey = "ca.crt";
inline constexpr std::string_view kCaKeyKey = "ca.key";
inline constexpr std::string_view kOldCaCertKey = "old-ca.crt";
inline constexpr std::string_view kTlsCertKey = "tls.crt";
inline constexpr std::string_view kTlsKeyKey = "tls.key";

// How long before expiry a CA or a certificate is replaced: the controller checks every 12 hours,
// and a replaced certificate reaches pods only after the kubelet syncs the Secret volume, so
// this leaves weeks of slack in which a missed pass or a slow rollout does no harm.
inline constexpr std::chrono::days kRenewBefore{60};

struct CaRotation {
  SecretData data;   // the `kubewarden-ca` Secret's data to store (other keys kept as they were)
  bool changed = false;  // whether `data` differs from what was passed in
  // The caBundle of every webhook configuration: ca.crt, then old-ca.crt when there is one.
  std::string ca_bundle;
};

// The `kubewarden-ca` Secret's data after this pass, from its current data (empty when the
// Secret does not exist). Rules, and why:
// - ca.crt/ca.key missing, unparsable, not a CA, not matching, or not valid over all of
//   [now, now + kRenewBefore] → a new CA (CreateCa). Anything else would have the controller
//   sign with a root that is, or soon will be, refused.
// - When a new CA replaces a ca.crt that is still a CA valid at `now`, that ca.crt becomes
//   old-ca.crt: certificates it signed are still being served until they are re-issued, and
//   API servers must keep trusting them meanwhile. Otherwise an existing old-ca.crt still valid
//   at `now` is kept for the same reason.
// - An old-ca.crt that is unparsable, not a CA, or expired at `now` is dropped: it can no longer
//   vouch for anything, and a bundle with an expired root is noise at best.
// The CA key never leaves this Secret; only the certificates go into the bundle. Fails only when
// OpenSSL cannot create a CA.
Result<CaRotation> RotateCa(const SecretData& current, TimePoint now);

// The caBundle a `kubewarden-ca` Secret's data stands for: ca.crt, then old-ca.crt when there is
// one ("" without ca.crt).
std::string CaBundleOf(const SecretData& ca_secret);

// Whether a serving certificate Secret's data (tls.crt, tls.key) must be issued again for
// `dns_name` under the CA `current_ca_pem`. True when:
// - tls.crt or tls.key is missing or unparsable, or the key does not match: the server cannot
//   use it at all;
// - the certificate does not chain to `current_ca_pem` (an old CA's, or a stranger's): it must
//   move to the current CA before the old one leaves the bundles;
// - it is not valid for `dns_name` at `now` or at `now` + kRenewBefore: renewed well before it
//   expires, for the reasons of kRenewBefore.
bool NeedsReissue(const SecretData& tls_secret, std::string_view current_ca_pem,
                  std::string_view dns_name, TimePoint now);

}  // namespace kw::certs
