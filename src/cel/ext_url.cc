// Kubernetes' URL library (k8s.io/apiserver library.URLs): isURL, url(), getScheme, getHost,
// getHostname, getPort, getEscapedPath, getQuery; type kubernetes.URL. As Kubernetes does, a
// URL must pass Go's url.ParseRequestURI (an absolute URI or an absolute path) and its parts
// are then those of url.Parse (which splits off a #fragment). Errors are Go's, under
// Kubernetes' "URL parse error during conversion from string: " (e.g. `parse "x": invalid URI
// for request`).
#include <expected>
#include <map>
#include <memory>

#include "cel/libraries.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;
using K = Kind;

constexpr std::string_view kUrlType = "kubernetes.URL";

struct Url {
  std::string scheme, host, path, raw_path, raw_query;
  bool operator==(const Url&) const = default;
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
int Hex(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.unescape: %XX sequences (and '+' as space in query components).
std::optional<std::string> Unescape(std::string_view s, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || Hex(s[i + 1]) < 0 || Hex(s[i + 2]) < 0) return std::nullopt;
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// Go's shouldEscape(c, encodePath).
bool PathNeedsEscape(unsigned char c) {
  if (IsAlpha(static_cast<char>(c)) || IsDigit(static_cast<char>(c))) return false;
  return std::string_view("-_.~$&+,/:;=@").find(static_cast<char>(c)) == std::string_view::npos;
}

std::string EscapePath(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (!PathNeedsEscape(c)) {
      out += static_cast<char>(c);
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool ValidEncodedPath(std::string_view s) {
  for (unsigned char c : s) {
    if (std::string_view("!$&'()*+,;=:@[]%").find(static_cast<char>(c)) != std::string_view::npos) continue;
    if (PathNeedsEscape(c)) return false;
  }
  return true;
}

bool ValidOptionalPort(std::string_view p) {
  if (p.empty()) return true;
  if (p[0] != ':') return false;
  for (char c : p.substr(1))
    if (!IsDigit(c)) return false;
  return true;
}

std::expected<Url, std::string> Parse(std::string_view raw, bool via_request) {
  std::string quoted = "parse \"" + std::string(raw) + "\": ";
  auto fail = [&](std::string why) { return std::unexpected(quoted + why); };
  for (unsigned char c : raw)
    if (c < 0x20 || c == 0x7f) return fail("net/url: invalid control character in URL");
  if (raw.empty() && via_request) return fail("empty url");
  Url u;
  if (raw == "*") {
    u.path = "*";
    return u;
  }
  std::string_view rest = raw;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (IsAlpha(c)) continue;
    if (IsDigit(c) || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return fail("missing protocol scheme");
      u.scheme = std::string(raw.substr(0, i));
      for (char& ch : u.scheme)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
      rest = raw.substr(i + 1);
    }
    break;
  }
  if (rest.ends_with('?') && rest.find('?') == rest.size() - 1) {
    rest.remove_suffix(1);
  } else if (auto q = rest.find('?'); q != std::string_view::npos) {
    u.raw_query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  if (!rest.starts_with('/')) {
    if (via_request) return fail("invalid URI for request");
    if (!u.scheme.empty()) return u;  // opaque ("mailto:x"): no host or path
    auto slash = rest.find('/');
    if (rest.substr(0, slash).find(':') != std::string_view::npos)
      return fail("first path segment in URL cannot contain colon");
  }
  if ((!u.scheme.empty() || (!via_request && !rest.starts_with("///"))) && rest.starts_with("//")) {
    std::string_view authority = rest.substr(2);
    std::size_t slash = authority.find('/');
    rest = slash == std::string_view::npos ? std::string_view() : authority.substr(slash);
    authority = authority.substr(0, slash);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
    std::string_view host = authority;
    if (host.starts_with('[')) {
      auto close = host.rfind(']');
      if (close == std::string_view::npos) return fail("missing ']' in host");
      std::string_view port = host.substr(close + 1);
      if (!ValidOptionalPort(port)) return fail("invalid port \"" + std::string(port) + "\" after host");
    } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
      std::string_view port = host.substr(colon);
      if (!ValidOptionalPort(port)) return fail("invalid port \"" + std::string(port) + "\" after host");
    }
    auto unescaped = Unescape(host, false);
    if (!unescaped) return fail("invalid URL escape");
    u.host = *unescaped;
  }
  auto path = Unescape(rest, false);
  if (!path) return fail("invalid URL escape");
  u.path = *path;
  u.raw_path = std::string(rest);
  return u;
}

std::expected<Url, std::string> ParseForCel(std::string_view raw) {
  if (auto checked = Parse(raw, true); !checked)
    return std::unexpected("URL parse error during conversion from string: " + checked.error());
  auto u = Parse(raw.substr(0, raw.find('#')), false);
  if (!u) return std::unexpected("URL parse error during conversion from string: " + u.error());
  return u;
}

class UrlValue final : public OpaqueValue {
 public:
  explicit UrlValue(Url u) : url(std::move(u)) {}
  std::string_view TypeName() const override { return kUrlType; }
  bool Equals(const OpaqueValue& o) const override {
    return o.TypeName() == kUrlType && static_cast<const UrlValue&>(o).url == url;
  }
  std::string DebugString() const override {
    return "url(\"" + url.scheme + (url.scheme.empty() ? "" : "://") + url.host + url.raw_path +
           (url.raw_query.empty() ? "" : "?" + url.raw_query) + "\")";
  }
  Url url;
};

const UrlValue* AsUrl(const Value& v) {
  return v.kind() == K::kOpaque && v.opaque().TypeName() == kUrlType ? static_cast<const UrlValue*>(&v.opaque()) : nullptr;
}

// Host without its port, and without brackets around an IPv6 address (Go's Hostname/Port).
std::pair<std::string_view, std::string_view> SplitHostPort(std::string_view host) {
  std::string_view port;
  auto colon = host.rfind(':');
  if (colon != std::string_view::npos && ValidOptionalPort(host.substr(colon)) &&
      (host.find(']') == std::string_view::npos || colon > host.rfind(']'))) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  return {host, port};
}

Value Query(std::string_view raw, CallContext& ctx) {
  if (!ctx.Charge(TraversalCost(raw.size()))) return CallContext::CostExceeded();
  std::vector<std::pair<std::string, std::vector<Value>>> entries;  // in first-seen order
  std::map<std::string, std::size_t, std::less<>> index;
  while (!raw.empty()) {
    std::size_t amp = raw.find('&');
    std::string_view pair = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
    std::size_t eq = pair.find('=');
    auto key = Unescape(pair.substr(0, eq), true);
    auto value = Unescape(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) continue;
    auto [at, added] = index.try_emplace(*key, entries.size());
    if (added) entries.push_back({*key, {}});
    entries[at->second].second.push_back(Value::String(std::move(*value)));
  }
  std::vector<std::pair<Value, Value>> map;
  for (auto& [k, v] : entries) map.emplace_back(Value::String(k), Value::List(std::move(v)));
  return Value::Map(std::move(map));
}

void AddAccessor(FunctionRegistry& r, const std::string& name, std::string_view result,
                 std::function<Value(const Url&, CallContext&)> f) {
  AddOverload(r, name, true, "(kubernetes.URL) -> " + std::string(result), [f](Args a, CallContext& ctx) {
    const auto* u = AsUrl(a[0]);
    return u ? f(u->url, ctx) : NoSuchOverload();
  });
}

}  // namespace

std::optional<std::string> RequestUriError(std::string_view text) {
  auto parsed = Parse(text, true);
  if (parsed) return std::nullopt;
  return parsed.error();
}

void RegisterUrlLibrary(FunctionRegistry& r) {
  AddOverload(r, "isURL", false, "(string) -> bool",
              [](Args a, CallContext&) { return Value::Bool(Parse(a[0].text(), true).has_value()); });
  AddOverload(r, "url", false, "(string) -> kubernetes.URL", [](Args a, CallContext& ctx) {
    if (!ctx.Charge(TraversalCost(a[0].text().size()))) return CallContext::CostExceeded();
    auto u = ParseForCel(a[0].text());
    return u ? Value::Opaque(std::make_shared<const UrlValue>(std::move(*u))) : Value::Error(u.error());
  });
  AddAccessor(r, "getScheme", "string", [](const Url& u, CallContext&) { return Value::String(u.scheme); });
  AddAccessor(r, "getHost", "string", [](const Url& u, CallContext&) { return Value::String(u.host); });
  AddAccessor(r, "getHostname", "string",
              [](const Url& u, CallContext&) { return Value::String(std::string(SplitHostPort(u.host).first)); });
  AddAccessor(r, "getPort", "string", [](const Url& u, CallContext&) { return Value::String(std::string(SplitHostPort(u.host).second)); });
  AddAccessor(r, "getEscapedPath", "string", [](const Url& u, CallContext&) {
    if (!u.raw_path.empty() && ValidEncodedPath(u.raw_path)) return Value::String(u.raw_path);
    if (u.path == "*") return Value::String("*");
    return Value::String(EscapePath(u.path));
  });
  AddAccessor(r, "getQuery", "map(string, list(string))", [](const Url& u, CallContext& ctx) { return Query(u.raw_query, ctx); });
}

}  // namespace kw::cel
