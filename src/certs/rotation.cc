#include "certs/rotation.h"

#include <optional>

namespace kw::certs {
namespace {

std::optional<std::string_view> Find(const SecretData& data, std::string_view key) {
  if (auto it = data.find(std::string(key)); it != data.end()) return it->second;
  return std::nullopt;
}

// A CA we can keep signing with through the whole renewal window.
bool UsableUntilRenewal(const SecretData& data, TimePoint now) {
  const auto cert = Find(data, kCaCertKey);
  const auto key = Find(data, kCaKeyKey);
  return cert && key && CheckCa(*cert, *key, now) && CheckCa(*cert, *key, now + kRenewBefore);
}

// A CA certificate that can still vouch for what it signed.
bool StillTrusted(std::optional<std::string_view> cert, TimePoint now) {
  return cert && CheckCa(*cert, std::nullopt, now).has_value();
}

}  // namespace

Result<CaRotation> RotateCa(const SecretData& current, TimePoint now) {
  CaRotation out{.data = current};
  const auto old_ca = Find(current, kOldCaCertKey);
  if (!UsableUntilRenewal(current, now)) {
    std::optional<std::string> keep;
    if (const auto previous = Find(current, kCaCertKey); StillTrusted(previous, now)) {
      keep = std::string(*previous);
    } else if (StillTrusted(old_ca, now)) {
      keep = std::string(*old_ca);
    }
    KW_ASSIGN_OR_RETURN(CertificateAuthority ca, CreateCa(now));
    out.data[std::string(kCaCertKey)] = std::move(ca.cert_pem);
    out.data[std::string(kCaKeyKey)] = std::move(ca.key_pem);
    if (keep) {
      out.data[std::string(kOldCaCertKey)] = std::move(*keep);
    } else {
      out.data.erase(std::string(kOldCaCertKey));
    }
  } else if (old_ca && !StillTrusted(old_ca, now)) {
    out.data.erase(std::string(kOldCaCertKey));
  }
  out.changed = out.data != current;

  out.ca_bundle = CaBundleOf(out.data);
  return out;
}

std::string CaBundleOf(const SecretData& ca_secret) {
  std::string bundle;
  if (const auto current = Find(ca_secret, kCaCertKey)) bundle = *current;
  if (const auto old = Find(ca_secret, kOldCaCertKey)) {
    // PEM blocks must start on a line of their own.
    if (!bundle.empty() && bundle.back() != '\n') bundle += '\n';
    bundle += *old;
  }
  return bundle;
}

bool NeedsReissue(const SecretData& tls_secret, std::string_view current_ca_pem,
                  std::string_view dns_name, TimePoint now) {
  const auto cert = Find(tls_secret, kTlsCertKey);
  const auto key = Find(tls_secret, kTlsKeyKey);
  if (!cert || !key) return true;
  const std::vector<std::string> cas{std::string(current_ca_pem)};
  return !CheckServing(*cert, *key, cas, dns_name, now) ||
         !CheckServing(*cert, std::nullopt, cas, dns_name, now + kRenewBefore);
}

}  // namespace kw::certs
