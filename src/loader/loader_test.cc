#include "loader/loader.h"

#include <filesystem>

#include <gtest/gtest.h>

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

TEST(ResolveModulePath, RemoteSourcesAreNotSupportedYet) {
  for (const char* uri : {"registry://ghcr.io/kubewarden/policies/psp:v1",
                          "https://example.com/policy.wasm", "http://example.com/p.wasm",
                          "ghcr.io/kubewarden/policies/psp:v1", "localhost:5000/p:v1"}) {
    auto r = ResolveModulePath(uri);
    ASSERT_FALSE(r) << uri;
    EXPECT_EQ(r.error().kind, ErrorKind::kUnimplemented) << uri;
    EXPECT_NE(r.error().message.find(uri), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("not supported yet"), std::string::npos);
  }
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
