// The controller's certificate checks over hostile Secrets (src/certs): what `kubewarden-ca` and
// a serving certificate Secret may hold when someone else wrote them. The first byte picks what
// runs; the rest is split on NUL bytes into ca.crt, ca.key, old-ca.crt, tls.crt and tls.key.
// - even: the parsers and checks alone (fast: no key is generated);
// - odd: a whole controller pass: RotateCa must leave a CA that is usable through the renewal
//   window and a bundle that parses, and a certificate found to need re-issuing must not need it
//   once issued by that CA.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "certs/certificates.h"
#include "certs/rotation.h"
#include "verify/crypto.h"

namespace {

using kw::certs::TimePoint;

constexpr std::string_view kHost = "policy-server-default.kubewarden.svc";
// Fixed, so that a crash replays: the seeds are valid at this time.
const TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 12 / 6} + std::chrono::hours{13};

void Check(bool holds) {
  if (!holds) __builtin_trap();
}

void ChecksAlone(const std::vector<std::string>& f) {
  const std::vector<std::string> anchors{f[0], f[2]};
  (void)kw::certs::CheckCa(f[0], f[1], kNow);
  (void)kw::certs::CheckCa(f[2], std::nullopt, kNow);
  (void)kw::certs::CheckServing(f[3], f[4], anchors, kHost, kNow);
  (void)kw::certs::CheckServing(f[3], std::nullopt, {f[3]}, kHost, kNow);
  (void)kw::certs::NotAfter(f[3]);
}

void ControllerPass(const std::vector<std::string>& f) {
  kw::certs::SecretData ca_secret;
  const std::string_view ca_keys[] = {kw::certs::kCaCertKey, kw::certs::kCaKeyKey,
                                      kw::certs::kOldCaCertKey};
  for (int i = 0; i < 3; ++i) {
    if (!f[i].empty()) ca_secret[std::string(ca_keys[i])] = f[i];
  }
  auto rotation = kw::certs::RotateCa(ca_secret, kNow);
  Check(rotation.has_value());
  Check(rotation->changed == (rotation->data != ca_secret));
  const std::string& ca_cert = rotation->data.at(std::string(kw::certs::kCaCertKey));
  const std::string& ca_key = rotation->data.at(std::string(kw::certs::kCaKeyKey));
  Check(kw::certs::CheckCa(ca_cert, ca_key, kNow + kw::certs::kRenewBefore).has_value());
  auto bundle = kw::verify::ParseCertificatesPem(rotation->ca_bundle, 2);
  Check(bundle.has_value() && !bundle->empty());

  kw::certs::SecretData tls{{std::string(kw::certs::kTlsCertKey), f[3]},
                            {std::string(kw::certs::kTlsKeyKey), f[4]}};
  if (!kw::certs::NeedsReissue(tls, ca_cert, kHost, kNow)) return;
  auto issued = kw::certs::IssueServing({ca_cert, ca_key}, kHost, kNow);
  Check(issued.has_value());
  tls = {{std::string(kw::certs::kTlsCertKey), issued->cert_pem},
         {std::string(kw::certs::kTlsKeyKey), issued->key_pem}};
  Check(!kw::certs::NeedsReissue(tls, ca_cert, kHost, kNow));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool whole_pass = (data[0] & 1) != 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> fields(5);
  for (std::size_t i = 0; i < fields.size() && !rest.empty(); ++i) {
    const std::size_t end = i + 1 < fields.size() ? rest.find('\0') : std::string_view::npos;
    fields[i] = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  if (whole_pass) {
    ControllerPass(fields);
  } else {
    ChecksAlone(fields);
  }
  return 0;
}
