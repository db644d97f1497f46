#include "net/http_client.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <charconv>
#include <exception>

#include "base/strings.h"

namespace kw::net {

struct TlsConfig::Impl {
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_client};
};

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

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

template <typename Stream>
asio::awaitable<Result<HttpResponse>> Exchange(Stream& stream,
                                               const http::request<http::string_body>& request,
                                               std::size_t max_body,
                                               const ProgressCallback& progress, bool* answered) {
  error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  co_await http::async_write(stream, request, token);
  if (ec) co_return Fail(ErrorKind::kIo, "cannot send the request: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(max_body);
  // A HEAD answer announces a Content-Length but carries no body.
  if (request.method() == http::verb::head) parser.skip(true);
  co_await http::async_read_header(stream, buffer, parser, token);
  // Even when reading failed: a Content-Length over the cap fails here, after the header.
  if (answered != nullptr && parser.is_header_done()) *answered = true;
  // The body piece by piece rather than with one async_read, so that progress can be reported;
  // the parser still enforces the body cap, the stream the deadline.
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
  HttpResponse response;
  response.status = parser.get().result_int();
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(parser.get().body());
  co_return response;
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

asio::awaitable<Result<HttpResponse>> SendAsync(
    const HttpUrl& url, const std::optional<Proxy>& proxy, const TlsConfig* tls,
    const http::request<http::string_body>& request, std::size_t max_body,
    std::chrono::milliseconds timeout, const ProgressCallback& progress, bool* answered) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto executor = co_await asio::this_coro::executor;
  error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  tcp::resolver resolver(executor);
  // Through a proxy only the proxy's name is resolved here; the proxy resolves the target's.
  const std::string& host = proxy ? proxy->host : url.host;
  auto endpoints = co_await resolver.async_resolve(host, proxy ? proxy->port : url.port, token);
  if (ec) {
    co_return Fail(ErrorKind::kIo, "cannot resolve " + std::string(proxy ? "proxy " : "") + host +
                                       ": " + ec.message());
  }
  beast::tcp_stream tcp(executor);
  tcp.expires_at(deadline);
  co_await tcp.async_connect(endpoints, token);
  if (ec) {
    co_return Fail(ErrorKind::kIo, "cannot connect to " +
                                       (proxy ? "proxy " + proxy->display : url.authority) + ": " +
                                       ec.message());
  }
  if (!url.tls) co_return co_await Exchange(tcp, request, max_body, progress, answered);
  if (proxy) {
    Result<void> tunnel = co_await OpenTunnel(tcp, url, *proxy);
    if (!tunnel) co_return std::unexpected(std::move(tunnel).error());
  }

  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), tls->impl().context);
  beast::get_lowest_layer(stream).expires_at(deadline);
  error_code not_ip;
  asio::ip::make_address(url.host, not_ip);
  // SNI is for names only (RFC 6066); the certificate check takes names and addresses.
  if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    co_return Fail(ErrorKind::kIo, "cannot set the TLS server name");
  }
  if (tls->verify()) {
    stream.set_verify_mode(asio::ssl::verify_peer);
    stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  } else {
    stream.set_verify_mode(asio::ssl::verify_none);
  }
  co_await stream.async_handshake(asio::ssl::stream_base::client, token);
  if (ec) {
    co_return Fail(ErrorKind::kTls, "TLS handshake with " + url.authority +
                                       (proxy ? " (through proxy " + proxy->display + ")" : "") +
                                       " failed: " + ec.message());
  }
  // No close_notify afterwards: the exchange is complete, and some servers never answer it.
  co_return co_await Exchange(stream, request, max_body, progress, answered);
}

Result<HttpResponse> SendOnce(const HttpUrl& url, const std::string& method, const Headers& headers,
                              const std::string& body, const HttpRequest& options,
                              const TlsConfig* tls, bool* answered) {
  if (url.tls && tls == nullptr) {
    return Fail(ErrorKind::kInvalidArgument, "no TLS configuration for " + url.ToString());
  }
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    return Fail(ErrorKind::kInvalidArgument, "unknown HTTP method " + method);
  }
  KW_ASSIGN_OR_RETURN(std::optional<Proxy> proxy,
                      ProxyFor(options.proxies, url.tls, url.host, url.port));
  // A plain-HTTP request to a proxy names the whole URL (absolute form, RFC 9112 §3.2.2).
  const bool absolute_form = proxy && !url.tls;
  http::request<http::string_body> request{verb, absolute_form ? url.ToString() : url.target, 11};
  request.set(http::field::host, url.authority);
  request.set(http::field::user_agent, kUserAgent);
  for (const auto& [name, value] : headers) {
    // A header that would split the request is a caller bug or injected data: refuse it.
    if (name.find_first_of(std::string_view(":\r\n\0", 4)) != std::string::npos ||
        value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Fail(ErrorKind::kInvalidArgument, "malformed request header " + name);
    }
    request.set(name, value);
  }
  if (absolute_form && proxy->authorization) {
    request.set(http::field::proxy_authorization, *proxy->authorization);
  }
  request.body() = body;
  // PUT/POST/PATCH always say how long the body is, even when empty (upload sessions need it).
  if (!body.empty() || verb == http::verb::put || verb == http::verb::post ||
      verb == http::verb::patch) {
    request.content_length(body.size());
  }
  asio::io_context io;
  std::optional<Result<HttpResponse>> result;
  asio::co_spawn(io,
                 SendAsync(url, proxy, tls, request, options.max_response_bytes, options.timeout,
                           options.on_progress, answered),
                 [&](std::exception_ptr failure, Result<HttpResponse> reply) {
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
  if (!result) return Fail(ErrorKind::kInternal, "the HTTP request did not complete");
  if (*result) {
    (*result)->url = url.ToString();
    // Servers do not send 407: the proxy refused to forward the request.
    if (absolute_form && (*result)->status == 407) {
      return Fail(ErrorKind::kIo, "proxy " + proxy->display + " refused the request to " +
                                      url.ToString() + ": 407 Proxy Authentication Required");
    }
  }
  return std::move(*result);
}

bool IsRedirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

TlsConfig::TlsConfig(std::unique_ptr<Impl> impl, bool verify)
    : impl_(std::move(impl)), verify_(verify) {}
TlsConfig::~TlsConfig() = default;

Result<std::shared_ptr<const TlsConfig>> TlsConfig::Create(const TlsOptions& options) {
  auto impl = std::make_unique<Impl>();
  std::string doing;
  try {
    impl->context.set_options(asio::ssl::context::default_workarounds |
                              asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                              asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    if (options.system_roots) {
      doing = "load the system's trusted CAs";
      impl->context.set_default_verify_paths();
    }
    for (const std::string& pem : options.ca_pems) {
      doing = "load a CA certificate";
      impl->context.add_certificate_authority(asio::buffer(pem));
    }
    if (options.ca_file) {
      doing = "load the CA file " + *options.ca_file;
      impl->context.load_verify_file(*options.ca_file);
    }
    if (options.client_certificate_file.has_value() != options.client_key_file.has_value()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "a client certificate and its key must be given together");
    }
    if (options.client_certificate_file) {
      doing = "load the client certificate " + *options.client_certificate_file;
      impl->context.use_certificate_chain_file(*options.client_certificate_file);
      doing = "load the client key " + *options.client_key_file;
      impl->context.use_private_key_file(*options.client_key_file, asio::ssl::context::pem);
    }
  } catch (const std::exception& e) {
    return Fail(ErrorKind::kInvalidArgument, "cannot " + doing + ": " + e.what());
  }
  return std::shared_ptr<const TlsConfig>(new TlsConfig(std::move(impl), options.verify));
}

std::string HttpUrl::ToString() const {
  return (tls ? "https://" : "http://") + authority + target;
}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  const auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid URL '" + std::string(url) + "': " + std::string(why));
  };
  HttpUrl out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return invalid("the scheme must be http or https");
  }
  if (rest.find_first_of(std::string_view(" \r\n\t\0", 5)) != std::string_view::npos) {
    return invalid("blanks and control characters are not allowed");
  }
  const std::size_t path = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path);
  std::string_view target = path == std::string_view::npos ? "" : rest.substr(path);
  target = target.substr(0, target.find('#'));
  if (authority.find('@') != std::string_view::npos) return invalid("user info is not supported");
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return invalid("unexpected text after the IPv6 address");
      port = after.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return invalid("no host");
  unsigned port_number = 0;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
    if (ec != std::errc() || end != port.data() + port.size() || port_number == 0 ||
        port_number > 65535) {
      return invalid("bad port");
    }
  }
  out.host = std::string(host);
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  out.authority = std::string(authority);
  out.target = target.empty()            ? "/"
               : target.starts_with('?') ? "/" + std::string(target)
                                         : std::string(target);
  return out;
}

Result<HttpUrl> ResolveLocation(const HttpUrl& base, std::string_view location) {
  // A scheme (a ':' before any '/', '?' or '#') makes it absolute: only http(s) parse.
  const std::size_t colon = location.find(':');
  if (colon != std::string_view::npos && colon < location.find_first_of("/?#")) {
    return ParseHttpUrl(location);
  }
  const std::string scheme = base.tls ? "https:" : "http:";
  if (location.starts_with("//")) return ParseHttpUrl(scheme + std::string(location));
  if (location.starts_with('/')) {
    return ParseHttpUrl(scheme + "//" + base.authority + std::string(location));
  }
  // Relative to the directory of the base path (RFC 3986 §5.2.3, without dot-segment removal:
  // registries only ever send absolute paths or URLs).
  std::string_view path = std::string_view(base.target).substr(0, base.target.find('?'));
  path = path.substr(0, path.rfind('/') + 1);
  return ParseHttpUrl(scheme + "//" + base.authority + std::string(path) + std::string(location));
}

Result<HttpResponse> Send(const HttpRequest& request, const TlsConfig* tls, bool* answered) {
  KW_ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(request.url));
  const std::string origin = url.authority;
  std::string method = request.method;
  std::string body = request.body;
  Headers headers = request.headers;
  for (int hop = 0;; ++hop) {
    KW_ASSIGN_OR_RETURN(HttpResponse response,
                        SendOnce(url, method, headers, body, request, tls, answered));
    if (!IsRedirect(response.status) || hop >= request.max_redirects) return response;
    std::optional<std::string> location = response.Header("Location");
    if (!location) return response;
    auto next = ResolveLocation(url, *location);
    if (!next) return Fail(ErrorKind::kIo, "bad redirect: " + next.error().message);
    // A TLS origin must not be downgraded to plain text by a redirect.
    if (url.tls && !next->tls) {
      return Fail(ErrorKind::kIo, "refusing a redirect from https to " + next->ToString());
    }
    url = std::move(*next);
    if (url.authority != origin) {
      std::erase_if(headers, [](const auto& header) {
        return EqualsIgnoreCase(header.first, "Authorization");
      });
    }
    if (response.status == 303 && method != "HEAD") {
      method = "GET";
      body.clear();
    }
  }
}

}  // namespace kw::net
