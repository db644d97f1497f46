#include "verify/config.h"

#include <gtest/gtest.h>

#include "base/yaml.h"
#include "testing/cosign.h"

namespace kw::verify {
namespace {

std::string Indent(const std::string& pem, const std::string& pad) {
  std::string out;
  std::size_t start = 0;
  while (start < pem.size()) {
    std::size_t end = pem.find('\n', start);
    if (end == std::string::npos) end = pem.size();
    out += pad + pem.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

class ConfigTest : public ::testing::Test {
 protected:
  kw::testing::CosignKey key_ = kw::testing::GenerateCosignKey();

  std::string KeyEntry(const std::string& extra = "") {
    return "  - kind: pubKey\n    owner: alice\n    key: |\n" + Indent(key_.public_pem, "      ") +
           extra;
  }
};

TEST_F(ConfigTest, ParsesEveryKind) {
  std::string yaml = "apiVersion: v1\nallOf:\n" +
                     KeyEntry("    annotations:\n      env: prod\n      n: 1.0\n") +
                     "  - kind: genericIssuer\n"
                     "    issuer: https://token.actions.githubusercontent.com\n"
                     "    subject:\n      urlPrefix: https://github.com/kubewarden\n"
                     "anyOf:\n  minimumMatches: 2\n  signatures:\n"
                     "  - kind: githubAction\n    owner: kubewarden\n    repo: policy-server\n"
                     "  - kind: genericIssuer\n    issuer: https://accounts.google.com\n"
                     "    subject:\n      equal: alice@example.com\n";
  auto config = ParseVerificationConfig(yaml);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->api_version, "v1");
  ASSERT_EQ(config->all_of.size(), 2u);
  const auto& pub = std::get<PubKeySignature>(config->all_of[0]);
  EXPECT_EQ(pub.owner, "alice");
  EXPECT_EQ(pub.key, key_.public_pem);
  ASSERT_TRUE(pub.annotations.has_value());
  // Annotation values are the text the user wrote, not a re-rendered number.
  EXPECT_EQ(*pub.annotations, (Annotations{{"env", "prod"}, {"n", "1.0"}}));
  const auto& generic = std::get<GenericIssuerSignature>(config->all_of[1]);
  EXPECT_EQ(generic.subject.kind, SubjectMatcher::Kind::kUrlPrefix);
  // Normalized with a trailing slash, so kubewarden-malicious does not match.
  EXPECT_EQ(generic.subject.value, "https://github.com/kubewarden/");
  ASSERT_TRUE(config->any_of.has_value());
  EXPECT_EQ(config->any_of->minimum_matches, 2);
  ASSERT_EQ(config->any_of->signatures.size(), 2u);
  const auto& gh = std::get<GithubActionSignature>(config->any_of->signatures[0]);
  EXPECT_EQ(gh.owner, "kubewarden");
  EXPECT_EQ(gh.repo, "policy-server");
  const auto& email = std::get<GenericIssuerSignature>(config->any_of->signatures[1]);
  EXPECT_EQ(email.subject.kind, SubjectMatcher::Kind::kEqual);
  EXPECT_EQ(email.subject.value, "alice@example.com");
}

TEST_F(ConfigTest, MinimumMatchesDefaultsToOne) {
  auto config = ParseVerificationConfig(
      "apiVersion: v1\nanyOf:\n  signatures:\n  - kind: githubAction\n    owner: o\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->any_of->minimum_matches, 1);
  EXPECT_FALSE(std::get<GithubActionSignature>(config->any_of->signatures[0]).repo.has_value());
}

TEST_F(ConfigTest, AcceptsWhatScaffoldPrints) {
  // `kwctl scaffold verification-config`: explicit nulls for the unset options.
  auto config = ParseVerificationConfig(
      "# comment header\n---\napiVersion: v1\nallOf:\n- kind: githubAction\n  owner: kubewarden\n"
      "  repo: null\n  annotations: null\nanyOf: null\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  ASSERT_EQ(config->all_of.size(), 1u);
  const auto& gh = std::get<GithubActionSignature>(config->all_of[0]);
  EXPECT_EQ(gh.owner, "kubewarden");
  EXPECT_FALSE(gh.repo.has_value());
  EXPECT_FALSE(gh.annotations.has_value());
  EXPECT_FALSE(config->any_of.has_value());
}

TEST_F(ConfigTest, ApiVersionMayBeOmitted) {
  // Upstream quirk (spec §11.6): no apiVersion is accepted, and recorded as absent.
  auto config = ParseVerificationConfig("allOf:\n- {kind: githubAction, owner: o}\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_FALSE(config->api_version.has_value());
  // A number is read as its text, as serde reads it into a String.
  auto numeric =
      ParseVerificationConfig("apiVersion: 1\nallOf:\n- {kind: githubAction, owner: o}\n");
  ASSERT_FALSE(numeric.has_value());
  EXPECT_NE(numeric.error().message.find("Not a supported configuration version: 1"),
            std::string::npos);
}

TEST_F(ConfigTest, AcceptsJson) {
  auto config = ParseVerificationConfig(
      R"({"apiVersion":"v1","allOf":[{"kind":"githubAction","owner":"o","repo":"r"}]})");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(std::get<GithubActionSignature>(config->all_of[0]).repo, "r");
}

struct BadConfig {
  std::string name;
  std::string yaml;
  std::string error;  // a substring of the message
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, FailsNamingTheProblem) {
  auto config = ParseVerificationConfig(GetParam().yaml);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(config.error().message.find(GetParam().error), std::string::npos)
      << config.error().message;
  EXPECT_TRUE(config.error().message.starts_with("verification config: "))
      << config.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Verify, BadConfigTest,
    ::testing::Values(
        BadConfig{"Version", "apiVersion: v2\nallOf: []\n",
                  "Not a supported configuration version: v2"},
        BadConfig{"Empty", "apiVersion: v1\n", "missing signatures in both allOf and anyOf"},
        BadConfig{"EmptyLists", "apiVersion: v1\nallOf: []\nanyOf: {signatures: []}\n",
                  "missing signatures in both allOf and anyOf"},
        BadConfig{"UnknownTop", "apiVersion: v1\nallof: []\n", "unknown field 'allof'"},
        BadConfig{"UnknownEntryField",
                  "apiVersion: v1\nallOf:\n- kind: githubAction\n  owner: o\n  repository: r\n",
                  "unknown field 'repository' in 'allOf[0]'"},
        BadConfig{"UnknownKind", "apiVersion: v1\nallOf:\n- kind: keyless\n",
                  "field 'allOf[0].kind': unknown value 'keyless'"},
        BadConfig{"MissingKind", "apiVersion: v1\nallOf:\n- owner: o\n",
                  "missing field 'allOf[0].kind'"},
        BadConfig{"MissingOwner", "apiVersion: v1\nallOf:\n- kind: githubAction\n",
                  "missing field 'allOf[0].owner'"},
        BadConfig{"BadKey", "apiVersion: v1\nallOf:\n- kind: pubKey\n  key: hello\n",
                  "field 'allOf[0].key': not a PEM public key"},
        BadConfig{"KeyNotString", "apiVersion: v1\nallOf:\n- kind: pubKey\n  key: [1]\n",
                  "field 'allOf[0].key' must be a string, got a list"},
        BadConfig{"MissingSubject",
                  "apiVersion: v1\nanyOf:\n  signatures:\n  - kind: genericIssuer\n    issuer: i\n",
                  "missing field 'anyOf.signatures[0].subject'"},
        BadConfig{"TwoSubjects",
                  "apiVersion: v1\nallOf:\n- kind: genericIssuer\n  issuer: i\n"
                  "  subject: {equal: a, urlPrefix: b}\n",
                  "exactly one of 'equal' or 'urlPrefix'"},
        BadConfig{"BadSubjectKey",
                  "apiVersion: v1\nallOf:\n- kind: genericIssuer\n  issuer: i\n"
                  "  subject: {prefix: a}\n",
                  "unknown field 'prefix' in 'allOf[0].subject'"},
        BadConfig{"AnnotationsNotMap",
                  "apiVersion: v1\nallOf:\n- kind: githubAction\n  owner: o\n  annotations: [a]\n",
                  "field 'allOf[0].annotations' must be a map of strings"},
        BadConfig{
            "AnnotationNull",
            "apiVersion: v1\nallOf:\n- kind: githubAction\n  owner: o\n  annotations: {a: }\n",
            "field 'allOf[0].annotations.a' must be a string, got null"},
        BadConfig{"MinimumTooLarge",
                  "apiVersion: v1\nanyOf:\n  minimumMatches: 256\n  signatures:\n"
                  "  - {kind: githubAction, owner: o}\n",
                  "'anyOf.minimumMatches' must be at most 255"},
        BadConfig{"MinimumNegative",
                  "apiVersion: v1\nanyOf:\n  minimumMatches: -1\n  signatures:\n"
                  "  - {kind: githubAction, owner: o}\n",
                  "anyOf.minimumMatches"},
        BadConfig{"MissingSignatures", "apiVersion: v1\nanyOf:\n  minimumMatches: 1\n",
                  "missing field 'anyOf.signatures'"},
        BadConfig{"AllOfNotList", "apiVersion: v1\nallOf: {kind: githubAction}\n",
                  "field 'allOf' must be a list"},
        BadConfig{"NotYaml", "apiVersion: [v1\n", "invalid YAML"},
        BadConfig{"NotObject", "- a\n", "must be an object"}),
    [](const auto& info) { return info.param.name; });

TEST(ConfigFromFlagsTest, BuildsAllOf) {
  auto key = kw::testing::GenerateCosignKey();
  VerificationFlags flags;
  flags.key_pems = {key.public_pem};
  flags.annotations = {{"env", "prod"}};
  flags.cert_email = "alice@example.com";
  flags.cert_oidc_issuer = "https://accounts.google.com";
  flags.github_owner = "kubewarden";
  auto config = ConfigFromFlags(flags);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_FALSE(config->any_of.has_value());
  ASSERT_EQ(config->all_of.size(), 3u);
  EXPECT_EQ(std::get<PubKeySignature>(config->all_of[0]).annotations,
            (Annotations{{"env", "prod"}}));
  const auto& generic = std::get<GenericIssuerSignature>(config->all_of[1]);
  EXPECT_EQ(generic.issuer, "https://accounts.google.com");
  EXPECT_EQ(generic.subject.value, "alice@example.com");
  EXPECT_EQ(std::get<GithubActionSignature>(config->all_of[2]).owner, "kubewarden");
}

TEST(ConfigFromFlagsTest, RejectsWhatUpstreamRejects) {
  VerificationFlags only_annotations;
  only_annotations.annotations = {{"a", "b"}};
  EXPECT_FALSE(ConfigFromFlags(only_annotations).has_value());
  VerificationFlags repo_without_owner;
  repo_without_owner.github_repo = "r";
  EXPECT_FALSE(ConfigFromFlags(repo_without_owner).has_value());
  VerificationFlags email_without_issuer;
  email_without_issuer.cert_email = "a@b.c";
  EXPECT_FALSE(ConfigFromFlags(email_without_issuer).has_value());
  VerificationFlags bad_key;
  bad_key.key_pems = {"not a key"};
  EXPECT_FALSE(ConfigFromFlags(bad_key).has_value());
  EXPECT_FALSE(ConfigFromFlags(VerificationFlags{}).has_value());
}

TEST(HasKeylessConstraintsTest, LooksAtAllOfAndAnyOf) {
  const PubKeySignature key{std::nullopt, "pem", std::nullopt};
  const GithubActionSignature github{"kubewarden", std::nullopt, std::nullopt};
  VerificationConfig config;
  config.all_of = {key};
  EXPECT_FALSE(HasKeylessConstraints(config));
  config.any_of = AnyOf{1, {key}};
  EXPECT_FALSE(HasKeylessConstraints(config));
  config.any_of->signatures.push_back(github);
  EXPECT_TRUE(HasKeylessConstraints(config));
  config.any_of.reset();
  config.all_of.push_back(
      GenericIssuerSignature{"https://issuer", {SubjectMatcher::Kind::kEqual, "a@b"}, std::nullopt});
  EXPECT_TRUE(HasKeylessConstraints(config));
}

TEST(ConstraintToYamlTest, RendersLikeUpstream) {
  std::string yaml = ConstraintToYaml(GithubActionSignature{"kubewarden", std::nullopt, {}});
  auto parsed = ParseYamlAsJson(yaml);
  ASSERT_TRUE(parsed.has_value()) << yaml;
  EXPECT_EQ(*parsed, (json::value{{"kind", "githubAction"},
                                  {"owner", "kubewarden"},
                                  {"repo", nullptr},
                                  {"annotations", nullptr}}))
      << yaml;
}

TEST_F(ConfigTest, LoadsFileAndNamesItInErrors) {
  auto missing = LoadVerificationConfig("/nonexistent/verification.yml");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("/nonexistent/verification.yml"), std::string::npos);
}

}  // namespace
}  // namespace kw::verify
