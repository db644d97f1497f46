// Test fixture: a running kube-apiserver-double (tests/kube_apiserver) with a fresh PKI, a
// static token file and two kubeconfig files, for tests of code that talks to Kubernetes.
//
// The binary is started at construction and killed at destruction. Everything is loopback. The
// server certificate names what a real API server's does (kubernetes, kubernetes.default,
// kubernetes.default.svc[.cluster.local]) besides localhost and 127.0.0.1, since clients check
// an IP-addressed API server against kubernetes.default.svc.
// Helpers that talk to the double authenticate with the client certificate
// (CN=test-user, O=system:masters) and record failures as gtest failures.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "testing/certificates.h"
#include "testing/http_client.h"
#include "testing/process.h"

namespace kw::testing {

struct KubeDoubleOptions {
  std::vector<std::string> seed_files;  // --seed, in order
  std::string sar_rules;                // YAML text for --sar-rules ("" = none)
  std::string deny_rules;               // YAML text for --deny ("" = none)
  int watch_history = 0;                // 0 = the binary's default
  int bookmark_interval_ms = 0;         // 0 = the binary's default
  std::vector<std::string> extra_args;
};

class KubeApiServerDouble {
 public:
  // The token file's only entry.
  static constexpr const char* kToken = "test-token";
  static constexpr const char* kUser = "test-user";
  static constexpr const char* kGroup = "system:masters";

  // Starts the double; throws std::runtime_error when it does not come up.
  explicit KubeApiServerDouble(KubeDoubleOptions options = {});
  ~KubeApiServerDouble();
  KubeApiServerDouble(const KubeApiServerDouble&) = delete;
  KubeApiServerDouble& operator=(const KubeApiServerDouble&) = delete;

  std::string Url() const;  // https://127.0.0.1:<port>
  int Port() const { return port_; }
  // A kubeconfig (current context "double") with the client certificate, and one with the token.
  std::string KubeconfigPath() const { return kubeconfig_; }
  std::string TokenKubeconfigPath() const { return token_kubeconfig_; }
  std::string CaPem() const;
  const Certificates& certificates() const { return certificates_; }
  const IssuedCertificate& client() const { return client_; }

  // One request with the client certificate (`path` includes the query).
  HttpResult Request(const std::string& method, const std::string& path,
                     const std::string& body = "",
                     const std::string& content_type = "application/json");
  // Creates every object of `yaml` (documents or a List), looking up each kind's resource in
  // discovery; a failed expectation for each that fails.
  void Seed(const std::string& yaml);
  // POST /double/faults.
  void Faults(const std::string& json);
  // GET /double/requests for (verb, path).
  std::uint64_t RequestCount(const std::string& verb, const std::string& path);
  void ResetCounters();
  void Compact();
  // POST /double/service-endpoints: admission webhooks of Service ns/name are called at
  // `address` ("127.0.0.1:<port>"), their certificate checked for <name>.<ns>.svc.
  void MapService(const std::string& ns, const std::string& name, const std::string& address);

 private:
  Certificates certificates_;
  IssuedCertificate server_;
  IssuedCertificate client_;
  std::string dir_;
  std::string kubeconfig_, token_kubeconfig_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace kw::testing
