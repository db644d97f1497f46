#include "testing/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace kw::testing {
namespace {

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

}  // namespace

bool HaveTinyproxy() { return access(kTinyproxyBinary, X_OK) == 0; }

TestProxy::TestProxy(TestProxyOptions options) {
  if (!HaveTinyproxy()) throw std::runtime_error("tinyproxy is not installed");
  dir_ = MakeTempDir();
  port_ = FreeLoopbackPort();
  // LogLevel Connect logs each client's request line ("Request (file descriptor N): ...").
  std::string config = "Port " + std::to_string(port_) +
                       "\n"
                       "Listen 127.0.0.1\n"
                       "Allow 127.0.0.1\n"
                       "Timeout 60\n"
                       "MaxClients 50\n"
                       "LogLevel Connect\n"
                       "LogFile \"" +
                       dir_ + "/tinyproxy.log\"\n";
  if (!options.username.empty()) {
    config += "BasicAuth " + options.username + " " + options.password + "\n";
  }
  std::ofstream(dir_ + "/tinyproxy.conf") << config;
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kTinyproxyBinary, "-d", "-c", dir_ + "/tinyproxy.conf"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Running()) {
      throw std::runtime_error("tinyproxy exited: " + process_->Stderr() + Log());
    }
    if (Accepts(port_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("tinyproxy does not accept connections: " + process_->Stderr());
}

TestProxy::~TestProxy() = default;  // ChildProcess kills and reaps tinyproxy

std::string TestProxy::Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string TestProxy::UrlWithCredentials(const std::string& user,
                                          const std::string& password) const {
  return "http://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port_);
}

std::string TestProxy::Log() const {
  std::ifstream in(dir_ + "/tinyproxy.log");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> TestProxy::Requests() const {
  std::vector<std::string> requests;
  std::istringstream lines(Log());
  static constexpr std::string_view kMarker = "Request (file descriptor ";
  for (std::string line; std::getline(lines, line);) {
    const std::size_t at = line.find(kMarker);
    if (at == std::string::npos) continue;
    const std::size_t colon = line.find("): ", at);
    if (colon != std::string::npos) requests.push_back(line.substr(colon + 3));
  }
  return requests;
}

}  // namespace kw::testing
