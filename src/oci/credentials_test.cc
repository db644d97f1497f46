#include "oci/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "base/base64.h"
#include "testing/process.h"

namespace kw::oci {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir(); }
  void Config(const std::string& json) { std::ofstream(dir_ + "/config.json") << json; }
  std::string dir_;
};

TEST_F(CredentialsTest, ReadsAuthsEntries) {
  Config(R"({"auths": {"host:5000": {"auth": ")" + Base64Encode("user:pa:ss") +
         R"("}, "other.io": {"username": "u2", "password": "p2"}, "tok.io": {"identitytoken": "x"},
             "https://index.docker.io/v1/": {"auth": ")" +
         Base64Encode("hub:pw") + R"("}}})");
  auto found = LookupCredentials("host:5000", dir_);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->username, "user");
  EXPECT_EQ(found->password, "pa:ss");  // only the first ':' separates
  auto other = LookupCredentials("other.io", dir_);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->username, "u2");
  EXPECT_EQ(other->password, "p2");
  auto hub = LookupCredentials("docker.io", dir_);
  ASSERT_TRUE(hub.has_value());
  EXPECT_EQ(hub->username, "hub");
  EXPECT_FALSE(LookupCredentials("tok.io", dir_).has_value());  // identity tokens: anonymous
  EXPECT_FALSE(LookupCredentials("host", dir_).has_value());    // exact host[:port] match
  EXPECT_FALSE(LookupCredentials("host:5000", dir_ + "/missing").has_value());
}

TEST_F(CredentialsTest, MalformedConfigMeansAnonymous) {
  Config("{not json");
  EXPECT_FALSE(LookupCredentials("host:5000", dir_).has_value());
  Config(R"({"auths": {"h": {"auth": "bm90LWJhc2U2NA=="}}})");  // "not-base64" has no ':'
  EXPECT_FALSE(LookupCredentials("h", dir_).has_value());
}

TEST_F(CredentialsTest, RunsCredentialHelpers) {
  // A helper that answers for one server and fails for the others, as the real ones do.
  const std::string bin = dir_ + "/bin";
  ASSERT_EQ(mkdir(bin.c_str(), 0755), 0);
  const std::string helper = bin + "/docker-credential-kwtest";
  std::ofstream(helper)
      << "#!/bin/sh\n"
         "[ \"$1\" = get ] || exit 2\n"
         "read server\n"
         "[ \"$server\" = helped.io ] || { echo 'credentials not found'; exit 1; }\n"
         "echo '{\"ServerURL\":\"helped.io\",\"Username\":\"hu\",\"Secret\":\"hs\"}'\n";
  ASSERT_EQ(chmod(helper.c_str(), 0755), 0);
  const std::string saved_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", (bin + ":" + saved_path).c_str(), 1);

  Config(R"({"credHelpers": {"helped.io": "kwtest"}})");
  auto helped = LookupCredentials("helped.io", dir_);
  ASSERT_TRUE(helped.has_value());
  EXPECT_EQ(helped->username, "hu");
  EXPECT_EQ(helped->password, "hs");

  Config(R"({"credsStore": "kwtest"})");
  EXPECT_TRUE(LookupCredentials("helped.io", dir_).has_value());
  EXPECT_FALSE(LookupCredentials("unknown.io", dir_).has_value());

  Config(R"({"credsStore": "absent-helper"})");
  EXPECT_FALSE(LookupCredentials("helped.io", dir_).has_value());
  Config(R"({"credsStore": "../../bin/sh"})");
  EXPECT_FALSE(LookupCredentials("helped.io", dir_).has_value());
  setenv("PATH", saved_path.c_str(), 1);
}

}  // namespace
}  // namespace kw::oci
