#include "oci/reference.h"

#include <gtest/gtest.h>

namespace kw::oci {
namespace {

TEST(ParseReference, NormalisesLikeDocker) {
  const struct {
    const char* in;
    const char* whole;
  } cases[] = {
      {"busybox", "docker.io/library/busybox:latest"},
      {"busybox:1.36", "docker.io/library/busybox:1.36"},
      {"user/app", "docker.io/user/app:latest"},
      {"docker.io/busybox", "docker.io/library/busybox:latest"},
      {"index.docker.io/user/app:v1", "docker.io/user/app:v1"},
      {"ghcr.io/kubewarden/policies/pod-privileged:v0.2.2",
       "ghcr.io/kubewarden/policies/pod-privileged:v0.2.2"},
      {"ghcr.io/kubewarden/policies/pod-privileged",
       "ghcr.io/kubewarden/policies/pod-privileged:latest"},
      {"localhost/p", "localhost/p:latest"},
      {"localhost:5000/a/b:t", "localhost:5000/a/b:t"},
      {"127.0.0.1:5000/p", "127.0.0.1:5000/p:latest"},
      {"[::1]:5000/p:x", "[::1]:5000/p:x"},
      {"registry.example.com/a_b/c__d/e-f/g.h:T_1.2-rc",
       "registry.example.com/a_b/c__d/e-f/g.h:T_1.2-rc"},
  };
  for (const auto& c : cases) {
    auto ref = ParseReference(c.in);
    ASSERT_TRUE(ref.has_value()) << c.in << ": " << ref.error().message;
    EXPECT_EQ(ref->Whole(), c.whole) << c.in;
  }
}

TEST(ParseReference, KeepsDigestsWithoutAddingATag) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  auto ref = ParseReference("ghcr.io/k/p@" + digest);
  ASSERT_TRUE(ref.has_value());
  EXPECT_FALSE(ref->tag.has_value());
  EXPECT_EQ(ref->digest, digest);
  EXPECT_EQ(ref->TagOrDigest(), digest);
  EXPECT_EQ(ref->Whole(), "ghcr.io/k/p@" + digest);

  auto both = ParseReference("host:5000/p:v1@" + digest);
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(both->registry, "host:5000");
  EXPECT_EQ(both->tag, "v1");
  EXPECT_EQ(both->TagOrDigest(), digest);
  EXPECT_EQ(both->Whole(), "host:5000/p:v1@" + digest);
}

TEST(ParseReference, SplitsRegistryRepositoryAndApiHost) {
  auto hub = ParseReference("busybox");
  ASSERT_TRUE(hub.has_value());
  EXPECT_EQ(hub->registry, "docker.io");
  EXPECT_EQ(hub->repository, "library/busybox");
  EXPECT_EQ(hub->ApiHost(), "index.docker.io");
  auto local = ParseReference("127.0.0.1:5000/a/b:c");
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->registry, "127.0.0.1:5000");
  EXPECT_EQ(local->repository, "a/b");
  EXPECT_EQ(local->tag, "c");
  EXPECT_EQ(local->ApiHost(), "127.0.0.1:5000");
}

TEST(ParseReference, RejectsMalformedReferences) {
  for (const char* bad :
       {"", "UPPER", "ghcr.io/Upper/case", "ghcr.io/a//b", "ghcr.io/a/b:", "ghcr.io/a/b:-x",
        "ghcr.io/a/b@sha256:abc",
        "ghcr.io/a/b@md5:"
        "0123456789abcdef0123456789abcdef",
        "ghcr.io/", "ghcr.io:x/p", "ghcr.io/a/.b", "a/b_", "ghcr.io/a/b c", "-bad.io/x",
        "ghcr.io/a/b@sha256:"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    auto ref = ParseReference(bad);
    EXPECT_FALSE(ref.has_value()) << bad << " -> " << (ref ? ref->Whole() : "");
    if (!ref) {
      EXPECT_EQ(ref.error().kind, ErrorKind::kInvalidArgument);
      EXPECT_NE(ref.error().message.find("invalid OCI reference"), std::string::npos);
    }
  }
  EXPECT_FALSE(ParseReference("ghcr.io/" + std::string(250, 'a')).has_value());
  EXPECT_FALSE(ParseReference("ghcr.io/a:" + std::string(129, 't')).has_value());
}

TEST(ParsePolicyUri, HandlesEveryScheme) {
  auto registry = ParsePolicyUri("registry://ghcr.io/k/p");
  ASSERT_TRUE(registry.has_value());
  EXPECT_EQ(registry->scheme, Scheme::kRegistry);
  EXPECT_EQ(registry->uri, "registry://ghcr.io/k/p:latest");

  auto bare = ParsePolicyUri("host:5000/p:1.0");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->uri, "registry://host:5000/p:1.0");
  EXPECT_EQ(bare->reference->registry, "host:5000");

  auto https = ParsePolicyUri("https://github.com/k/p/releases/download/v0.1.6/policy.wasm");
  ASSERT_TRUE(https.has_value());
  EXPECT_EQ(https->scheme, Scheme::kHttps);
  EXPECT_EQ(https->uri, "https://github.com/k/p/releases/download/v0.1.6/policy.wasm");

  auto file = ParsePolicyUri("file:///tmp/policy.wasm");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->scheme, Scheme::kFile);
  EXPECT_EQ(file->path, "/tmp/policy.wasm");

  for (const char* bad :
       {"file://relative.wasm", "ftp://x/y", "https://", "https:///p", "registry://UPPER",
        "registry://a b", "https://u@h/p.wasm", "http://h:99999/p.wasm"}) {
    EXPECT_FALSE(ParsePolicyUri(bad).has_value()) << bad;
  }
}

TEST(IsValidDigest, ChecksAlgorithmAndLength) {
  EXPECT_TRUE(IsValidDigest("sha256:" + std::string(64, '0')));
  EXPECT_TRUE(IsValidDigest("sha512:" + std::string(128, 'f')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(63, '0')));
  EXPECT_FALSE(IsValidDigest("sha512:" + std::string(64, '0')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(64, 'g')));
}

}  // namespace
}  // namespace kw::oci
