// One HTTP/1.1 connection to one origin, kept open across exchanges, and a pool of them: what a
// client that talks to the same server all the time (the Kubernetes API server) needs, where
// Send (http_client.h) opens a connection per request. Send is built on the same connection, so
// TLS, proxies, caps and error kinds are exactly as http_client.h describes them.
//
// A connection is used by one thread at a time. Exchanges are bounded by a deadline; a
// streamed answer (a watch) by an idle timeout instead, and can be cancelled from another
// thread. A connection that failed, or whose server asked to close, is not reused.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "net/http_client.h"
#include "net/proxy.h"

namespace kw::net {

// Where a connection goes and how it is secured.
struct Origin {
  HttpUrl url;                       // scheme, host and port; the target is ignored
  std::optional<Proxy> proxy;        // nullopt: connect directly
  std::shared_ptr<const TlsConfig> tls;  // required for https
  // The name the server's certificate must carry when it is not the URL's host (a Kubernetes
  // API server reached by IP address is checked as kubernetes.default.svc). Empty: the host.
  std::string tls_server_name;
};

// One request on a connection: the method, the target (path and query), headers (Host,
// User-Agent and Content-Length are set by the connection) and body.
struct WireRequest {
  std::string method = "GET";
  std::string target = "/";
  Headers headers;
  std::string body;
  // Whether the request may be sent again when a pooled connection turns out to be closed
  // before any answer. GET, HEAD, PUT and DELETE always may; a POST that changes nothing (a
  // policy evaluation) says so here.
  bool retry_safe = false;
};

// Receives a streamed body piece by piece; returning false stops the stream.
using BodySink = std::function<bool(std::string_view bytes)>;

class HttpConnection {
 public:
  // Connects (through the proxy, then TLS) by `deadline`.
  static Result<std::unique_ptr<HttpConnection>> Open(
      const Origin& origin, std::chrono::steady_clock::time_point deadline);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `request` and reads the whole answer (body capped at `max_body`) by `deadline`.
  // `answered` as in Send.
  Result<HttpResponse> Exchange(const WireRequest& request,
                                std::chrono::steady_clock::time_point deadline,
                                std::size_t max_body, const ProgressCallback& progress = {},
                                bool* answered = nullptr);

  // Sends `request`; a 2xx answer's body goes to `sink` as it arrives, until the server ends it,
  // `sink` returns false, Cancel is called, or nothing arrives for `idle_timeout` (kTimeout).
  // The response is returned without its body then; any other status is read whole (capped at
  // `max_error_body`) and returned with its body. A streamed connection is never reused.
  Result<HttpResponse> Stream(const WireRequest& request, std::chrono::milliseconds idle_timeout,
                              std::size_t max_error_body, const BodySink& sink);

  // Ends a Stream (or Exchange) under way from another thread: it returns kIo "cancelled".
  // Thread-safe; a no-op when nothing runs.
  void Cancel();

  // Whether the last exchange left the connection usable for another.
  bool reusable() const;

  struct Impl;

 private:
  explicit HttpConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Idle connections to one origin, handed out one at a time. Thread-safe.
class HttpConnectionPool {
 public:
  explicit HttpConnectionPool(Origin origin, std::size_t max_idle = 16);
  ~HttpConnectionPool();

  // Exchange on a pooled connection (opened by `deadline` when none is idle). A request that
  // fails on a connection taken from the pool before any answer arrived is retried once on a
  // fresh connection when its method is idempotent or it is retry_safe: the server may have
  // closed it while idle.
  Result<HttpResponse> Exchange(const WireRequest& request,
                                std::chrono::steady_clock::time_point deadline,
                                std::size_t max_body);

  // A fresh connection for a long stream (not taken from the pool, never returned to it).
  Result<std::unique_ptr<HttpConnection>> OpenDedicated(
      std::chrono::steady_clock::time_point deadline);

  const Origin& origin() const { return origin_; }

 private:
  const Origin origin_;
  const std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<HttpConnection>> idle_;
};

}  // namespace kw::net
