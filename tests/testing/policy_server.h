// Test helper: the real policy-server binary on 127.0.0.1 loopback ports, started and waited
// for until ready, for the integration tests.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "testing/http_client.h"
#include "testing/process.h"

namespace kw::testing {

class PolicyServer {
 public:
  // Starts policy-server with `policies_yml` (written to a temp file) and `args`, on free ports,
  // with 2 workers unless `args` says otherwise, and waits until its readiness probe answers
  // 200. Returns nullptr, with a test failure recorded (stderr and stdout included), when it
  // does not become ready. `tls`: the API is served over HTTPS (Url() says https://localhost).
  // `launcher`: a command that runs the server, such as {"/usr/bin/prlimit", "--nofile=256",
  // "--"} (its first word an absolute path).
  static std::unique_ptr<PolicyServer> Start(const std::string& policies_yml,
                                             std::vector<std::string> args = {},
                                             bool tls = false,
                                             std::vector<std::string> launcher = {});
  // The same with `--policies <policies_path>`, a file the test made (and may change).
  static std::unique_ptr<PolicyServer> StartWithFile(const std::string& policies_path,
                                                     std::vector<std::string> args = {});

  std::string Url(std::string_view path) const;
  HttpResult Post(std::string_view path, const std::string& body) const;
  int port() const { return port_; }
  int readiness_port() const { return readiness_port_; }
  // The --policies file.
  const std::string& policies_path() const { return policies_path_; }
  // GET /policies on the readiness port: what is served, as JSON text ("" on failure).
  std::string Status() const;
  ChildProcess& process() { return *process_; }

 private:
  PolicyServer() = default;
  static std::unique_ptr<PolicyServer> Launch(const std::string& policies,
                                              std::vector<std::string> args, bool tls,
                                              std::vector<std::string> launcher);
  bool WaitReady();

  int port_ = 0;
  int readiness_port_ = 0;
  bool tls_ = false;
  std::string policies_path_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace kw::testing
