// Test helper: a real OCI registry (Debian's docker-registry, distribution 2.8) on loopback, with
// a fresh storage directory, optionally behind TLS (a test CA from certificates.h) and htpasswd
// Basic auth. Each instance is its own process on its own free port, killed when destroyed.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "testing/certificates.h"
#include "testing/process.h"

namespace kw::testing {

inline constexpr char kDockerRegistryBinary[] = "/usr/bin/docker-registry";

struct TestRegistryOptions {
  bool tls = false;
  // Non-empty: htpasswd (bcrypt) Basic auth with this one user.
  std::string username;
  std::string password;
  // Non-empty: the Docker token flow instead, tokens (JWT, RS256 with an x5c header) issued by
  // `token_issuer` for `token_service`, signed by the key of the certificate `token_cert_file`.
  std::string token_realm;
  std::string token_service;
  std::string token_issuer;
  std::string token_cert_file;
};

class TestRegistry {
 public:
  // Writes the configuration, starts the registry and waits (up to 20 s) until it answers /v2/.
  // Throws std::runtime_error when it cannot (binary missing, no answer).
  explicit TestRegistry(TestRegistryOptions options = {});
  ~TestRegistry();
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  // "127.0.0.1:<port>", the registry part of references.
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // The TLS material (tls only).
  const Certificates& certificates() const { return *certificates_; }
  // The registry's storage directory, for tests that tamper with stored blobs.
  const std::string& storage_dir() const { return storage_dir_; }
  // The base URL: https://127.0.0.1:<port> or http://...
  std::string Url() const;

 private:
  TestRegistryOptions options_;
  int port_ = 0;
  std::string dir_;
  std::string storage_dir_;
  std::optional<Certificates> certificates_;
  std::unique_ptr<ChildProcess> process_;
};

// True when the docker-registry binary is installed (tests skip themselves otherwise).
bool HaveDockerRegistry();

}  // namespace kw::testing
