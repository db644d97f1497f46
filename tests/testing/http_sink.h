// Test helper: a loopback HTTP/1.1 server that records the requests it gets and answers each
// with a fixed status and body, e.g. to stand in for an OpenTelemetry collector.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

struct ssl_ctx_st;

namespace kw::testing {

struct CapturedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Reads one HTTP/1.1 request (headers and a Content-Length body) with `receive`, which works
// like recv(2): the bytes read, <= 0 when the connection ends. nullopt when the connection ends
// before a whole request, or, with `hang_up_unless_http`, when it does not start like a request
// line (a TLS ClientHello, say). For the test servers here, not for hostile input.
using Receive = std::function<long(char* buffer, std::size_t size)>;
std::optional<CapturedRequest> ReadHttpRequest(const Receive& receive,
                                               bool hang_up_unless_http = false);

struct HttpSinkOptions {
  int status = 200;  // every answer's
  // Every answer's body and its Content-Type.
  std::string body = "{}";
  // When set, the body of the answer to each request (instead of `body`): for servers whose
  // answers depend on what they are asked (an admission webhook echoes the request's uid).
  std::function<std::string(const CapturedRequest&)> body_for;
  std::string content_type = "application/json";
  // Extra response headers (e.g. a Location for redirects).
  std::vector<std::pair<std::string, std::string>> headers;
  // TLS: the server certificate and key (empty = plain HTTP), and the CA that client
  // certificates must chain to (empty = no client certificate asked for).
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  // How long to wait before answering each request: a slow server.
  std::chrono::milliseconds delay{0};
};

class HttpSink {
 public:
  // Listens on 127.0.0.1 on a free port; every request is answered with the status and the body
  // options, then the connection is closed. Throws std::runtime_error when it cannot listen
  // or load the TLS files.
  explicit HttpSink(HttpSinkOptions options = {});
  ~HttpSink();
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;

  int port() const { return port_; }
  std::string Url() const {
    return (tls_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_);
  }

  // Waits until at least `count` requests have arrived (or `timeout` passed); returns them all.
  std::vector<CapturedRequest> WaitFor(std::size_t count, std::chrono::milliseconds timeout);
  std::vector<CapturedRequest> Requests();
  // Connections whose TLS handshake failed.
  int failed_handshakes() const { return failed_handshakes_; }

 private:
  void Serve();
  void HandleConnection(int fd);

  HttpSinkOptions options_;
  ssl_ctx_st* tls_ = nullptr;
  std::atomic<int> failed_handshakes_{0};
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<CapturedRequest> requests_;
  std::thread thread_;
};

}  // namespace kw::testing
