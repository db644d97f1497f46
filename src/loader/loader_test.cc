#include "loader/loader.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "oci/reference.h"
#include "oci/store.h"

namespace kw::loader {
namespace {

TEST(ResolveModulePath, LocalFilesByPathOrFileUri) {
  std::string self = std::filesystem::canonical("/proc/self/exe").string();
  EXPECT_EQ(ResolveModulePath(self), self);
  EXPECT_EQ(ResolveModulePath("file://" + self), self);
  auto missing = ResolveModulePath("/nonexistent/policy.wasm");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(missing.error().message, "Cannot find policy with uri: /nonexistent/policy.wasm");
  EXPECT_EQ(ResolveModulePath("policy.wasm").error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(ResolveModulePath("./dir/policy.wasm").error().kind, ErrorKind::kNotFound);
}

TEST(IsRemoteModule, RegistryAndHttpUrisAndBareReferencesAreRemote) {
  for (const char* uri : {"registry://ghcr.io/kubewarden/policies/psp:v1",
                          "https://example.com/policy.wasm", "http://example.com/p.wasm",
                          "ghcr.io/kubewarden/policies/psp:v1", "localhost:5000/p:v1"}) {
    EXPECT_TRUE(IsRemoteModule(uri)) << uri;
  }
  std::string self = std::filesystem::canonical("/proc/self/exe").string();
  for (const std::string& uri : {self, "file://" + self, std::string("policy.wasm"),
                                 std::string("./dir/policy.wasm")}) {
    EXPECT_FALSE(IsRemoteModule(uri)) << uri;
  }
}

// A stored module of a pinned tag is reused without contacting the registry (nothing listens
// on the reference's port), as upstream's store does.
TEST(ResolveModulePath, RemoteModuleFoundInTheStoreIsUsedWithoutFetching) {
  std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("kw-loader-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(root);
  const std::string uri = "registry://127.0.0.1:9/kw/policy:v1";
  auto parsed = oci::ParsePolicyUri(uri);
  ASSERT_TRUE(parsed) << parsed.error().message;
  auto stored = oci::Store(root.string()).Put(*parsed, std::string("\0asm\1\0\0\0", 8));
  ASSERT_TRUE(stored) << stored.error().message;

  FetchSettings settings{.store_root = root.string()};
  EXPECT_EQ(ResolveModulePath(uri, settings), *stored);
  EXPECT_EQ(ResolveModulePath("127.0.0.1:9/kw/policy:v1", settings), *stored);

  // With a verification config the store is not trusted: the digest is looked up first, and
  // the unreachable registry makes that fail, naming the URI.
  settings.verification = verify::VerificationConfig{
      .all_of = {verify::PubKeySignature{.key = "unused"}}};
  auto verified = ResolveModulePath(uri, settings);
  ASSERT_FALSE(verified);
  EXPECT_NE(verified.error().message.find("cannot fetch policy " + uri), std::string::npos)
      << verified.error().message;
  std::filesystem::remove_all(root);
}

TEST(ResolveModulePath, VerificationRefusesHttpsModules) {
  FetchSettings settings;
  settings.verification = verify::VerificationConfig{
      .all_of = {verify::PubKeySignature{.key = "unused"}}};
  auto r = ResolveModulePath("https://127.0.0.1:9/policy.wasm", settings);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(r.error().message.find("Image verification failed"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("https://127.0.0.1:9/policy.wasm"), std::string::npos);
}

TEST(BuildGroup, ParsesTheExpressionAgainstTheMembers) {
  std::map<std::string, evaluator::PolicySharedPtr> members = {
      {"a", std::make_shared<evaluator::Policy>()}, {"b", std::make_shared<evaluator::Policy>()}};
  auto group = BuildGroup("g", evaluator::PolicyMode::kMonitor, "no", "a() && !b()", members);
  ASSERT_TRUE(group) << group.error().message;
  EXPECT_EQ((*group)->id, "g");
  EXPECT_EQ((*group)->mode, evaluator::PolicyMode::kMonitor);
  EXPECT_EQ((*group)->message, "no");
  EXPECT_EQ((*group)->members.size(), 2u);
  auto bad = BuildGroup("g", evaluator::PolicyMode::kProtect, "no", "a() && c()", members);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("c"), std::string::npos);
}

}  // namespace
}  // namespace kw::loader
