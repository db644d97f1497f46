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
#include "net/http_connection.h"
#include "net/tls_context.h"

namespace kw::net {

namespace {

namespace asio = boost::asio;

Result<HttpResponse> SendOnce(const HttpUrl& url, const std::string& method, const Headers& headers,
                              const std::string& body, const HttpRequest& options,
                              const TlsConfig* tls, bool* answered) {
  if (url.tls && tls == nullptr) {
    return Fail(ErrorKind::kInvalidArgument, "no TLS configuration for " + url.ToString());
  }
  KW_ASSIGN_OR_RETURN(std::optional<Proxy> proxy,
                      ProxyFor(options.proxies, url.tls, url.host, url.port));
  // The caller keeps `tls` alive for the call: share it without owning it.
  Origin origin{url, proxy, std::shared_ptr<const TlsConfig>(std::shared_ptr<void>(), tls), {}};
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  KW_ASSIGN_OR_RETURN(auto connection, HttpConnection::Open(origin, deadline));
  WireRequest wire{method, url.target, headers, body};
  KW_ASSIGN_OR_RETURN(HttpResponse response,
                      connection->Exchange(wire, deadline, options.max_response_bytes,
                                           options.on_progress, answered));
  response.url = url.ToString();
  // Servers do not send 407: the proxy refused to forward the request.
  if (proxy && !url.tls && response.status == 407) {
    return Fail(ErrorKind::kIo, "proxy " + proxy->display + " refused the request to " +
                                    url.ToString() + ": 407 Proxy Authentication Required");
  }
  return response;
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
    if (options.client_certificate_pem.has_value() != options.client_key_pem.has_value() ||
        (options.client_certificate_pem && options.client_certificate_file)) {
      return Fail(ErrorKind::kInvalidArgument,
                  "a client certificate and its key must be given together, once");
    }
    if (options.client_certificate_pem) {
      doing = "load the client certificate";
      impl->context.use_certificate_chain(asio::buffer(*options.client_certificate_pem));
      doing = "load the client key";
      impl->context.use_private_key(asio::buffer(*options.client_key_pem),
                                    asio::ssl::context::pem);
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
