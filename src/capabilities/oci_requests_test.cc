#include "capabilities/oci_requests.h"

#include <gtest/gtest.h>

#include <variant>

#include "base/files.h"
#include "base/json.h"
#include "testing/certificates.h"
#include "testing/cosign.h"
#include "verify/crypto.h"

namespace kw::capabilities {
namespace {

const std::string& PublicKey() {
  static const std::string pem = testing::GenerateCosignKey().public_pem;
  return pem;
}

const testing::Certificates& Pki() {
  static const testing::Certificates pki = testing::MakeCertificates();
  return pki;
}

std::string Read(const std::string& path) {
  auto text = ReadFile(path);
  EXPECT_TRUE(text) << path;
  return text.value_or("");
}

json::array Bytes(std::string_view bytes) {
  json::array out;
  for (unsigned char b : bytes) out.emplace_back(b);
  return out;
}

// The message of a decoding failure ("" when it did not fail).
template <typename T>
std::string Error(const Result<T>& result) {
  EXPECT_FALSE(result) << "expected a decoding failure";
  return result ? std::string() : result.error().message;
}

TEST(OciImagePayload, NormalisesTheReferenceAsUpstream) {
  auto ref = DecodeImagePayload("v1/manifest_digest", "\"busybox\"");
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(ref->Whole(), "docker.io/library/busybox:latest");
  auto pinned = DecodeImagePayload(
      "v1/oci_manifest",
      "\"127.0.0.1:5000/a/b@sha256:" + std::string(64, 'a') + "\"");
  ASSERT_TRUE(pinned) << pinned.error().message;
  EXPECT_EQ(pinned->registry, "127.0.0.1:5000");
  EXPECT_EQ(pinned->digest, "sha256:" + std::string(64, 'a'));
}

TEST(OciImagePayload, RefusesWhatIsNotAnImageReference) {
  EXPECT_TRUE(Error(DecodeImagePayload("v1/manifest_digest", "busybox"))
                  .starts_with("cannot decode the oci/v1/manifest_digest payload: "));
  EXPECT_EQ(Error(DecodeImagePayload("v1/oci_manifest", "{\"image\":\"busybox\"}")),
            "cannot decode the oci/v1/oci_manifest payload: expected a JSON string (the image "
            "reference)");
  EXPECT_TRUE(Error(DecodeImagePayload("v1/oci_manifest_config", "\"UPPER/Case\""))
                  .starts_with("cannot decode the oci/v1/oci_manifest_config payload: "));
  EXPECT_TRUE(Error(DecodeImagePayload("v1/manifest_digest",
                                       "\"" + std::string(5000, 'a') + "\""))
                  .ends_with("bytes is more than the limit of 4096 bytes"));
}

std::string V2(json::object fields) { return ToJson(fields); }

TEST(OciVerifyV2, PubKeysAreAllRequired) {
  auto request = DecodeVerifyV2(V2({{"type", "SigstorePubKeyVerify"},
                                    {"image", "ghcr.io/org/app:v1"},
                                    {"pub_keys", json::array{PublicKey(), PublicKey()}},
                                    {"annotations", json::object{{"env", "prod"}}}}));
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->image.Whole(), "ghcr.io/org/app:v1");
  ASSERT_EQ(request->config.all_of.size(), 2u);
  EXPECT_FALSE(request->config.any_of);
  const auto& key = std::get<verify::PubKeySignature>(request->config.all_of[0]);
  EXPECT_EQ(key.key, PublicKey());
  EXPECT_EQ(key.annotations, (verify::Annotations{{"env", "prod"}}));
}

TEST(OciVerifyV2, KeylessIsExactAndAllRequired) {
  auto request = DecodeVerifyV2(V2({{"type", "SigstoreKeylessVerify"},
                                    {"image", "busybox"},
                                    {"keyless", json::array{json::object{
                                                    {"issuer", "https://issuer"},
                                                    {"subject", "me@example.com"}}}},
                                    {"annotations", nullptr}}));
  ASSERT_TRUE(request) << request.error().message;
  ASSERT_EQ(request->config.all_of.size(), 1u);
  const auto& c = std::get<verify::GenericIssuerSignature>(request->config.all_of[0]);
  EXPECT_EQ(c.issuer, "https://issuer");
  EXPECT_EQ(c.subject.kind, verify::SubjectMatcher::Kind::kEqual);
  EXPECT_EQ(c.subject.value, "me@example.com");
  EXPECT_FALSE(c.annotations);
}

TEST(OciVerifyV2, KeylessPrefixNeedsOneMatchAndEndsAtASegment) {
  auto request = DecodeVerifyV2(V2(
      {{"type", "SigstoreKeylessPrefixVerify"},
       {"image", "busybox"},
       {"keyless_prefix",
        json::array{json::object{{"issuer", "i"}, {"url_prefix", "https://github.com/org"}},
                    json::object{{"issuer", "i"}, {"url_prefix", "https://github.com/x/"}}}}}));
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_TRUE(request->config.all_of.empty());
  ASSERT_TRUE(request->config.any_of);
  EXPECT_EQ(request->config.any_of->minimum_matches, 1);
  ASSERT_EQ(request->config.any_of->signatures.size(), 2u);
  const auto& c = std::get<verify::GenericIssuerSignature>(request->config.any_of->signatures[0]);
  EXPECT_EQ(c.subject.kind, verify::SubjectMatcher::Kind::kUrlPrefix);
  EXPECT_EQ(c.subject.value, "https://github.com/org/");
  EXPECT_EQ(std::get<verify::GenericIssuerSignature>(request->config.any_of->signatures[1])
                .subject.value,
            "https://github.com/x/");
}

TEST(OciVerifyV2, GithubActionsWithAndWithoutRepo) {
  auto owner_only = DecodeVerifyV2(
      V2({{"type", "SigstoreGithubActionsVerify"}, {"image", "busybox"}, {"owner", "kubewarden"}}));
  ASSERT_TRUE(owner_only) << owner_only.error().message;
  const auto& c = std::get<verify::GithubActionSignature>(owner_only->config.all_of.at(0));
  EXPECT_EQ(c.owner, "kubewarden");
  EXPECT_FALSE(c.repo);
  auto with_repo = DecodeVerifyV2(V2({{"type", "SigstoreGithubActionsVerify"},
                                      {"image", "busybox"},
                                      {"owner", "kubewarden"},
                                      {"repo", "policies"}}));
  ASSERT_TRUE(with_repo) << with_repo.error().message;
  EXPECT_EQ(std::get<verify::GithubActionSignature>(with_repo->config.all_of.at(0)).repo,
            "policies");
}

TEST(OciVerifyV2, CertificateTakesPemOrDerBytes) {
  const std::string pem = Read(Pki().server_cert);
  auto certs = verify::ParseCertificatesPem(pem, 1);
  ASSERT_TRUE(certs && certs->size() == 1);
  const std::string der = verify::CertificateDer((*certs)[0].get());
  const json::value ca = Bytes(Read(Pki().ca));  // a value: json::array{an array} copies it
  auto request = DecodeVerifyV2(V2({{"type", "SigstoreCertificateVerify"},
                                    {"image", "busybox"},
                                    {"certificate", Bytes(der)},
                                    {"certificate_chain", json::array{ca}},
                                    {"require_rekor_bundle", true},
                                    {"annotations", json::object{{"a", "b"}}}}));
  ASSERT_TRUE(request) << request.error().message;
  const auto& c = std::get<verify::CertificateSignature>(request->config.all_of.at(0));
  EXPECT_TRUE(c.certificate.starts_with("-----BEGIN CERTIFICATE-----"));
  ASSERT_TRUE(c.chain);
  EXPECT_EQ(c.chain->size(), 1u);
  EXPECT_TRUE(c.require_rekor_bundle);
  EXPECT_EQ(c.annotations, (verify::Annotations{{"a", "b"}}));

  auto no_chain = DecodeVerifyV2(V2({{"type", "SigstoreCertificateVerify"},
                                     {"image", "busybox"},
                                     {"certificate", Bytes(pem)},
                                     {"certificate_chain", nullptr},
                                     {"require_rekor_bundle", false}}));
  ASSERT_TRUE(no_chain) << no_chain.error().message;
  EXPECT_FALSE(std::get<verify::CertificateSignature>(no_chain->config.all_of.at(0)).chain);
}

TEST(OciVerifyV2, RefusesMalformedPayloads) {
  const std::string prefix = "cannot decode the oci/v2/verify payload: ";
  EXPECT_TRUE(Error(DecodeVerifyV2("{")).starts_with(prefix));
  EXPECT_EQ(Error(DecodeVerifyV2("[]")), prefix + "field 'payload' must be an object, got a list");
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"image", "busybox"}}))), prefix + "missing field 'type'");
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"type", "SigstoreMagic"}, {"image", "busybox"}}))),
            prefix +
                "unknown type 'SigstoreMagic', expected one of: SigstorePubKeyVerify, "
                "SigstoreKeylessVerify, SigstoreKeylessPrefixVerify, "
                "SigstoreGithubActionsVerify, SigstoreCertificateVerify");
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"type", "SigstorePubKeyVerify"},
                                     {"image", "busybox"},
                                     {"pub_keys", json::array{}}}))),
            prefix + "field 'pub_keys' must list at least one entry");
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"type", "SigstorePubKeyVerify"}, {"image", "busybox"}}))),
            prefix + "missing field 'pub_keys'");
  EXPECT_TRUE(Error(DecodeVerifyV2(V2({{"type", "SigstorePubKeyVerify"},
                                       {"image", "busybox"},
                                       {"pub_keys", json::array{"not a key"}}})))
                  .starts_with(prefix + "field 'pub_keys[0]': "));
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"type", "SigstorePubKeyVerify"},
                                     {"image", "busybox"},
                                     {"pub_keys", json::array{PublicKey()}},
                                     {"annotations", json::array{}}}))),
            prefix + "field 'annotations' must be a map of strings or null, got a list");
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"type", "SigstorePubKeyVerify"},
                                     {"image", "busybox"},
                                     {"pub_keys", json::array{PublicKey()}},
                                     {"annotations", json::object{{"n", 1}}}}))),
            prefix + "field 'annotations.n' must be a string, got a number");
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"type", "SigstoreKeylessVerify"},
                                     {"image", "busybox"},
                                     {"keyless", json::array{json::object{{"issuer", "i"}}}}}))),
            prefix + "missing field 'keyless[0].subject'");
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"type", "SigstoreKeylessPrefixVerify"},
                                     {"image", "busybox"},
                                     {"keyless_prefix", json::array{json::object{
                                                            {"issuer", "i"},
                                                            {"urlPrefix", "https://x/"}}}}}))),
            prefix + "missing field 'keyless_prefix[0].url_prefix'");
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"type", "SigstoreGithubActionsVerify"},
                                     {"image", "busybox"},
                                     {"owner", "o"},
                                     {"repo", 3}}))),
            prefix + "field 'repo' must be a string, got a number");
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"type", "SigstoreCertificateVerify"},
                                     {"image", "busybox"},
                                     {"certificate", json::array{1, 2, 300}},
                                     {"require_rekor_bundle", false}}))),
            prefix + "field 'certificate[2]' must be a byte (a number from 0 to 255), got 300");
  EXPECT_TRUE(Error(DecodeVerifyV2(V2({{"type", "SigstoreCertificateVerify"},
                                       {"image", "busybox"},
                                       {"certificate", Bytes("garbage")},
                                       {"require_rekor_bundle", false}})))
                  .starts_with(prefix + "field 'certificate': "));
  EXPECT_EQ(Error(DecodeVerifyV2(V2({{"type", "SigstoreCertificateVerify"},
                                     {"image", "busybox"},
                                     {"certificate", Bytes(Read(Pki().server_cert))}}))),
            prefix + "missing field 'require_rekor_bundle'");
  EXPECT_TRUE(Error(DecodeVerifyV2(V2({{"type", "SigstoreGithubActionsVerify"},
                                       {"image", "Not An Image"},
                                       {"owner", "o"}})))
                  .starts_with(prefix + "field 'image': "));
  EXPECT_TRUE(Error(DecodeVerifyV2(std::string(kMaxOciVerifyPayload + 1, ' ')))
                  .ends_with("bytes is more than the limit of 2097152 bytes"));
}

TEST(OciVerifyV1, IsExternallyTagged) {
  auto keys = DecodeVerifyV1(ToJson(json::object{
      {"SigstorePubKeyVerify", json::object{{"image", "busybox"},
                                            {"pub_keys", json::array{PublicKey()}},
                                            {"annotations", nullptr}}}}));
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_TRUE(std::holds_alternative<verify::PubKeySignature>(keys->config.all_of.at(0)));
  auto keyless = DecodeVerifyV1(ToJson(json::object{
      {"SigstoreKeylessVerify",
       json::object{{"image", "busybox"},
                    {"keyless", json::array{json::object{{"issuer", "i"}, {"subject", "s"}}}}}}}));
  ASSERT_TRUE(keyless) << keyless.error().message;
  EXPECT_TRUE(
      std::holds_alternative<verify::GenericIssuerSignature>(keyless->config.all_of.at(0)));

  const std::string prefix = "cannot decode the oci/v1/verify payload: ";
  // v2's shapes are not v1's.
  EXPECT_EQ(Error(DecodeVerifyV1(ToJson(json::object{
                {"SigstoreGithubActionsVerify", json::object{{"image", "b"}, {"owner", "o"}}}}))),
            prefix +
                "unknown variant 'SigstoreGithubActionsVerify', expected one of: "
                "SigstorePubKeyVerify, SigstoreKeylessVerify");
  EXPECT_EQ(Error(DecodeVerifyV1(ToJson(json::object{{"type", "SigstorePubKeyVerify"},
                                                     {"image", "busybox"}}))),
            prefix +
                "expected an object with one key, SigstorePubKeyVerify or SigstoreKeylessVerify");
  EXPECT_EQ(Error(DecodeVerifyV1(ToJson(json::object{{"SigstorePubKeyVerify", "busybox"}}))),
            prefix + "field 'SigstorePubKeyVerify' must be an object, got a string");
}

}  // namespace
}  // namespace kw::capabilities
