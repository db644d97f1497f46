#include "testing/registry.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "testing/http_client.h"

namespace kw::testing {

bool HaveDockerRegistry() { return access(kDockerRegistryBinary, X_OK) == 0; }

TestRegistry::TestRegistry(TestRegistryOptions options) : options_(std::move(options)) {
  if (!HaveDockerRegistry()) throw std::runtime_error("docker-registry is not installed");
  dir_ = MakeTempDir();
  storage_dir_ = dir_ + "/storage";
  port_ = FreeLoopbackPort();
  std::string config =
      "version: 0.1\n"
      "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
      "storage:\n  filesystem:\n    rootdirectory: " +
      storage_dir_ +
      "\n"
      "  delete:\n    enabled: true\n"
      "http:\n  addr: 127.0.0.1:" +
      std::to_string(port_) + "\n";
  if (options_.tls) {
    certificates_ = MakeCertificates();
    config += "  tls:\n    certificate: " + certificates_->server_cert +
              "\n    key: " + certificates_->server_key + "\n";
  }
  if (!options_.username.empty()) {
    ProcessResult hashed =
        RunProcess({"/usr/bin/htpasswd", "-Bbn", options_.username, options_.password});
    if (hashed.exit_code != 0) throw std::runtime_error("htpasswd failed: " + hashed.err);
    std::ofstream(dir_ + "/htpasswd") << hashed.out;
    config += "auth:\n  htpasswd:\n    realm: kw-test\n    path: " + dir_ + "/htpasswd\n";
  }
  if (!options_.token_realm.empty()) {
    config += "auth:\n  token:\n    realm: " + options_.token_realm +
              "\n    service: " + options_.token_service +
              "\n    issuer: " + options_.token_issuer +
              "\n    rootcertbundle: " + options_.token_cert_file + "\n";
  }
  std::ofstream(dir_ + "/config.yml") << config;
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kDockerRegistryBinary, "serve", dir_ + "/config.yml"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Running()) {
      throw std::runtime_error("docker-registry exited: " + process_->Stderr());
    }
    HttpOptions probe{
        .method = "GET", .content_type = std::nullopt, .timeout = std::chrono::seconds(2)};
    if (options_.tls) probe.ca_file = certificates_->ca;
    HttpResult answer = Http(Url() + "/v2/", probe);
    if (answer.ok() && (answer.status == 200 || answer.status == 401)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("docker-registry does not answer: " + process_->Stderr());
}

TestRegistry::~TestRegistry() = default;  // ChildProcess kills and reaps the registry

std::string TestRegistry::Url() const { return (options_.tls ? "https://" : "http://") + host(); }

}  // namespace kw::testing
