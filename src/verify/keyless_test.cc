#include <gtest/gtest.h>

#include <cctype>

#include "testing/cosign.h"
#include "verify/verify.h"
#include "testing/verify_support.h"

namespace kw::verify {
namespace {

namespace kt = kw::testing;

constexpr char kReference[] = "ghcr.io/kubewarden/policies/pod-privileged:v1.0.0";
const std::string kDigest = "sha256:" + std::string(64, 'd');
constexpr char kGithub[] = "https://token.actions.githubusercontent.com";
constexpr char kWorkflow[] =
    "https://github.com/kubewarden/policy-server/.github/workflows/release.yml@refs/tags/v1";
// 2023-11-14: long past, so the ten-minute certificates are long expired "now".
constexpr std::int64_t kSignedAt = 1700000000;

using test::AllOf;
using test::FakeSource;

GenericIssuerSignature Issuer(std::string issuer, std::string subject,
                              SubjectMatcher::Kind kind = SubjectMatcher::Kind::kEqual) {
  return GenericIssuerSignature{std::move(issuer), {kind, std::move(subject)}, std::nullopt};
}

GithubActionSignature Github(std::string owner, std::optional<std::string> repo = std::nullopt) {
  return GithubActionSignature{std::move(owner), std::move(repo), std::nullopt};
}

class KeylessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = TrustRoot::Parse(sigstore_.TrustedRootJson());
    ASSERT_TRUE(root.has_value()) << root.error().message;
    root_ = *root;
  }

  std::string Payload(const kt::StringMap& annotations = {}) {
    return kt::SimpleSigningPayload(kReference, kDigest, annotations);
  }

  kt::CosignLayer EmailLayer(const std::string& email = "alice@example.com",
                             const std::string& issuer = "https://accounts.google.com",
                             bool rogue_ca = false) {
    kt::LeafOptions leaf;
    leaf.email = email;
    leaf.issuer = issuer;
    leaf.rogue_ca = rogue_ca;
    return sigstore_.KeylessLayer(Payload(), leaf, kSignedAt);
  }

  kt::CosignLayer WorkflowLayer(const std::string& uri = kWorkflow,
                                const std::string& issuer = kGithub) {
    kt::LeafOptions leaf;
    leaf.uri = uri;
    leaf.issuer = issuer;
    return sigstore_.KeylessLayer(Payload(), leaf, kSignedAt);
  }

  Result<VerifiedImage> Run(const VerificationConfig& config, bool with_root = true) {
    VerifyOptions options;
    if (with_root) options.trust_root = root_.get();
    return Verify(config, source_, kReference, kDigest, options);
  }

  kt::FakeSigstore sigstore_;
  std::shared_ptr<const TrustRoot> root_;
  FakeSource source_;
};

void ExpectFailure(const Result<VerifiedImage>& r, std::string_view text) {
  ASSERT_FALSE(r.has_value()) << "expected failure containing: " << text;
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
}

TEST_F(KeylessTest, AcceptsEmailIdentityFromIssuer) {
  source_.Add(EmailLayer());
  auto r = Run(AllOf({Issuer("https://accounts.google.com", "alice@example.com")}));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->digest, kDigest);
}

TEST_F(KeylessTest, ReadsLegacyIssuerExtension) {
  kt::LeafOptions leaf;
  leaf.email = "alice@example.com";
  leaf.issuer = "https://accounts.google.com";
  leaf.legacy_issuer = true;
  source_.Add(sigstore_.KeylessLayer(Payload(), leaf, kSignedAt));
  auto r = Run(AllOf({Issuer("https://accounts.google.com", "alice@example.com")}));
  EXPECT_TRUE(r.has_value()) << r.error().message;
}

TEST_F(KeylessTest, RejectsWrongIssuerOrSubject) {
  source_.Add(EmailLayer());
  ExpectFailure(Run(AllOf({Issuer("https://github.com/login/oauth", "alice@example.com")})),
                "certificate issuer is not https://github.com/login/oauth");
  ExpectFailure(Run(AllOf({Issuer("https://accounts.google.com", "bob@example.com")})),
                "certificate subject does not match");
}

TEST_F(KeylessTest, UrlPrefixStopsAtPathSegments) {
  source_.Add(WorkflowLayer());
  // As parsed from a config: urlPrefix normalized with a trailing slash.
  EXPECT_TRUE(Run(AllOf({Issuer(kGithub, "https://github.com/kubewarden/",
                                SubjectMatcher::Kind::kUrlPrefix)}))
                  .has_value());
  source_.layers.clear();
  source_.Add(WorkflowLayer(
      "https://github.com/kubewarden-malicious/x/.github/workflows/r.yml@refs/heads/main"));
  ExpectFailure(Run(AllOf({Issuer(kGithub, "https://github.com/kubewarden/",
                                  SubjectMatcher::Kind::kUrlPrefix)})),
                "certificate subject does not match");
}

TEST_F(KeylessTest, GithubAction) {
  source_.Add(WorkflowLayer());
  EXPECT_TRUE(Run(AllOf({Github("kubewarden")})).has_value());
  EXPECT_TRUE(Run(AllOf({Github("kubewarden", "policy-server")})).has_value());
  ExpectFailure(Run(AllOf({Github("someone-else")})), "signed by GitHub owner 'kubewarden'");
  ExpectFailure(Run(AllOf({Github("kubewarden", "kwctl")})),
                "signed by GitHub repo 'policy-server'");
}

TEST_F(KeylessTest, GithubActionNeedsGithubIssuerAndUri) {
  source_.Add(WorkflowLayer(kWorkflow, "https://gitlab.com"));
  ExpectFailure(Run(AllOf({Github("kubewarden")})), "certificate issuer is not GitHub Actions");
  source_.layers.clear();
  source_.Add(EmailLayer("kubewarden@github.com", kGithub));
  ExpectFailure(Run(AllOf({Github("kubewarden")})), "certificate subject is not a URI");
}

TEST_F(KeylessTest, GithubActionRejectsInconsistentRepositoryExtension) {
  kt::LeafOptions leaf;
  leaf.uri = kWorkflow;
  leaf.issuer = kGithub;
  leaf.workflow_repository = "attacker/policy-server";
  source_.Add(sigstore_.KeylessLayer(Payload(), leaf, kSignedAt));
  ExpectFailure(Run(AllOf({Github("kubewarden")})), "workflow repository extension disagrees");
  source_.layers.clear();
  leaf.workflow_repository = "kubewarden/policy-server";
  source_.Add(sigstore_.KeylessLayer(Payload(), leaf, kSignedAt));
  EXPECT_TRUE(Run(AllOf({Github("kubewarden", "policy-server")})).has_value());
}

TEST_F(KeylessTest, AnnotationsApplyToKeylessToo) {
  kt::LeafOptions leaf;
  leaf.uri = kWorkflow;
  leaf.issuer = kGithub;
  source_.Add(sigstore_.KeylessLayer(Payload({{"env", "prod"}}), leaf, kSignedAt));
  GithubActionSignature c = Github("kubewarden");
  c.annotations = Annotations{{"env", "prod"}};
  EXPECT_TRUE(Run(AllOf({c})).has_value());
  c.annotations = Annotations{{"env", "dev"}};
  ExpectFailure(Run(AllOf({c})), "annotation 'env' does not have value 'dev'");
}

TEST_F(KeylessTest, CertificateMustBeValidAtIntegratedTime) {
  kt::LeafOptions leaf;
  leaf.email = "alice@example.com";
  leaf.issuer = "https://accounts.google.com";
  // Logged an hour after the certificate's ten minutes ran out.
  leaf.not_before = kSignedAt - 3600 - 600;
  leaf.not_after = kSignedAt - 3600;
  source_.Add(sigstore_.KeylessLayer(Payload(), leaf, kSignedAt));
  ExpectFailure(Run(AllOf({Issuer("https://accounts.google.com", "alice@example.com")})),
                "certificate does not chain to a trusted Fulcio root at the signing time");
}

TEST_F(KeylessTest, RejectsUntrustedRoot) {
  kt::LeafOptions leaf;
  leaf.email = "alice@example.com";
  leaf.issuer = "https://accounts.google.com";
  leaf.rogue_ca = true;
  source_.Add(sigstore_.KeylessLayer(Payload(), leaf, kSignedAt));
  ExpectFailure(Run(AllOf({Issuer("https://accounts.google.com", "alice@example.com")})),
                "certificate does not chain to a trusted Fulcio root");
}

TEST_F(KeylessTest, TrustRootEntriesMustBeValidAtIntegratedTime) {
  source_.Add(EmailLayer());
  auto config = AllOf({Issuer("https://accounts.google.com", "alice@example.com")});
  // The Fulcio CA retired before the signature was logged.
  std::string json = sigstore_.TrustedRootJson();
  std::string ca_start = "\"validFor\":{\"start\":\"2020-01-01T00:00:00.000Z\"";
  ASSERT_NE(json.find(ca_start), std::string::npos);
  json.replace(json.find(ca_start), ca_start.size(),
               ca_start + ",\"end\":\"2021-01-01T00:00:00Z\"");
  auto retired_ca = TrustRoot::Parse(json);
  ASSERT_TRUE(retired_ca.has_value()) << retired_ca.error().message;
  VerifyOptions options{retired_ca->get()};
  ExpectFailure(Verify(config, source_, kReference, kDigest, options),
                "certificate does not chain to a trusted Fulcio root");
  // The Rekor key only became valid after the signature was logged.
  json = sigstore_.TrustedRootJson();
  std::string tlog_start = "\"validFor\":{\"start\":\"2020-01-01T00:00:00Z\"";
  ASSERT_NE(json.find(tlog_start), std::string::npos);
  json.replace(json.find(tlog_start), tlog_start.size(),
               "\"validFor\":{\"start\":\"2030-01-01T00:00:00Z\"");
  auto future_log = TrustRoot::Parse(json);
  ASSERT_TRUE(future_log.has_value()) << future_log.error().message;
  options.trust_root = future_log->get();
  ExpectFailure(Verify(config, source_, kReference, kDigest, options),
                "transparency log key was not valid at the bundle's integratedTime");
}

TEST_F(KeylessTest, RejectsCertificateNotForCodeSigning) {
  kt::LeafOptions leaf;
  leaf.email = "alice@example.com";
  leaf.issuer = "https://accounts.google.com";
  leaf.code_signing = false;
  source_.Add(sigstore_.KeylessLayer(Payload(), leaf, kSignedAt));
  ExpectFailure(Run(AllOf({Issuer("https://accounts.google.com", "alice@example.com")})),
                "not for code signing");
}

TEST_F(KeylessTest, BadSignedEntryTimestampDiscardsTheLayer) {
  kt::CosignLayer layer = EmailLayer();
  kt::CosignKey impostor = kt::GenerateCosignKey();
  layer.annotations[std::string(kBundleAnnotation)] = sigstore_.Bundle(
      layer.payload, layer.annotations[std::string(kSignatureAnnotation)],
      layer.annotations[std::string(kCertificateAnnotation)], kSignedAt, impostor.private_pem);
  source_.Add(layer);
  ExpectFailure(Run(AllOf({Issuer("https://accounts.google.com", "alice@example.com")})),
                "signed entry timestamp does not verify");
}

TEST_F(KeylessTest, TamperedIntegratedTimeBreaksTheSet) {
  kt::CosignLayer layer = EmailLayer();
  std::string& bundle = layer.annotations[std::string(kBundleAnnotation)];
  std::string was = "\"integratedTime\":" + std::to_string(kSignedAt);
  ASSERT_NE(bundle.find(was), std::string::npos);
  bundle.replace(bundle.find(was), was.size(),
                 "\"integratedTime\":" + std::to_string(kSignedAt - 300));
  source_.Add(layer);
  ExpectFailure(Run(AllOf({Issuer("https://accounts.google.com", "alice@example.com")})),
                "signed entry timestamp does not verify");
}

TEST_F(KeylessTest, BundleMustDescribeThisSignature) {
  kt::CosignLayer first = EmailLayer();
  kt::CosignLayer second = EmailLayer();
  // A genuine bundle, but logged for another signature and certificate.
  first.annotations[std::string(kBundleAnnotation)] =
      second.annotations[std::string(kBundleAnnotation)];
  source_.Add(first);
  ExpectFailure(Run(AllOf({Issuer("https://accounts.google.com", "alice@example.com")})),
                "bundle body records another signature");
}

TEST_F(KeylessTest, SwappedCertificateDoesNotVerifyTheSignature) {
  kt::CosignLayer first = EmailLayer();
  kt::CosignLayer mallory = EmailLayer("mallory@example.com");
  first.annotations[std::string(kCertificateAnnotation)] =
      mallory.annotations[std::string(kCertificateAnnotation)];
  source_.Add(first);
  ExpectFailure(Run(AllOf({Issuer("https://accounts.google.com", "mallory@example.com")})),
                "bundle body records another certificate");
}

TEST_F(KeylessTest, GarbageBundleDiscardsTheLayer) {
  kt::CosignLayer layer = EmailLayer();
  layer.annotations[std::string(kBundleAnnotation)] = "{\"Payload\":[]}";
  source_.Add(layer);
  ExpectFailure(Run(AllOf({Issuer("https://accounts.google.com", "alice@example.com")})),
                "no signatures found");
}

TEST_F(KeylessTest, WithoutTrustRootOnlyKeysCount) {
  source_.Add(EmailLayer());
  ExpectFailure(Run(AllOf({Issuer("https://accounts.google.com", "alice@example.com")}),
                    /*with_root=*/false),
                "no Sigstore trust root configured");
}

TEST_F(KeylessTest, MixesKeyAndKeyless) {
  kt::CosignKey key = kt::GenerateCosignKey();
  source_.Add(kt::KeyedLayer(key, Payload()));
  source_.Add(WorkflowLayer());
  VerificationConfig config = AllOf({PubKeySignature{std::nullopt, key.public_pem, std::nullopt},
                                     Github("kubewarden", "policy-server")});
  EXPECT_TRUE(Run(config).has_value());
  config.any_of = AnyOf{2, {Github("kubewarden"), Issuer(kGithub, kWorkflow), Github("x")}};
  EXPECT_TRUE(Run(config).has_value());
  config.any_of->minimum_matches = 3;
  ExpectFailure(Run(config), "needed 3, got 2");
}

// Every single-byte change to what the registry serves must be rejected, without a crash (the
// sanitizer builds run this too). Whitespace is left alone: PEM and JSON parsers skip it.
TEST_F(KeylessTest, RejectsEveryMangledLayer) {
  const kt::CosignLayer good = WorkflowLayer();
  const auto config = AllOf({Github("kubewarden", "policy-server")});
  source_.Add(good);
  ASSERT_TRUE(Run(config).has_value());
  auto check = [&](kt::CosignLayer layer, const std::string& what, std::size_t at) {
    source_.layers.clear();
    source_.Add(layer);
    EXPECT_FALSE(Run(config).has_value()) << what << " changed at byte " << at;
  };
  std::size_t runs = 0;
  for (std::size_t i = 0; i < good.payload.size(); ++i, ++runs) {
    kt::CosignLayer layer = good;
    layer.payload[i] ^= 0x01;
    kt::RefreshDigest(layer);  // so the change reaches the JSON and signature checks
    check(layer, "payload", i);
  }
  for (std::string_view key : {kSignatureAnnotation, kCertificateAnnotation, kBundleAnnotation}) {
    const std::string& value = good.annotations.at(std::string(key));
    // A stride keeps the run short while still touching every part of the value.
    std::size_t stride = key == kSignatureAnnotation ? 1 : 5;
    for (std::size_t i = 0; i < value.size(); i += stride) {
      if (std::isspace(static_cast<unsigned char>(value[i]))) continue;
      kt::CosignLayer layer = good;
      layer.annotations[std::string(key)][i] ^= 0x01;
      check(layer, std::string(key), i);
      ++runs;
    }
    for (std::size_t cut : {std::size_t{0}, value.size() / 2, value.size() - 2}) {
      kt::CosignLayer layer = good;
      layer.annotations[std::string(key)].resize(cut);
      check(layer, std::string(key) + " truncated", cut);
    }
  }
  EXPECT_GT(runs, 500u);
}

TEST(TrustRootTest, AcceptsClientTrustConfigWrapper) {
  kt::FakeSigstore sigstore;
  std::string wrapped =
      "{\"mediaType\":\"application/vnd.dev.sigstore.clienttrustconfig.v0.1+json\","
      "\"trustedRoot\":" +
      sigstore.TrustedRootJson() + "}";
  auto root = TrustRoot::Parse(wrapped);
  EXPECT_TRUE(root.has_value()) << root.error().message;
}

TEST(TrustRootTest, RejectsMalformedFiles) {
  struct Case {
    std::string json, error;
  };
  for (const Case& c : std::vector<Case>{
           {"[]", "not a JSON object"},
           {"{", "sigstore trust root"},
           {R"({"tlogs":[]})", "'certificateAuthorities' must be a non-empty list"},
           {R"({"certificateAuthorities":[{"certChain":{"certificates":[{"rawBytes":"!!"}]}}]})",
            "'certificateAuthorities[0].certChain.certificates[0].rawBytes' is not valid base64"},
           {R"({"certificateAuthorities":[{"certChain":{"certificates":[{"rawBytes":"AAAA"}]}}]})",
            "not a DER certificate"},
       }) {
    auto root = TrustRoot::Parse(c.json);
    ASSERT_FALSE(root.has_value()) << c.json;
    EXPECT_NE(root.error().message.find(c.error), std::string::npos) << root.error().message;
  }
  kt::FakeSigstore sigstore;
  std::string no_tlogs = sigstore.TrustedRootJson();
  no_tlogs.replace(no_tlogs.find("\"tlogs\""), 7, "\"tlogz\"");
  auto root = TrustRoot::Parse(no_tlogs);
  ASSERT_FALSE(root.has_value());
  EXPECT_NE(root.error().message.find("'tlogs' must be a non-empty list"), std::string::npos);
  std::string bad_time = sigstore.TrustedRootJson();
  bad_time.replace(bad_time.find("2020-01-01T00:00:00Z"), 20, "yesterday at noon!!!");
  root = TrustRoot::Parse(bad_time);
  ASSERT_FALSE(root.has_value());
  EXPECT_NE(root.error().message.find("not an RFC 3339 timestamp"), std::string::npos)
      << root.error().message;
}

}  // namespace
}  // namespace kw::verify

namespace kw::verify {
namespace {

// SigstoreCertificateVerify: the layer's own certificate given as the one to trust.
class CertificateConstraintTest : public KeylessTest {
 protected:
  CertificateSignature From(const kt::CosignLayer& layer, bool rekor, bool with_chain) {
    CertificateSignature c;
    c.certificate = layer.annotations.at(std::string(kCertificateAnnotation));
    if (with_chain) c.chain = {{layer.annotations.at(std::string(kChainAnnotation))}};
    c.require_rekor_bundle = rekor;
    return c;
  }
};

TEST_F(CertificateConstraintTest, HoldsWithTheCertificatesKeyAndItsBundle) {
  kt::CosignLayer layer = EmailLayer();
  source_.Add(layer);
  EXPECT_TRUE(Run(AllOf({From(layer, /*rekor=*/true, /*with_chain=*/true)})).has_value());
  EXPECT_TRUE(Run(AllOf({From(layer, /*rekor=*/false, /*with_chain=*/false)}), false).has_value());
}

TEST_F(CertificateConstraintTest, FailsForAnotherCertificateOrWithoutABundle) {
  kt::CosignLayer layer = EmailLayer();
  source_.Add(layer);
  ExpectFailure(Run(AllOf({From(EmailLayer("bob@example.com"), false, false)})),
                "signature does not verify with the certificate's key");
  ExpectFailure(Run(AllOf({From(layer, true, false)}), /*with_root=*/false),
                "no verified Rekor bundle (no Sigstore trust root configured)");
  // Without the bundle's time, the chain is checked now, long after the certificate expired.
  ExpectFailure(Run(AllOf({From(layer, false, true)})),
                "certificate is not trusted by the certificate chain");
}

TEST_F(CertificateConstraintTest, FailsForACertificateNotForCodeSigning) {
  kt::LeafOptions leaf;
  leaf.email = "alice@example.com";
  leaf.issuer = "https://accounts.google.com";
  leaf.code_signing = false;
  kt::CosignLayer layer = sigstore_.KeylessLayer(Payload(), leaf, kSignedAt);
  source_.Add(layer);
  ExpectFailure(Run(AllOf({From(layer, false, false)})), "certificate is not for code signing");
}

TEST_F(CertificateConstraintTest, FailsForAChainItDoesNotBelongTo) {
  kt::CosignLayer outsider =
      EmailLayer("alice@example.com", "https://accounts.google.com", /*rogue_ca=*/true);
  source_.Add(outsider);
  // Checked at the bundle's time, when the certificate was valid: only the chain is wrong.
  CertificateSignature c = From(outsider, /*rekor=*/true, /*with_chain=*/false);
  EXPECT_TRUE(Run(AllOf({c})).has_value());
  c.chain = {{EmailLayer().annotations.at(std::string(kChainAnnotation))}};
  ExpectFailure(Run(AllOf({c})), "certificate is not trusted by the certificate chain");
}

}  // namespace
}  // namespace kw::verify
