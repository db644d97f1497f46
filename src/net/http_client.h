// A small blocking HTTP/1.1 client (Boost.Beast over Asio, OpenSSL), for the few outbound calls
// the project makes: OTLP metric exports, OCI registries, policy downloads.
//
// Every request opens a fresh connection (no pooling: these calls are rare and large), runs on
// its own io_context in the calling thread, and is bounded by one deadline covering connect, TLS
// handshake, send and receive (name resolution is bounded by the resolver's own timeouts).
// Servers are untrusted: the response body is capped (exceeding the cap is an error, never a
// silent truncation), and redirects are followed only when asked, a bounded number of times,
// dropping the Authorization header when the redirect leaves the original host[:port] (blob
// downloads redirect to object storage, which must not see registry credentials).
//
// TLS: `https://` URLs verify the server against the system trust store plus any extra CA
// certificates, checking the URL's host name (or IP address) against the certificate, unless
// the TlsConfig is insecure (no verification at all, for sources the user declared insecure).
//
// Proxies (proxy.h): each hop (the first URL and every redirect) picks its proxy again from the
// request's ProxySettings. http:// goes to the proxy in absolute form; https:// opens a CONNECT
// tunnel, requires a 2xx, then does the TLS handshake with the target through it. The deadline
// covers the proxy connection, the CONNECT exchange and the handshake too; the proxy's answers
// are capped like a server's.
//
// Errors: kInvalidArgument for unusable URLs and configuration (including proxy URLs), kTls
// for a failed TLS handshake (an untrusted certificate, a server that does not speak TLS, ...),
// kIo for other transport failures (resolution, connection, timeouts, oversized or malformed
// answers, a proxy refusing a CONNECT, or answering 407 to a proxied request); messages name
// the proxy when one was used. Any other HTTP error status is not an error here: callers look
// at `status`. Thread-safe: a TlsConfig may be shared by concurrent requests.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "net/proxy.h"

namespace kw::net {

// An http:// or https:// URL, split for a client.
struct HttpUrl {
  bool tls = false;
  std::string host;       // without IPv6 brackets, for the resolver and the certificate check
  std::string port;       // the URL's, else 80 or 443
  std::string authority;  // for the Host header: host[:port] as written
  std::string target;     // path and query; "/" when the URL has none

  // scheme://authority/target, the fragment dropped.
  std::string ToString() const;
};
// Parses an absolute http(s) URL; user info is refused (credentials go in headers).
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// `location` (a Location header: absolute, scheme-relative, absolute-path or relative) resolved
// against `base`.
Result<HttpUrl> ResolveLocation(const HttpUrl& base, std::string_view location);

struct TlsOptions {
  bool verify = true;                  // false: accept any certificate (insecure sources only)
  bool system_roots = true;            // trust the system's CA store
  std::vector<std::string> ca_pems;    // extra trusted CA certificates, PEM text
  std::optional<std::string> ca_file;  // extra trusted CA bundle, a PEM file
  std::optional<std::string> client_certificate_file;  // PEM chain, for mTLS
  std::optional<std::string> client_key_file;          // its key
  // The same as PEM text (a kubeconfig's client-certificate-data); not with the files.
  std::optional<std::string> client_certificate_pem;
  std::optional<std::string> client_key_pem;
};

// A prepared TLS client context. Immutable once created.
class TlsConfig {
 public:
  // Loads the certificates. Fails with kInvalidArgument naming what could not be loaded.
  static Result<std::shared_ptr<const TlsConfig>> Create(const TlsOptions& options);
  ~TlsConfig();
  TlsConfig(const TlsConfig&) = delete;
  TlsConfig& operator=(const TlsConfig&) = delete;

  bool verify() const { return verify_; }
  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  TlsConfig(std::unique_ptr<Impl> impl, bool verify);
  std::unique_ptr<Impl> impl_;
  bool verify_;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Called as the body of a successful (2xx) answer arrives, after each read from the connection:
// the body bytes received so far, and the Content-Length when the server sent one. Runs on the
// calling thread, inside Send; throttling the display is the callback's business.
using ProgressCallback =
    std::function<void(std::uint64_t received, std::optional<std::uint64_t> total)>;

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, PATCH, DELETE
  std::string url;
  Headers headers;  // sent as given; Host, User-Agent and Content-Length are set here
  std::string body;
  std::size_t max_response_bytes = 1u << 20;
  std::chrono::milliseconds timeout{30000};  // per hop when following redirects
  int max_redirects = 0;                     // 0: a 3xx is returned to the caller as is
  ProxySettings proxies;                     // empty: always connect directly
  ProgressCallback on_progress;              // optional
};

struct HttpResponse {
  unsigned status = 0;
  Headers headers;  // names as the server sent them
  std::string body;
  std::string url;  // the URL that answered (after redirects)

  // The first header named `name` (case-insensitive), if any.
  std::optional<std::string> Header(std::string_view name) const;
};

// Sends `request`. `tls` is required for https:// URLs (and for redirects to them); nullptr
// makes https:// fail with kInvalidArgument. `answered` (optional) is set once any byte of an
// answer has arrived, so a caller can tell "the server answered, badly" (an oversized body, a cut
// connection, bytes that are not HTTP) from "no server reached" even when Send fails.
Result<HttpResponse> Send(const HttpRequest& request, const TlsConfig* tls,
                          bool* answered = nullptr);

}  // namespace kw::net
