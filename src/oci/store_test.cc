#include "oci/store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/sha256.h"
#include "testing/process.h"

namespace kw::oci {
namespace {

PolicyUri Uri(std::string_view text) {
  auto uri = ParsePolicyUri(text);
  EXPECT_TRUE(uri.has_value()) << text;
  return *uri;
}

TEST(Store, UsesUpstreamsLayout) {
  Store store("/root/store");
  EXPECT_EQ(store.PathFor(Uri("registry://ghcr.io/kubewarden/policies/pod-privileged:v0.2.2")),
            "/root/store/registry/ghcr.io/kubewarden/policies/pod-privileged:v0.2.2");
  EXPECT_EQ(store.PathFor(Uri("ghcr.io/k/p")), "/root/store/registry/ghcr.io/k/p:latest");
  EXPECT_EQ(store.PathFor(Uri("127.0.0.1:5000/k/p:1")),
            "/root/store/registry/127.0.0.1:5000/k/p:1");
  EXPECT_EQ(store.PathFor(Uri("https://github.com/k/p/releases/download/v0.1.6/policy.wasm?x=1")),
            "/root/store/https/github.com/k/p/releases/download/v0.1.6/policy.wasm");
  EXPECT_EQ(store.PathFor(Uri("http://h:8080/p.wasm")), "/root/store/http/h:8080/p.wasm");
  const std::string digest = "sha256:" + std::string(64, 'b');
  EXPECT_EQ(store.PathFor(Uri("ghcr.io/k/p@" + digest)),
            "/root/store/registry/ghcr.io/k/p@" + digest);
}

TEST(Store, RefusesPathsThatWouldEscapeTheRoot) {
  Store store("/root/store");
  for (const char* bad : {"https://h/a/../../etc/passwd", "https://h/a/./b", "https://h/dir/",
                          "https://h", "https://h/a//b", "file:///tmp/p.wasm"}) {
    auto path = store.PathFor(Uri(bad));
    EXPECT_FALSE(path.has_value()) << bad << " -> " << (path ? *path : "");
  }
}

TEST(Store, PutLookupListRemove) {
  Store store(testing::MakeTempDir() + "/store");
  const PolicyUri a = Uri("registry://ghcr.io/k/p:v1");
  const PolicyUri b = Uri("https://example.com/x/policy.wasm");
  EXPECT_FALSE(store.Lookup(a).has_value());
  auto path = store.Put(a, "module-a");
  ASSERT_TRUE(path.has_value()) << path.error().message;
  ASSERT_TRUE(store.Put(b, "module-b").has_value());
  EXPECT_EQ(store.Lookup(a), *path);
  auto listed = store.List();
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].uri, "https://example.com/x/policy.wasm");
  EXPECT_EQ((*listed)[1].uri, "registry://ghcr.io/k/p:v1");
  EXPECT_EQ((*listed)[1].path, *path);

  ASSERT_TRUE(store.Remove(a).has_value());
  EXPECT_FALSE(store.Lookup(a).has_value());
  EXPECT_FALSE(std::filesystem::exists(store.root() + "/registry/ghcr.io"));  // pruned
  auto again = store.Remove(a);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(store.List()->size(), 1u);
}

TEST(Store, FindsPoliciesBySha256Prefix) {
  Store store(testing::MakeTempDir() + "/store");
  // sha256("module-a") and sha256("module-b") differ from their first digit on.
  const PolicyUri a = Uri("registry://ghcr.io/k/a:v1");
  const PolicyUri a_copy = Uri("registry://ghcr.io/k/a-copy:v1");
  const PolicyUri b = Uri("registry://ghcr.io/k/b:v1");
  ASSERT_TRUE(store.Put(a, "module-a").has_value());
  ASSERT_TRUE(store.Put(a_copy, "module-a").has_value());
  ASSERT_TRUE(store.Put(b, "module-b").has_value());
  const std::string hex_b = Sha256Hex(Sha256(AsBytes("module-b")));
  auto found = store.FindBySha256Prefix(hex_b.substr(0, 6));
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(found->uri, "registry://ghcr.io/k/b:v1");
  EXPECT_TRUE(store.FindBySha256Prefix(hex_b).has_value());

  const std::string hex_a = Sha256Hex(Sha256(AsBytes("module-a")));
  auto ambiguous = store.FindBySha256Prefix(hex_a.substr(0, 8));
  ASSERT_FALSE(ambiguous.has_value());
  EXPECT_NE(ambiguous.error().message.find("multiple policies found"), std::string::npos);

  // A prefix that matches neither module.
  std::string none;
  for (char c : std::string_view("0123456789abcdef")) {
    if (c != hex_a[0] && c != hex_b[0]) {
      none = std::string(1, c);
      break;
    }
  }
  auto missing = store.FindBySha256Prefix(none);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_FALSE(store.FindBySha256Prefix("XYZ").has_value());
}

TEST(Store, DefaultRootFollowsXdg) {
  const char* saved = std::getenv("XDG_CACHE_HOME");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(Store::DefaultRoot(), "/xdg/kubewarden/store");
  unsetenv("XDG_CACHE_HOME");
  setenv("HOME", std::getenv("HOME") ? std::getenv("HOME") : "/home/u", 1);
  EXPECT_EQ(Store::DefaultRoot(), std::string(std::getenv("HOME")) + "/.cache/kubewarden/store");
  if (saved) setenv("XDG_CACHE_HOME", saved, 1);
}

}  // namespace
}  // namespace kw::oci
