#include "testing/policy_server.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

namespace kw::testing {

using namespace std::chrono_literals;

std::unique_ptr<PolicyServer> PolicyServer::Start(const std::string& policies_yml,
                                                  std::vector<std::string> args, bool tls,
                                                  std::vector<std::string> launcher) {
  std::string policies = MakeTempDir() + "/policies.yml";
  std::ofstream(policies) << policies_yml;
  return Launch(policies, std::move(args), tls, std::move(launcher));
}

std::unique_ptr<PolicyServer> PolicyServer::StartWithFile(const std::string& policies_path,
                                                          std::vector<std::string> args) {
  return Launch(policies_path, std::move(args), false, {});
}

std::unique_ptr<PolicyServer> PolicyServer::Launch(const std::string& policies,
                                                   std::vector<std::string> args, bool tls,
                                                   std::vector<std::string> launcher) {
  // A port picked free may be taken by another test before the server binds it: try again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto server = std::unique_ptr<PolicyServer>(new PolicyServer());
    server->port_ = FreeLoopbackPort();
    server->readiness_port_ = FreeLoopbackPort();
    server->tls_ = tls;
    server->policies_path_ = policies;
    std::vector<std::string> argv = {PolicyServerBinary(),
                                     "--addr", "127.0.0.1",
                                     "--port", std::to_string(server->port_),
                                     "--readiness-probe-port",
                                     std::to_string(server->readiness_port_),
                                     "--policies", policies};
    if (std::find(args.begin(), args.end(), "--workers") == args.end()) {
      argv.insert(argv.end(), {"--workers", "2"});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.begin(), launcher.begin(), launcher.end());
    server->process_ = std::make_unique<ChildProcess>(argv);
    if (server->WaitReady()) return server;
    std::string err = server->process_->Stderr();
    if (err.find("cannot listen") == std::string::npos) {
      ADD_FAILURE() << "policy-server did not become ready\nstderr: " << err
                    << "\nstdout: " << server->process_->Stdout();
      return nullptr;
    }
  }
  ADD_FAILURE() << "no free port";
  return nullptr;
}

std::string PolicyServer::Url(std::string_view path) const {
  return (tls_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_) +
         std::string(path);
}

HttpResult PolicyServer::Post(std::string_view path, const std::string& body) const {
  HttpOptions o;
  o.body = body;
  return Http(Url(path), o);
}

std::string PolicyServer::Status() const {
  HttpOptions o;
  o.method = "GET";
  auto r = Http("http://127.0.0.1:" + std::to_string(readiness_port_) + "/policies", o);
  return r.ok() && r.status == 200 ? r.body : "";
}

bool PolicyServer::WaitReady() {
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Running()) return false;
    HttpOptions o;
    o.method = "GET";
    o.timeout = 1s;
    auto r = Http("http://127.0.0.1:" + std::to_string(readiness_port_) + "/readiness", o);
    if (r.ok() && r.status == 200) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace kw::testing
