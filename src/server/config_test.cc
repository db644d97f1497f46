#include "server/config.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace kw::server {
namespace {

Result<ParsedCommandLine> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "policy-server");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(ServerConfig, DefaultsMatchUpstream) {
  auto r = Parse({});
  ASSERT_TRUE(r && r->config);
  const Config& c = *r->config;
  EXPECT_EQ(c.address, "0.0.0.0");
  EXPECT_EQ(c.port, 3000);
  EXPECT_EQ(c.readiness_probe_port, 8081);
  EXPECT_EQ(c.policies, "policies.yml");
  EXPECT_EQ(c.policies_download_dir, ".");
  EXPECT_EQ(c.policy_timeout_seconds, 2u);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.log_format, LogFormat::kText);
  EXPECT_FALSE(c.tls());
  EXPECT_GE(c.EffectiveWorkers(), 1u);
}

TEST(ServerConfig, FlagsAndEnvironmentVariables) {
  setenv("KUBEWARDEN_PORT", "8443", 1);
  setenv("KUBEWARDEN_POLICIES", "/config/policies.yml", 1);
  setenv("KUBEWARDEN_CLIENT_CA_FILE", "/ca/a.pem,/client-ca/b.pem", 1);
  setenv("KUBEWARDEN_CERT_FILE", "/pki/tls.crt", 1);
  setenv("KUBEWARDEN_KEY_FILE", "/pki/tls.key", 1);
  setenv("KUBEWARDEN_CONTINUE_ON_ERRORS", "true", 1);
  auto r = Parse({"--port", "9000", "--workers", "3", "--log-fmt", "json"});
  for (const char* v : {"KUBEWARDEN_PORT", "KUBEWARDEN_POLICIES", "KUBEWARDEN_CLIENT_CA_FILE",
                        "KUBEWARDEN_CERT_FILE", "KUBEWARDEN_KEY_FILE",
                        "KUBEWARDEN_CONTINUE_ON_ERRORS"}) {
    unsetenv(v);
  }
  ASSERT_TRUE(r && r->config) << (r ? "" : r.error().message);
  const Config& c = *r->config;
  EXPECT_EQ(c.port, 9000);  // the flag wins over the environment
  EXPECT_EQ(c.policies, "/config/policies.yml");
  EXPECT_EQ(c.client_ca_files, (std::vector<std::string>{"/ca/a.pem", "/client-ca/b.pem"}));
  EXPECT_TRUE(c.tls());
  EXPECT_TRUE(c.continue_on_errors);
  EXPECT_EQ(c.EffectiveWorkers(), 3u);
  EXPECT_EQ(c.log_format, LogFormat::kJson);
}

TEST(ServerConfig, CompiledCodeCacheDirectory) {
  auto defaults = Parse({"--policies-download-dir", "/tmp"});
  ASSERT_TRUE(defaults && defaults->config);
  EXPECT_EQ(defaults->config->CompiledCacheDir(), "/tmp/compiled-code");
  EXPECT_FALSE(defaults->config->disable_compiled_cache);

  setenv("KUBEWARDEN_COMPILED_CACHE_DIR", "/cache/compiled", 1);
  setenv("KUBEWARDEN_DISABLE_COMPILED_CACHE", "true", 1);
  auto env = Parse({});
  unsetenv("KUBEWARDEN_COMPILED_CACHE_DIR");
  unsetenv("KUBEWARDEN_DISABLE_COMPILED_CACHE");
  ASSERT_TRUE(env && env->config);
  EXPECT_EQ(env->config->CompiledCacheDir(), "/cache/compiled");
  EXPECT_TRUE(env->config->disable_compiled_cache);
}

TEST(ServerConfig, ConnectionAndRequestMemoryLimits) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults && defaults->config);
  EXPECT_EQ(defaults->config->max_connections, 0u);  // from the open-file limit
  EXPECT_EQ(defaults->config->max_request_buffer_mib, 64u);

  setenv("KUBEWARDEN_MAX_CONNECTIONS", "500", 1);
  setenv("KUBEWARDEN_MAX_REQUEST_BUFFER_MIB", "16", 1);
  auto env = Parse({});
  auto flags = Parse({"--max-connections", "700", "--max-request-buffer-mib", "8"});
  unsetenv("KUBEWARDEN_MAX_CONNECTIONS");
  unsetenv("KUBEWARDEN_MAX_REQUEST_BUFFER_MIB");
  ASSERT_TRUE(env && env->config && flags && flags->config);
  EXPECT_EQ(env->config->max_connections, 500u);
  EXPECT_EQ(env->config->max_request_buffer_mib, 16u);
  EXPECT_EQ(flags->config->max_connections, 700u);
  EXPECT_EQ(flags->config->max_request_buffer_mib, 8u);

  auto no_budget = Parse({"--max-request-buffer-mib", "0"});
  ASSERT_TRUE(no_budget);
  EXPECT_EQ(no_budget->exit_code, 2);
}

TEST(ServerConfig, RefusesInconsistentTls) {
  auto cert_only = Parse({"--cert-file", "/pki/tls.crt"});
  ASSERT_FALSE(cert_only);
  EXPECT_EQ(cert_only.error().message, "both certificate and key must be provided together");
  auto ca_only = Parse({"--client-ca-file", "/ca.pem"});
  ASSERT_FALSE(ca_only);
  auto usage = Parse({"--log-level", "loud"});
  ASSERT_TRUE(usage);
  EXPECT_FALSE(usage->config);
  EXPECT_EQ(usage->exit_code, 2);
}

}  // namespace
}  // namespace kw::server
