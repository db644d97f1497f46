#include "verify/verify.h"

#include <gtest/gtest.h>

#include "base/sha256.h"
#include "testing/cosign.h"
#include "testing/verify_support.h"

namespace kw::verify {
namespace {

namespace kt = kw::testing;

constexpr char kReference[] = "ghcr.io/kubewarden/policies/pod-privileged:v1.0.0";
const std::string kDigest = "sha256:" + std::string(64, 'a');
const std::string kOtherDigest = "sha256:" + std::string(64, 'b');

using test::AllOf;
using test::FakeSource;

VerificationConfig AnyOf(std::vector<SignatureConstraint> any, std::uint8_t minimum) {
  VerificationConfig c;
  c.api_version = "v1";
  c.any_of = verify::AnyOf{minimum, std::move(any)};
  return c;
}

PubKeySignature Key(const kt::CosignKey& k, std::optional<Annotations> a = std::nullopt) {
  return PubKeySignature{std::nullopt, k.public_pem, std::move(a)};
}

class KeyVerifyTest : public ::testing::Test {
 protected:
  kt::CosignKey alice_ = kt::GenerateCosignKey();
  kt::CosignKey bob_ = kt::GenerateCosignKey();
  kt::CosignKey carol_ = kt::GenerateCosignKey();
  FakeSource source_;

  kt::CosignLayer Signed(const kt::CosignKey& k, const kt::StringMap& annotations = {},
                         const std::string& digest = "") {
    return kt::KeyedLayer(
        k, kt::SimpleSigningPayload(kReference, digest.empty() ? kDigest : digest, annotations));
  }

  Result<VerifiedImage> Run(const VerificationConfig& config) {
    return Verify(config, source_, kReference, kDigest);
  }
};

void ExpectFailure(const Result<VerifiedImage>& r, std::string_view text) {
  ASSERT_FALSE(r.has_value()) << "expected failure containing: " << text;
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(r.error().message.starts_with("Image verification failed: ")) << r.error().message;
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
}

TEST_F(KeyVerifyTest, AcceptsSignatureFromTheKey) {
  source_.Add(Signed(alice_));
  auto r = Run(AllOf({Key(alice_)}));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->digest, kDigest);
  EXPECT_EQ(source_.asked_reference, kReference);
  EXPECT_EQ(source_.asked_digest, kDigest);
}

TEST_F(KeyVerifyTest, RejectsOtherKey) {
  source_.Add(Signed(bob_));
  ExpectFailure(Run(AllOf({Key(alice_)})), "signature does not verify with this key");
}

TEST_F(KeyVerifyTest, RejectsTamperedPayload) {
  kt::CosignLayer layer = Signed(alice_, {{"env", "dev"}});
  // Same length, so only the signature can tell.
  layer.payload.replace(layer.payload.find("\"dev\""), 5, "\"prd\"");
  kt::RefreshDigest(layer);
  source_.Add(layer);
  ExpectFailure(Run(AllOf({Key(alice_)})), "signature does not verify with this key");
}

TEST_F(KeyVerifyTest, RejectsPayloadNotMatchingLayerDigest) {
  kt::CosignLayer layer = Signed(alice_);
  layer.digest = "sha256:" + std::string(64, 'c');
  source_.Add(layer);
  ExpectFailure(Run(AllOf({Key(alice_)})), "payload does not match the layer digest");
}

TEST_F(KeyVerifyTest, NoSignaturesFound) {
  ExpectFailure(Run(AllOf({Key(alice_)})), "no signatures found for " + std::string(kReference));
  source_.error = Error(ErrorKind::kNotFound, "manifest unknown");
  ExpectFailure(Run(AllOf({Key(alice_)})), "no signatures found");
}

TEST_F(KeyVerifyTest, SourceErrorsPassThrough) {
  source_.error = Error(ErrorKind::kIo, "connection refused");
  auto r = Run(AllOf({Key(alice_)}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kIo);
  EXPECT_EQ(r.error().message, "connection refused");
}

TEST_F(KeyVerifyTest, SignatureOfAnotherDigestDoesNotCount) {
  source_.Add(Signed(alice_, {}, kOtherDigest));
  ExpectFailure(Run(AllOf({Key(alice_)})), "signs digest " + kOtherDigest + ", not " + kDigest);
}

TEST_F(KeyVerifyTest, SkipsMalformedLayers) {
  kt::CosignLayer wrong_type = Signed(alice_);
  wrong_type.media_type = "application/octet-stream";
  kt::CosignLayer no_signature = Signed(alice_);
  no_signature.annotations.clear();
  kt::CosignLayer bad_base64 = Signed(alice_);
  bad_base64.annotations["dev.cosignproject.cosign/signature"] = "%%%";
  kt::CosignLayer not_json = Signed(alice_);
  not_json.payload = "{\"critical\":";
  kt::RefreshDigest(not_json);
  for (const auto& l : {wrong_type, no_signature, bad_base64, not_json}) source_.Add(l);
  ExpectFailure(Run(AllOf({Key(alice_)})), "no signatures found");
  // One good layer among the bad ones is enough.
  source_.Add(Signed(alice_));
  EXPECT_TRUE(Run(AllOf({Key(alice_)})).has_value());
}

TEST_F(KeyVerifyTest, CapsHostileInput) {
  kt::CosignLayer huge = Signed(alice_);
  huge.payload += std::string(kMaxPayloadBytes, ' ');
  kt::RefreshDigest(huge);
  source_.Add(huge);
  ExpectFailure(Run(AllOf({Key(alice_)})), "payload too large");
  // Layers past the cap are not even looked at.
  source_.layers.clear();
  for (std::size_t i = 0; i < kMaxSignatureLayers; ++i) source_.Add(Signed(bob_));
  source_.Add(Signed(alice_));
  ExpectFailure(Run(AllOf({Key(alice_)})), "signature does not verify with this key");
}

TEST_F(KeyVerifyTest, Annotations) {
  source_.Add(Signed(alice_, {{"env", "prod"}, {"team", "sec"}}));
  EXPECT_TRUE(Run(AllOf({Key(alice_, Annotations{{"env", "prod"}})})).has_value());
  EXPECT_TRUE(Run(AllOf({Key(alice_, Annotations{})})).has_value());
  ExpectFailure(Run(AllOf({Key(alice_, Annotations{{"env", "dev"}})})),
                "annotation 'env' does not have value 'dev'");
  ExpectFailure(Run(AllOf({Key(alice_, Annotations{{"owner", "x"}})})),
                "annotation 'owner' missing");
}

TEST_F(KeyVerifyTest, AnnotationsRequiredButPayloadHasNone) {
  source_.Add(Signed(alice_));
  ExpectFailure(Run(AllOf({Key(alice_, Annotations{{"env", "prod"}})})),
                "payload has no annotations");
}

TEST_F(KeyVerifyTest, NonStringAnnotationValuesCompareAsText) {
  std::string payload =
      R"({"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":")" +
      kDigest +
      R"("},"type":"cosign container image signature"},)"
      R"("optional":{"n":3,"b":true,"o":{},"creator":"me"}})";
  source_.Add(kt::KeyedLayer(alice_, payload));
  EXPECT_TRUE(Run(AllOf({Key(alice_, Annotations{{"n", "3"}, {"b", "true"}})})).has_value());
  ExpectFailure(Run(AllOf({Key(alice_, Annotations{{"o", "{}"}})})), "annotation 'o'");
  // creator is a field of its own upstream, never a required annotation.
  ExpectFailure(Run(AllOf({Key(alice_, Annotations{{"creator", "me"}})})),
                "annotation 'creator' missing");
}

TEST_F(KeyVerifyTest, AllOfNeedsEveryConstraint) {
  source_.Add(Signed(alice_));
  source_.Add(Signed(bob_));
  EXPECT_TRUE(Run(AllOf({Key(alice_), Key(bob_)})).has_value());
  auto r = Run(AllOf({Key(alice_), Key(bob_), Key(carol_)}));
  ExpectFailure(r, "missing signatures");
  // Only carol's constraint is listed, with its key.
  EXPECT_NE(r.error().message.find(carol_.public_pem.substr(27, 40)), std::string::npos);
  EXPECT_EQ(r.error().message.find(alice_.public_pem.substr(27, 40)), std::string::npos);
}

TEST_F(KeyVerifyTest, AnyOfCountsSatisfiedConstraints) {
  source_.Add(Signed(alice_));
  source_.Add(Signed(bob_));
  EXPECT_TRUE(Run(AnyOf({Key(alice_), Key(carol_)}, 1)).has_value());
  EXPECT_TRUE(Run(AnyOf({Key(alice_), Key(bob_), Key(carol_)}, 2)).has_value());
  ExpectFailure(Run(AnyOf({Key(alice_), Key(bob_), Key(carol_)}, 3)),
                "minimum number of signatures not reached: needed 3, got 2");
  ExpectFailure(Run(AnyOf({Key(carol_)}, 1)), "needed 1, got 0");
  // It counts constraints, not signers: the same key listed twice counts twice (upstream).
  EXPECT_TRUE(Run(AnyOf({Key(alice_), Key(alice_)}, 2)).has_value());
}

TEST_F(KeyVerifyTest, AllOfAndAnyOfMustBothHold) {
  source_.Add(Signed(alice_));
  source_.Add(Signed(bob_));
  VerificationConfig config = AnyOf({Key(bob_), Key(carol_)}, 1);
  config.all_of = {Key(alice_)};
  EXPECT_TRUE(Run(config).has_value());
  config.any_of->minimum_matches = 2;
  ExpectFailure(Run(config), "needed 2, got 1");
  config.any_of->minimum_matches = 1;
  config.all_of = {Key(carol_)};
  ExpectFailure(Run(config), "missing signatures");
}

TEST_F(KeyVerifyTest, RejectsBadDigestArgument) {
  source_.Add(Signed(alice_));
  auto r = Verify(AllOf({Key(alice_)}), source_, kReference, "sha256:xyz");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("not a manifest digest"), std::string::npos);
}

TEST_F(KeyVerifyTest, RejectsConfigWithoutConstraints) {
  source_.Add(Signed(alice_));
  auto r = Run(VerificationConfig{});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("no constraints"), std::string::npos);
  r = Run(AnyOf({}, 0));
  ASSERT_FALSE(r.has_value());
}

TEST(SignatureTagTest, NamesTheSigManifest) {
  EXPECT_EQ(SignatureTag(kDigest).value(), "sha256-" + std::string(64, 'a') + ".sig");
  EXPECT_EQ(SignatureTag("sha512:" + std::string(128, '0')).value(),
            "sha512-" + std::string(128, '0') + ".sig");
  EXPECT_FALSE(SignatureTag("sha256:ABC").has_value());
  EXPECT_FALSE(SignatureTag("sha256:" + std::string(64, 'A')).has_value());
  EXPECT_FALSE(SignatureTag("md5:" + std::string(32, 'a')).has_value());
  EXPECT_FALSE(SignatureTag("").has_value());
}

class LocalDigestTest : public ::testing::Test {
 protected:
  static constexpr char kModule[] = "\0asm\x01\0\0\0 module bytes";
  std::string module_ = std::string(kModule, sizeof(kModule) - 1);
  std::string Manifest(
      const std::string& layer_digest,
      const std::string& media_type = "application/vnd.wasm.content.layer.v1+wasm") {
    return R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.wasm.config.v1+json",)"
           R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",)"
           R"("size":2},"layers":[{"mediaType":")" +
           media_type + R"(","digest":")" + layer_digest + R"(","size":20}]})";
  }
  static std::string DigestOf(const std::string& bytes) {
    return "sha256:" + Sha256Hex(Sha256(AsBytes(bytes)));
  }
  std::span<const std::uint8_t> Module() const { return AsBytes(module_); }
};

TEST_F(LocalDigestTest, AcceptsMatchingModule) {
  std::string manifest = Manifest(DigestOf(module_));
  EXPECT_TRUE(CheckLocalDigest(DigestOf(manifest), manifest, Module()).has_value());
}

TEST_F(LocalDigestTest, RejectsOtherModule) {
  std::string manifest = Manifest(DigestOf("another module"));
  auto r = CheckLocalDigest(DigestOf(manifest), manifest, Module());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("The digest of the local file doesn't match"), std::string::npos)
      << r.error().message;
}

TEST_F(LocalDigestTest, RejectsManifestNotMatchingVerifiedDigest) {
  std::string manifest = Manifest(DigestOf(module_));
  auto r = CheckLocalDigest(kDigest, manifest, Module());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("does not hash to"), std::string::npos);
}

TEST_F(LocalDigestTest, RejectsOddManifests) {
  std::string wrong_type = Manifest(DigestOf(module_), "application/octet-stream");
  EXPECT_FALSE(CheckLocalDigest(DigestOf(wrong_type), wrong_type, Module()).has_value());
  std::string no_layers = R"({"schemaVersion":2,"layers":[]})";
  EXPECT_FALSE(CheckLocalDigest(DigestOf(no_layers), no_layers, Module()).has_value());
  std::string not_json = "not json";
  EXPECT_FALSE(CheckLocalDigest(DigestOf(not_json), not_json, Module()).has_value());
}

}  // namespace
}  // namespace kw::verify
