#include "net/http_connection.h"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <exception>

#include "net/tls_context.h"

namespace kw::net {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Registries answer auth challenges with long WWW-Authenticate headers; 64 KiB is plenty and
// still bounds what a hostile server can make us buffer.
constexpr std::uint32_t kMaxHeaderBytes = 64u << 10;

constexpr char kUserAgent[] = "kubewarden-cpp";

// A reason phrase or other short text from a peer, made safe to print.
std::string Printable(std::string_view text) {
  std::string out(text.substr(0, 100));
  std::replace_if(
      out.begin(), out.end(), [](char c) { return !std::isprint(static_cast<unsigned char>(c)); },
      '?');
  return out;
}

// Asks `proxy` (connected on `tcp`) for a tunnel to `url`'s host and port.
asio::awaitable<Result<void>> OpenTunnel(beast::tcp_stream& tcp, const HttpUrl& url,
                                         const Proxy& proxy) {
  const bool ipv6 = url.host.find(':') != std::string::npos;
  const std::string target = (ipv6 ? "[" + url.host + "]" : url.host) + ":" + url.port;
  http::request<http::empty_body> connect{http::verb::connect, target, 11};
  connect.set(http::field::host, target);
  connect.set(http::field::user_agent, kUserAgent);
  if (proxy.authorization) connect.set(http::field::proxy_authorization, *proxy.authorization);
  error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  co_await http::async_write(tcp, connect, token);
  if (ec) {
    co_return Fail(ErrorKind::kIo,
                   "cannot send CONNECT to proxy " + proxy.display + ": " + ec.message());
  }
  // Only the header: a 2xx to CONNECT has no body (whatever its framing headers claim), and
  // the body of a refusal does not matter.
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  co_await http::async_read_header(tcp, buffer, parser, token);
  if (ec) {
    co_return Fail(ErrorKind::kIo, "proxy " + proxy.display + " did not answer CONNECT to " +
                                       target + ": " + ec.message());
  }
  const unsigned status = parser.get().result_int();
  if (status < 200 || status >= 300) {
    co_return Fail(ErrorKind::kIo, "proxy " + proxy.display + " refused CONNECT to " + target +
                                       ": " + std::to_string(status) + " " +
                                       Printable(parser.get().reason()));
  }
  // The target speaks only after our ClientHello: anything already here is not from it.
  if (buffer.size() != 0) {
    co_return Fail(ErrorKind::kIo,
                   "proxy " + proxy.display + " sent data after accepting CONNECT to " + target);
  }
  co_return Result<void>();
}

HttpResponse ToResponse(http::response_parser<http::string_body>& parser) {
  HttpResponse response;
  response.status = parser.get().result_int();
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(parser.get().body());
  return response;
}

Result<http::request<http::string_body>> ToBeastRequest(const Origin& origin,
                                                        const WireRequest& wire) {
  const http::verb verb = http::string_to_verb(wire.method);
  if (verb == http::verb::unknown) {
    return Fail(ErrorKind::kInvalidArgument, "unknown HTTP method " + wire.method);
  }
  // A plain-HTTP request to a proxy names the whole URL (absolute form, RFC 9112 §3.2.2).
  const bool absolute_form = origin.proxy && !origin.url.tls;
  const std::string scheme = origin.url.tls ? "https://" : "http://";
  http::request<http::string_body> request{
      verb, absolute_form ? scheme + origin.url.authority + wire.target : wire.target, 11};
  request.set(http::field::host, origin.url.authority);
  request.set(http::field::user_agent, kUserAgent);
  for (const auto& [name, value] : wire.headers) {
    // A header that would split the request is a caller bug or injected data: refuse it.
    if (name.find_first_of(std::string_view(":\r\n\0", 4)) != std::string::npos ||
        value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Fail(ErrorKind::kInvalidArgument, "malformed request header " + name);
    }
    request.set(name, value);
  }
  if (absolute_form && origin.proxy->authorization) {
    request.set(http::field::proxy_authorization, *origin.proxy->authorization);
  }
  request.body() = wire.body;
  // PUT/POST/PATCH always say how long the body is, even when empty (upload sessions need it).
  if (!wire.body.empty() || verb == http::verb::put || verb == http::verb::post ||
      verb == http::verb::patch) {
    request.content_length(wire.body.size());
  }
  return request;
}

}  // namespace

struct HttpConnection::Impl {
  Origin origin;
  asio::io_context io;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;  // bytes read past the last answer stay here for the next one
  bool reusable = false;
  std::atomic<bool> cancelled{false};

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  // Runs `operation` (a coroutine) on this connection's io_context until it completes.
  template <typename T>
  Result<T> Run(asio::awaitable<Result<T>> operation) {
    std::optional<Result<T>> result;
    io.restart();
    asio::co_spawn(io, std::move(operation), [&](std::exception_ptr failure, Result<T> reply) {
      if (!failure) {
        result = std::move(reply);
        return;
      }
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        result = Fail(ErrorKind::kIo, e.what());
      }
    });
    io.run();
    if (!result) return Fail(ErrorKind::kInternal, "the HTTP operation did not complete");
    return std::move(*result);
  }

  asio::awaitable<Result<void>> Connect(Clock::time_point deadline) {
    auto executor = co_await asio::this_coro::executor;
    error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    tcp::resolver resolver(executor);
    const auto& proxy = origin.proxy;
    const HttpUrl& url = origin.url;
    // Through a proxy only the proxy's name is resolved here; the proxy resolves the target's.
    const std::string& host = proxy ? proxy->host : url.host;
    auto endpoints =
        co_await resolver.async_resolve(host, proxy ? proxy->port : url.port, token);
    if (ec) {
      co_return Fail(ErrorKind::kIo, "cannot resolve " + std::string(proxy ? "proxy " : "") +
                                         host + ": " + ec.message());
    }
    beast::tcp_stream stream(executor);
    stream.expires_at(deadline);
    co_await stream.async_connect(endpoints, token);
    if (ec) {
      co_return Fail(ErrorKind::kIo, "cannot connect to " +
                                         (proxy ? "proxy " + proxy->display : url.authority) +
                                         ": " + ec.message());
    }
    if (!url.tls) {
      plain.emplace(std::move(stream));
      co_return Result<void>();
    }
    if (proxy) {
      Result<void> tunnel = co_await OpenTunnel(stream, url, *proxy);
      if (!tunnel) co_return std::unexpected(std::move(tunnel).error());
    }
    secure.emplace(std::move(stream), TlsContextOf(*origin.tls));
    const std::string& name =
        origin.tls_server_name.empty() ? url.host : origin.tls_server_name;
    error_code not_ip;
    asio::ip::make_address(name, not_ip);
    // SNI is for names only (RFC 6066); the certificate check takes names and addresses.
    if (not_ip && !SSL_set_tlsext_host_name(secure->native_handle(), name.c_str())) {
      co_return Fail(ErrorKind::kIo, "cannot set the TLS server name");
    }
    if (origin.tls->verify()) {
      secure->set_verify_mode(asio::ssl::verify_peer);
      secure->set_verify_callback(asio::ssl::host_name_verification(name));
    } else {
      secure->set_verify_mode(asio::ssl::verify_none);
    }
    co_await secure->async_handshake(asio::ssl::stream_base::client, token);
    if (ec) {
      co_return Fail(ErrorKind::kTls, "TLS handshake with " + url.authority +
                                          (proxy ? " (through proxy " + proxy->display + ")" : "") +
                                          " failed: " + ec.message());
    }
    co_return Result<void>();
  }

  template <typename Stream>
  asio::awaitable<Result<HttpResponse>> ExchangeOn(Stream& stream,
                                                   http::request<http::string_body> request,
                                                   std::size_t max_body,
                                                   const ProgressCallback& progress,
                                                   bool* answered) {
    error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    co_await http::async_write(stream, request, token);
    if (ec) co_return Fail(ErrorKind::kIo, "cannot send the request: " + ec.message());
    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(max_body);
    // A HEAD answer announces a Content-Length but carries no body.
    if (request.method() == http::verb::head) parser.skip(true);
    co_await http::async_read_header(stream, buffer, parser, token);
    // Even when reading failed: a Content-Length over the cap fails here, after the header, and
    // bytes that are not HTTP are an answer too (a bad one), unlike a connection closed unread.
    if (answered != nullptr && (parser.got_some() || buffer.size() > 0)) *answered = true;
    // The body piece by piece rather than with one async_read, so that progress can be
    // reported; the parser still enforces the body cap, the stream the deadline.
    const unsigned status = parser.get().result_int();
    const bool report = progress && status >= 200 && status < 300;
    while (!ec && !parser.is_done()) {
      co_await http::async_read_some(stream, buffer, parser, token);
      if (!ec && report) {
        const auto length = parser.content_length();
        progress(parser.get().body().size(),
                 length ? std::optional<std::uint64_t>(*length) : std::nullopt);
      }
    }
    if (ec == http::error::body_limit) {
      co_return Fail(ErrorKind::kIo,
                     "the response is larger than " + std::to_string(max_body) + " bytes");
    }
    if (ec) co_return Fail(ErrorKind::kIo, "cannot read the response: " + ec.message());
    reusable = parser.keep_alive();
    co_return ToResponse(parser);
  }

  template <typename Stream>
  asio::awaitable<Result<HttpResponse>> StreamOn(Stream& stream,
                                                 http::request<http::string_body> request,
                                                 std::chrono::milliseconds idle_timeout,
                                                 std::size_t max_error_body,
                                                 const BodySink& sink) {
    error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    co_await http::async_write(stream, request, token);
    if (ec) co_return Fail(ErrorKind::kIo, "cannot send the request: " + ec.message());
    tcp().expires_after(idle_timeout);
    http::response_parser<http::buffer_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(boost::none);  // a stream has no end we can know
    co_await http::async_read_header(stream, buffer, parser, token);
    if (ec) co_return Fail(ErrorKind::kIo, "cannot read the response: " + ec.message());
    HttpResponse response;
    response.status = parser.get().result_int();
    for (const auto& field : parser.get()) {
      response.headers.emplace_back(std::string(field.name_string()),
                                    std::string(field.value()));
    }
    const bool success = response.status >= 200 && response.status < 300;
    char chunk[16 * 1024];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      tcp().expires_after(idle_timeout);
      co_await http::async_read_some(stream, buffer, parser, token);
      if (ec == http::error::need_buffer) ec = {};
      if (ec == beast::error::timeout) {
        co_return Fail(ErrorKind::kTimeout, "nothing received for " +
                                                std::to_string(idle_timeout.count()) + " ms");
      }
      if (ec) {
        co_return Fail(ErrorKind::kIo, cancelled ? std::string("cancelled")
                                                 : "the stream broke: " + ec.message());
      }
      const std::size_t got = sizeof chunk - parser.get().body().size;
      if (got == 0) continue;
      const std::string_view bytes(chunk, got);
      if (success) {
        if (!sink(bytes)) co_return response;
      } else {
        if (response.body.size() + got > max_error_body) {
          co_return Fail(ErrorKind::kIo, "the response is larger than " +
                                             std::to_string(max_error_body) + " bytes");
        }
        response.body.append(bytes);
      }
    }
    co_return response;
  }
};

HttpConnection::HttpConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpConnection::~HttpConnection() = default;

Result<std::unique_ptr<HttpConnection>> HttpConnection::Open(const Origin& origin,
                                                             Clock::time_point deadline) {
  if (origin.url.tls && origin.tls == nullptr) {
    return Fail(ErrorKind::kInvalidArgument, "no TLS configuration for " + origin.url.ToString());
  }
  auto impl = std::make_unique<Impl>();
  impl->origin = origin;
  Impl& self = *impl;
  KW_TRY(self.Run(self.Connect(deadline)));
  self.reusable = true;
  return std::unique_ptr<HttpConnection>(new HttpConnection(std::move(impl)));
}

Result<HttpResponse> HttpConnection::Exchange(const WireRequest& wire, Clock::time_point deadline,
                                              std::size_t max_body,
                                              const ProgressCallback& progress, bool* answered) {
  Impl& self = *impl_;
  self.reusable = false;
  KW_ASSIGN_OR_RETURN(auto request, ToBeastRequest(self.origin, wire));
  self.tcp().expires_at(deadline);
  if (self.secure) {
    return self.Run(
        self.ExchangeOn(*self.secure, std::move(request), max_body, progress, answered));
  }
  return self.Run(self.ExchangeOn(*self.plain, std::move(request), max_body, progress, answered));
}

Result<HttpResponse> HttpConnection::Stream(const WireRequest& wire,
                                            std::chrono::milliseconds idle_timeout,
                                            std::size_t max_error_body, const BodySink& sink) {
  Impl& self = *impl_;
  self.reusable = false;
  if (self.cancelled) return Fail(ErrorKind::kIo, "cancelled");
  KW_ASSIGN_OR_RETURN(auto request, ToBeastRequest(self.origin, wire));
  if (self.secure) {
    return self.Run(
        self.StreamOn(*self.secure, std::move(request), idle_timeout, max_error_body, sink));
  }
  return self.Run(
      self.StreamOn(*self.plain, std::move(request), idle_timeout, max_error_body, sink));
}

void HttpConnection::Cancel() {
  Impl& self = *impl_;
  self.cancelled = true;
  // The socket belongs to the thread running the io_context: close it there.
  asio::post(self.io, [&self] {
    error_code ignored;
    self.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    self.tcp().socket().close(ignored);
  });
}

bool HttpConnection::reusable() const { return impl_->reusable && !impl_->cancelled; }

HttpConnectionPool::HttpConnectionPool(Origin origin, std::size_t max_idle)
    : origin_(std::move(origin)), max_idle_(max_idle) {}
HttpConnectionPool::~HttpConnectionPool() = default;

Result<HttpResponse> HttpConnectionPool::Exchange(const WireRequest& request,
                                                  Clock::time_point deadline,
                                                  std::size_t max_body) {
  const bool idempotent = request.retry_safe || request.method == "GET" ||
                          request.method == "HEAD" || request.method == "PUT" ||
                          request.method == "DELETE";
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<HttpConnection> connection;
    if (attempt == 0) {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        connection = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    const bool pooled = connection != nullptr;
    if (!pooled) {
      KW_ASSIGN_OR_RETURN(connection, HttpConnection::Open(origin_, deadline));
    }
    bool answered = false;
    Result<HttpResponse> response =
        connection->Exchange(request, deadline, max_body, {}, &answered);
    if (!response && pooled && !answered && idempotent && Clock::now() < deadline) continue;
    if (response && connection->reusable()) {
      std::lock_guard lock(mutex_);
      if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
    }
    return response;
  }
}

Result<std::unique_ptr<HttpConnection>> HttpConnectionPool::OpenDedicated(
    Clock::time_point deadline) {
  return HttpConnection::Open(origin_, deadline);
}

}  // namespace kw::net
