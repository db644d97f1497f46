// Outbound HTTP proxies: which proxy, if any, carries a request (tooling.md §1.1 proxy
// environment variables, §2.4 the `proxies` section of sources.yaml).
//
// The semantics follow reqwest, which upstream's downloads use:
//   * http:// URLs go through `http_proxy`: the request is sent to the proxy in absolute form
//     (`GET http://host:port/path HTTP/1.1`).
//   * https:// URLs go through `https_proxy`: a `CONNECT host:port` tunnel, then TLS with the
//     target over it (the certificate is checked against the target, as without a proxy).
//   * A proxy is written `http://[user:password@]host[:port]`, or bare `host[:port]` (read as
//     http://). The port defaults to 80, the http:// default reqwest (upstream) uses; curl
//     would use 1080, which no upstream user relies on. user:password (percent-decoded) becomes
//     `Proxy-Authorization: Basic ...`. Proxies spoken to over TLS (`https://` proxy URLs) and
//     SOCKS are refused with kInvalidArgument.
//   * `no_proxy` lists hosts reached directly (NoProxyMatches below).
// An unset or blank setting means no proxy. Proxy settings are plain values, safe to share.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace kw::net {

struct ProxySettings {
  std::optional<std::string> http_proxy;   // proxy for http:// URLs
  std::optional<std::string> https_proxy;  // proxy for https:// URLs (CONNECT tunnels)
  std::optional<std::string> no_proxy;     // comma-separated hosts reached directly

  bool operator==(const ProxySettings&) const = default;
};

// The proxy environment variables: HTTP_PROXY/http_proxy, HTTPS_PROXY/https_proxy and
// NO_PROXY/no_proxy. When both spellings are set the upper-case one wins (tooling.md §1.1);
// an empty variable counts as unset.
ProxySettings ProxySettingsFromEnvironment();

// Field by field: `top`'s value where it has a non-blank one, else `base`'s (blank means unset,
// as in the environment). Callers choose the precedence:
// kwctl overlays the environment on the sources file (`Overlay(file, env)`, upstream's quirk),
// policy-server takes the file first (`Overlay(env, file)`).
ProxySettings Overlay(const ProxySettings& base, const ProxySettings& top);

// A parsed proxy URL.
struct Proxy {
  std::string host;  // without IPv6 brackets
  std::string port;
  std::optional<std::string> authorization;  // "Basic <base64 user:password>"
  std::string display;                       // "http://host:port", never the credentials
};

// Parses a proxy URL (see the top of this file). Errors are kInvalidArgument and never repeat
// the credentials.
Result<Proxy> ParseProxyUrl(std::string_view text);

// Whether `no_proxy` exempts `host` (as in a URL, IPv6 without brackets) on `port` (the
// effective port, "80"/"443" when the URL has none). The list is comma-separated; blanks
// around entries are trimmed and matching ignores case. An entry is
//   `*`                      every host;
//   `corp.example`, `.corp.example` (or `*.corp.example`)
//                            that domain and its subdomains;
//   an IP address            that address exactly (IPv6 with or without brackets);
//   a CIDR block             addresses in it (`10.0.0.0/8`, `fd00::/8`);
// and a domain or address entry may end in `:port`, which the port must then match too
// (`[::1]:8080` for IPv6). Unparsable entries match nothing.
bool NoProxyMatches(std::string_view no_proxy, std::string_view host, std::string_view port);

// The proxy for a URL of scheme https (`tls`) or http, host and port: nullopt to connect
// directly (no proxy for the scheme, or `no_proxy` matches). Fails with kInvalidArgument when
// the proxy setting does not parse.
Result<std::optional<Proxy>> ProxyFor(const ProxySettings& settings, bool tls,
                                      std::string_view host, std::string_view port);

}  // namespace kw::net
