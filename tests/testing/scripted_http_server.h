// Test helper: a loopback HTTP/1.1 server whose answers come from a handler the test supplies,
// one thread per connection. Because every request runs on its own thread, a handler may block
// (to hold requests in flight and count them, say) while others are served, and it may answer
// by target (to stand in for a registry that serves hand-crafted manifests). Compare HttpSink
// (http_sink.h): one connection at a time, one fixed answer.
//
// Every answer closes its connection. A connection that does not start with an HTTP request
// line (a TLS ClientHello from a client trying HTTPS first) is closed at once, so such clients
// fall back to plain HTTP without waiting for a timeout. Answers to HEAD carry the headers of the
// handler's answer without its body.
//
// Thread-safe: the handler is called concurrently, from the connection threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testing/http_sink.h"

namespace kw::testing {

struct ScriptedResponse {
  int status = 200;
  std::string content_type = "application/octet-stream";
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  std::string body;
  // Non-zero: the body is sent in ten pieces with this pause before each (a slow download).
  std::chrono::milliseconds trickle{0};
};

using ScriptedHandler = std::function<ScriptedResponse(const CapturedRequest&)>;

class ScriptedHttpServer {
 public:
  // Listens on 127.0.0.1 on a free port. Throws std::runtime_error when it cannot.
  explicit ScriptedHttpServer(ScriptedHandler handler);
  // Stops accepting and waits for the connection threads: handlers must return by themselves
  // (a handler that blocks must have a way out, e.g. a timeout).
  ~ScriptedHttpServer();
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:<port>" (the authority of URLs, the registry part of references).
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Url() const { return "http://" + host(); }

  // Every complete request received so far, in arrival order (a request is recorded before its
  // handler runs).
  std::vector<CapturedRequest> Requests();

 private:
  void Serve();
  void HandleConnection(int fd);

  ScriptedHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable idle_;
  std::vector<CapturedRequest> requests_;  // guarded by mutex_
  std::size_t active_ = 0;                 // connection threads still running; guarded by mutex_
  std::thread thread_;
};

}  // namespace kw::testing
