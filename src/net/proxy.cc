#include "net/proxy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "base/base64.h"
#include "base/percent_decode.h"
#include "base/strings.h"
#include "net/http_client.h"

namespace kw::net {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<std::string> FromEnvironment(const char* upper, const char* lower) {
  for (const char* name : {upper, lower}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return std::string(value);
  }
  return std::nullopt;
}

// An IPv4 or IPv6 address as 4 or 16 network-order bytes.
struct Address {
  int size = 0;  // 4 or 16
  std::array<unsigned char, 16> bytes{};
};

std::optional<Address> ParseAddress(std::string_view text) {
  if (text.starts_with('[') && text.ends_with(']')) text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.size = 4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.size = 16;
    return a;
  }
  return std::nullopt;
}

bool InBlock(const Address& address, const Address& network, unsigned prefix) {
  if (address.size != network.size) return false;
  for (int i = 0; i < address.size && prefix > 0; ++i, prefix = prefix >= 8 ? prefix - 8 : 0) {
    const unsigned bits = std::min(prefix, 8u);
    const auto mask = static_cast<unsigned char>(0xff00u >> bits);
    if ((address.bytes[i] & mask) != (network.bytes[i] & mask)) return false;
  }
  return true;
}

// One no_proxy entry (trimmed, lower-cased, non-empty) against a normalised host.
bool EntryMatches(std::string_view entry, std::string_view host,
                  const std::optional<Address>& host_address, std::string_view port) {
  if (entry == "*") return true;
  std::string_view name = entry;
  std::string_view entry_port;
  if (entry.starts_with('[')) {
    const std::size_t close = entry.find(']');
    if (close == std::string_view::npos) return false;
    name = entry.substr(1, close - 1);
    const std::string_view after = entry.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return false;
      entry_port = after.substr(1);
    }
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    // One colon: host:port. More: a bare IPv6 address or block, which cannot carry a port.
    const std::size_t colon = entry.find(':');
    name = entry.substr(0, colon);
    entry_port = entry.substr(colon + 1);
  }
  if (!entry_port.empty() && entry_port != port) return false;
  if (const std::size_t slash = name.find('/'); slash != std::string_view::npos) {
    const std::optional<Address> network = ParseAddress(name.substr(0, slash));
    const std::string_view bits = name.substr(slash + 1);
    unsigned prefix = 0;
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (!network || !host_address || ec != std::errc() || end != bits.data() + bits.size() ||
        bits.empty() || prefix > static_cast<unsigned>(network->size) * 8) {
      return false;
    }
    return InBlock(*host_address, *network, prefix);
  }
  if (const std::optional<Address> address = ParseAddress(name)) {
    return host_address && host_address->size == address->size &&
           host_address->bytes == address->bytes;
  }
  if (name.starts_with("*.")) {
    name.remove_prefix(2);
  } else if (name.starts_with('.')) {
    name.remove_prefix(1);
  }
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty()) return false;
  return host == name || (host.size() > name.size() && host.ends_with(name) &&
                          host[host.size() - name.size() - 1] == '.');
}

// `text` with any user info replaced, for error messages. Everything up to the last '@' counts
// as user info, even an unescaped '/' or '@' in a password, so that none of it leaks.
std::string Redacted(std::string_view text) {
  const std::size_t scheme = text.find("://");
  const std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const std::size_t at = text.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(text);
  return std::string(text.substr(0, start)) + "***@" + std::string(text.substr(at + 1));
}

}  // namespace

ProxySettings ProxySettingsFromEnvironment() {
  return {.http_proxy = FromEnvironment("HTTP_PROXY", "http_proxy"),
          .https_proxy = FromEnvironment("HTTPS_PROXY", "https_proxy"),
          .no_proxy = FromEnvironment("NO_PROXY", "no_proxy")};
}

ProxySettings Overlay(const ProxySettings& base, const ProxySettings& top) {
  const auto pick = [](const std::optional<std::string>& base_value,
                       const std::optional<std::string>& top_value) {
    return top_value && !Trim(*top_value).empty() ? top_value : base_value;
  };
  return {.http_proxy = pick(base.http_proxy, top.http_proxy),
          .https_proxy = pick(base.https_proxy, top.https_proxy),
          .no_proxy = pick(base.no_proxy, top.no_proxy)};
}

Result<Proxy> ParseProxyUrl(std::string_view text) {
  text = Trim(text);
  const auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid proxy URL '" + Redacted(text) + "': " + std::string(why));
  };
  std::string_view rest = text;
  if (const std::size_t scheme_end = text.find("://"); scheme_end != std::string_view::npos) {
    const std::string scheme = AsciiLower(text.substr(0, scheme_end));
    if (scheme == "https") return invalid("proxies reached over TLS (https://) are not supported");
    if (scheme != "http") return invalid("unsupported proxy scheme '" + scheme + "'");
    rest = text.substr(scheme_end + 3);
  }
  Proxy proxy;
  // Lenient like curl: user info runs to the last '@', whatever it contains.
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    const std::optional<std::string> user = PercentDecode(userinfo.substr(0, colon));
    const std::optional<std::string> password =
        PercentDecode(colon == std::string_view::npos ? "" : userinfo.substr(colon + 1));
    if (!user || !password) return invalid("bad percent-escape in the user info");
    proxy.authorization = "Basic " + Base64Encode(*user + ":" + *password);
  }
  // A path (reqwest ignores it) does not matter for a proxy.
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return invalid("no host");
  auto url = ParseHttpUrl("http://" + std::string(authority));
  if (!url) return invalid("bad host or port");
  proxy.host = std::move(url->host);
  proxy.port = std::move(url->port);
  const bool ipv6 = proxy.host.find(':') != std::string::npos;
  proxy.display = "http://" + (ipv6 ? "[" + proxy.host + "]" : proxy.host) + ":" + proxy.port;
  return proxy;
}

bool NoProxyMatches(std::string_view no_proxy, std::string_view host, std::string_view port) {
  std::string normal = AsciiLower(host);
  if (normal.ends_with('.')) normal.pop_back();
  const std::optional<Address> address = ParseAddress(normal);
  while (!no_proxy.empty()) {
    const std::size_t comma = no_proxy.find(',');
    const std::string entry = AsciiLower(Trim(no_proxy.substr(0, comma)));
    no_proxy = comma == std::string_view::npos ? std::string_view() : no_proxy.substr(comma + 1);
    if (!entry.empty() && EntryMatches(entry, normal, address, port)) return true;
  }
  return false;
}

Result<std::optional<Proxy>> ProxyFor(const ProxySettings& settings, bool tls,
                                      std::string_view host, std::string_view port) {
  const std::optional<std::string>& setting = tls ? settings.https_proxy : settings.http_proxy;
  if (!setting || Trim(*setting).empty()) return std::nullopt;
  if (settings.no_proxy && NoProxyMatches(*settings.no_proxy, host, port)) return std::nullopt;
  auto proxy = ParseProxyUrl(*setting);
  if (!proxy) return std::unexpected(proxy.error().Wrap(tls ? "https_proxy" : "http_proxy"));
  return std::optional<Proxy>(std::move(*proxy));
}

}  // namespace kw::net
