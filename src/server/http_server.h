// An HTTP/1.1 server on Boost.Beast and Asio: plain TCP or TLS listeners, keep-alive, request
// timeouts, and graceful shutdown. It knows nothing of policies: each listener hands complete
// requests to its RequestHandler and writes back what the handler answers.
//
// Per connection:
//   - TLS handshake, then requests one after another (keep-alive; pipelined bytes are kept).
//   - A new connection must send its first byte within `read_timeout`; waiting for the first
//     byte of a later request is bounded by `idle_timeout`. From that byte on, the whole request
//     (headers and body; with TLS the handshake too, for the first request) must arrive within
//     `read_timeout`, so a client trickling bytes is dropped at that deadline without ever
//     reaching the handler: handlers only see complete requests.
//   - Until its first byte, a connection holds no buffer and no TLS state (made when bytes
//     arrive); between keep-alive requests it holds no buffer either (transport.h).
//   - At most `max_connections` are open at once; more are accepted and closed at once.
//   - What connections buffer of their requests (read buffers, bodies) is charged to a budget
//     of `request_memory_limit` bytes (request_memory.h) before it is allocated. A request the
//     budget cannot take is answered 503 (`Retry-After: 1`) without being read, and the
//     connection is closed after the response.
//   - A body over `body_limit` (by Content-Length, or while reading a chunked body) is not read:
//     the handler gets the request with `body_too_large` and the connection is closed after the
//     response. `Expect: 100-continue` is answered before the body is read.
//   - Malformed HTTP gets a 400 and the connection is closed.
//   - While the handler works there is no timeout (the handler bounds its own work); writing
//     the response is bounded by `write_timeout`.
//
// Threading: `io_threads` threads run all I/O, or the caller's threads when the server is built
// over their io_context; one more thread accepts connections. Each connection is serialized on
// its own strand, so its handler calls and response writes never overlap. A handler may answer
// from any thread. The process must ignore SIGPIPE (TLS writes go through write(2)).
//
// Shutdown: stop accepting, close idle connections, let the requests already begun finish (their
// responses carry `Connection: close`), then stop. Connections still open after the grace period
// are closed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include "base/error.h"
#include "server/tls.h"

namespace kw::server {

namespace http = boost::beast::http;

struct HttpRequest {
  http::verb method = http::verb::unknown;
  std::string target;  // as sent: path and query
  std::optional<std::string> content_type;
  // The W3C Trace Context `traceparent` header, which a traced request continues.
  std::optional<std::string> traceparent;
  std::string body;
  bool body_too_large = false;  // the body was over the limit and was not read
};

struct HttpResponse {
  http::status status = http::status::ok;
  std::string content_type;  // empty = no Content-Type header
  std::string body;
  std::vector<std::pair<http::field, std::string>> headers;
};

// Takes the response. Call it once, from any thread; dropping it uncalled closes the connection.
using Responder = std::move_only_function<void(HttpResponse)>;

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Called on an I/O thread with a complete request. Must not block: long work goes elsewhere
  // and answers through `respond` later.
  virtual void Handle(HttpRequest request, Responder respond) = 0;
};

struct HttpServerOptions {
  unsigned io_threads = 1;
  std::size_t body_limit = 2u << 20;  // 2 MiB, axum's default (§1.1)
  std::size_t header_limit = 64u << 10;
  std::chrono::milliseconds read_timeout{std::chrono::seconds(10)};
  // Longer than common clients' idle-connection timeouts (Go's is 90 s), so that the client
  // closes an idle connection first rather than racing a request against our close.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
  std::size_t max_connections = 10000;
  std::size_t request_memory_limit = 64u << 20;
};

class HttpServer {
 public:
  // Runs its own io_context on `options.io_threads` threads.
  explicit HttpServer(HttpServerOptions options = {});
  // Serves on `io`, which the caller's threads run (`options.io_threads` is ignored): Start only
  // lets connections in. `io` must outlive the server and keep running until Shutdown returns.
  HttpServer(HttpServerOptions options, boost::asio::io_context& io);
  // Shuts down (with no grace) if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `address`:`port` and listens (TLS when `tls` is given, with the holder's context at
  // each accept). Connections are served once Start() runs. Returns the bound port (useful with
  // port 0). Errors name the address. Call before Start(), from one thread.
  Result<std::uint16_t> Listen(std::string_view address, std::uint16_t port,
                               std::shared_ptr<RequestHandler> handler,
                               std::shared_ptr<const TlsContextHolder> tls = nullptr);

  // Starts the I/O threads (if the server has its own).
  void Start();

  // Graceful shutdown (see above); blocks until done. Idempotent; not from an I/O thread.
  void Shutdown(std::chrono::milliseconds grace);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kw::server
