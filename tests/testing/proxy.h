// Test helper: a real HTTP proxy (Debian's tinyproxy 1.11) on loopback, optionally demanding
// Basic proxy authentication. It forwards absolute-form requests and opens CONNECT tunnels to any
// port (the configuration has no ConnectPort line, which tinyproxy reads as "all ports"), and
// logs every request line, so a test can tell that the proxy carried its traffic. Each instance
// is its own process on its own free port, killed when destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "testing/process.h"

namespace kw::testing {

inline constexpr char kTinyproxyBinary[] = "/usr/bin/tinyproxy";

struct TestProxyOptions {
  // Non-empty: the proxy demands `Proxy-Authorization: Basic` with this user and password.
  // (tinyproxy 1.11 answers 407 when the header is missing but 401 when it is wrong.)
  std::string username;
  std::string password;
};

class TestProxy {
 public:
  // Writes the configuration, starts tinyproxy and waits (up to 20 s) until it accepts
  // connections. Throws std::runtime_error when it cannot (binary missing, no listener).
  explicit TestProxy(TestProxyOptions options = {});
  ~TestProxy();
  TestProxy(const TestProxy&) = delete;
  TestProxy& operator=(const TestProxy&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>", without credentials.
  std::string Url() const;
  // "http://<user>:<password>@127.0.0.1:<port>" (the strings are used as given: no escaping).
  std::string UrlWithCredentials(const std::string& user, const std::string& password) const;
  // The request lines the proxy has logged so far, in order, e.g.
  // "GET http://127.0.0.1:5000/v2/ HTTP/1.1" or "CONNECT 127.0.0.1:5001 HTTP/1.1".
  std::vector<std::string> Requests() const;
  // The whole log, for failure messages.
  std::string Log() const;

 private:
  int port_ = 0;
  std::string dir_;
  std::unique_ptr<ChildProcess> process_;
};

// True when the tinyproxy binary is installed (tests skip themselves otherwise).
bool HaveTinyproxy();

}  // namespace kw::testing
