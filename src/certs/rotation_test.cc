// Rotation decisions over simulated time: the `kubewarden-ca` Secret as the controller would see
// it pass after pass, years apart.
#include "certs/rotation.h"

#include <gtest/gtest.h>

#include "verify/crypto.h"

namespace kw::certs {
namespace {

using namespace std::chrono;

const TimePoint kNow = sys_days{2026y / December / 6} + 13h;
constexpr std::string_view kHost = "policy-server-default.kubewarden.svc";

CaRotation Rotate(const SecretData& data, TimePoint now) {
  auto rotation = RotateCa(data, now);
  EXPECT_TRUE(rotation) << rotation.error().message;
  return rotation.value_or(CaRotation{});
}

std::string At(const SecretData& data, std::string_view key) {
  auto it = data.find(std::string(key));
  return it == data.end() ? "" : it->second;
}

std::size_t CertificatesIn(std::string_view pem) {
  auto certs = verify::ParseCertificatesPem(pem, 8);
  EXPECT_TRUE(certs) << pem;
  return certs ? certs->size() : 0;
}

SecretData TlsSecret(const IssuedCertificate& issued) {
  return {{"tls.crt", issued.cert_pem}, {"tls.key", issued.key_pem}};
}

TEST(RotateCa, CreatesACaWhenThereIsNone) {
  const CaRotation first = Rotate({}, kNow);
  EXPECT_TRUE(first.changed);
  EXPECT_TRUE(CheckCa(At(first.data, "ca.crt"), At(first.data, "ca.key"), kNow));
  EXPECT_FALSE(first.data.contains("old-ca.crt"));
  EXPECT_EQ(first.ca_bundle, At(first.data, "ca.crt"));

  // Nothing to do on the next pass: the controller writes nothing at steady state.
  const CaRotation second = Rotate(first.data, kNow + hours{12});
  EXPECT_FALSE(second.changed);
  EXPECT_EQ(second.data, first.data);
  EXPECT_EQ(second.ca_bundle, first.ca_bundle);
}

TEST(RotateCa, ReplacesTheCaBeforeItExpiresAndDropsItOnceExpired) {
  const SecretData initial = Rotate({}, kNow).data;
  const std::string first_ca = At(initial, "ca.crt");
  auto expiry = NotAfter(first_ca);
  ASSERT_TRUE(expiry);

  // More than 60 days left: kept.
  EXPECT_FALSE(Rotate(initial, *expiry - days{61}).changed);

  // Nine years and eleven months on, a month is left: a new CA, the old one still trusted.
  const TimePoint later = sys_days{2036y / November / 6} + 13h;
  const CaRotation rotated = Rotate(initial, later);
  EXPECT_TRUE(rotated.changed);
  const std::string second_ca = At(rotated.data, "ca.crt");
  EXPECT_NE(second_ca, first_ca);
  EXPECT_TRUE(CheckCa(second_ca, At(rotated.data, "ca.key"), later + days{3000}));
  EXPECT_EQ(At(rotated.data, "old-ca.crt"), first_ca);
  EXPECT_EQ(rotated.ca_bundle, second_ca + first_ca);
  EXPECT_EQ(CertificatesIn(rotated.ca_bundle), 2u);
  EXPECT_FALSE(Rotate(rotated.data, later + hours{12}).changed);

  // Ten years and a day on, the first CA has expired: dropped from the Secret and the bundle.
  const TimePoint expired = sys_days{2036y / December / 7} + 13h;
  const CaRotation dropped = Rotate(rotated.data, expired);
  EXPECT_TRUE(dropped.changed);
  EXPECT_EQ(At(dropped.data, "ca.crt"), second_ca);
  EXPECT_FALSE(dropped.data.contains("old-ca.crt"));
  EXPECT_EQ(dropped.ca_bundle, second_ca);
}

TEST(RotateCa, ReplacesWhatCannotBeSignedWith) {
  const SecretData good = Rotate({}, kNow).data;
  const SecretData other = Rotate({}, kNow).data;
  const std::string ca = At(good, "ca.crt");

  // The key of another CA: the certificate is still a trusted root, kept as the old CA.
  SecretData mismatched = good;
  mismatched["ca.key"] = At(other, "ca.key");
  CaRotation r = Rotate(mismatched, kNow);
  EXPECT_TRUE(r.changed);
  EXPECT_NE(At(r.data, "ca.crt"), ca);
  EXPECT_EQ(At(r.data, "old-ca.crt"), ca);

  // No key at all: the same.
  SecretData keyless = good;
  keyless.erase("ca.key");
  r = Rotate(keyless, kNow);
  EXPECT_TRUE(CheckCa(At(r.data, "ca.crt"), At(r.data, "ca.key"), kNow));
  EXPECT_EQ(At(r.data, "old-ca.crt"), ca);

  // Garbage: nothing worth keeping, unless an old CA is still good.
  r = Rotate({{"ca.crt", "garbage"}, {"ca.key", "garbage"}}, kNow);
  EXPECT_TRUE(CheckCa(At(r.data, "ca.crt"), At(r.data, "ca.key"), kNow));
  EXPECT_FALSE(r.data.contains("old-ca.crt"));
  r = Rotate({{"ca.crt", "garbage"}, {"ca.key", "garbage"}, {"old-ca.crt", ca}}, kNow);
  EXPECT_EQ(At(r.data, "old-ca.crt"), ca);

  // Several certificates where one belongs.
  r = Rotate({{"ca.crt", ca + At(other, "ca.crt")}, {"ca.key", At(good, "ca.key")}}, kNow);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(CertificatesIn(At(r.data, "ca.crt")), 1u);
}

TEST(RotateCa, DropsAnOldCaThatCannotBeTrusted) {
  SecretData data = Rotate({}, kNow).data;
  data["old-ca.crt"] = "garbage";
  data["unrelated"] = "kept";
  const CaRotation r = Rotate(data, kNow);
  EXPECT_TRUE(r.changed);
  EXPECT_FALSE(r.data.contains("old-ca.crt"));
  EXPECT_EQ(At(r.data, "ca.crt"), At(data, "ca.crt"));
  EXPECT_EQ(At(r.data, "unrelated"), "kept");
}

TEST(RotateCa, BundleKeepsPemBlocksOnTheirOwnLines) {
  SecretData data = Rotate({}, kNow).data;
  const std::string old_ca = At(Rotate({}, kNow).data, "ca.crt");
  std::string ca = At(data, "ca.crt");
  ca.pop_back();  // no final newline, as a hand-made Secret may have it
  data["ca.crt"] = ca;
  data["old-ca.crt"] = old_ca;
  const CaRotation r = Rotate(data, kNow);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.ca_bundle, ca + "\n" + old_ca);
  EXPECT_EQ(CertificatesIn(r.ca_bundle), 2u);
}

TEST(NeedsReissue, KeepsAGoodCertificate) {
  auto ca = CreateCa(kNow);
  ASSERT_TRUE(ca);
  auto leaf = IssueServing(*ca, kHost, kNow);
  ASSERT_TRUE(leaf);
  EXPECT_FALSE(NeedsReissue(TlsSecret(*leaf), ca->cert_pem, kHost, kNow));
  EXPECT_FALSE(NeedsReissue(TlsSecret(*leaf), ca->cert_pem, kHost, kNow + days{300}));
}

TEST(NeedsReissue, ReissuesWhatIsMissingWrongOrExpiring) {
  auto ca = CreateCa(kNow);
  auto other_ca = CreateCa(kNow);
  ASSERT_TRUE(ca && other_ca);
  auto leaf = IssueServing(*ca, kHost, kNow);
  auto other = IssueServing(*ca, kHost, kNow);
  ASSERT_TRUE(leaf && other);
  const SecretData good = TlsSecret(*leaf);

  EXPECT_TRUE(NeedsReissue({}, ca->cert_pem, kHost, kNow));
  EXPECT_TRUE(NeedsReissue({{"tls.crt", leaf->cert_pem}}, ca->cert_pem, kHost, kNow));
  EXPECT_TRUE(NeedsReissue({{"tls.key", leaf->key_pem}}, ca->cert_pem, kHost, kNow));
  EXPECT_TRUE(NeedsReissue({{"tls.crt", leaf->cert_pem}, {"tls.key", other->key_pem}},
                           ca->cert_pem, kHost, kNow));
  EXPECT_TRUE(NeedsReissue({{"tls.crt", "garbage"}, {"tls.key", "garbage"}}, ca->cert_pem, kHost,
                           kNow));
  EXPECT_TRUE(NeedsReissue(good, ca->cert_pem, "policy-server-renamed.kubewarden.svc", kNow));
  EXPECT_TRUE(NeedsReissue(good, other_ca->cert_pem, kHost, kNow));
  EXPECT_TRUE(NeedsReissue(good, "garbage", kHost, kNow));
  // Less than 60 days left.
  EXPECT_TRUE(NeedsReissue(good, ca->cert_pem, kHost, kNow + days{306}));
}

// The whole dance across a rotation: the leaf signed by the previous CA stays trusted through
// the bundle until it is re-issued by the new one.
TEST(NeedsReissue, MovesLeavesToTheNewCaWhileTheBundleTrustsBoth) {
  const SecretData initial = Rotate({}, kNow).data;
  const CertificateAuthority first{At(initial, "ca.crt"), At(initial, "ca.key")};
  auto leaf = IssueServing(first, kHost, sys_days{2036y / October / 1});
  ASSERT_TRUE(leaf);

  const TimePoint later = sys_days{2036y / November / 6} + 13h;
  const CaRotation rotated = Rotate(initial, later);
  ASSERT_TRUE(rotated.changed);
  EXPECT_TRUE(CheckServing(leaf->cert_pem, leaf->key_pem, {rotated.ca_bundle}, kHost, later));
  const std::string current = At(rotated.data, "ca.crt");
  EXPECT_TRUE(NeedsReissue(TlsSecret(*leaf), current, kHost, later));

  auto reissued = IssueServing({current, At(rotated.data, "ca.key")}, kHost, later);
  ASSERT_TRUE(reissued);
  EXPECT_FALSE(NeedsReissue(TlsSecret(*reissued), current, kHost, later));
  EXPECT_TRUE(CheckServing(reissued->cert_pem, reissued->key_pem, {rotated.ca_bundle}, kHost,
                           later));
}

}  // namespace
}  // namespace kw::certs
