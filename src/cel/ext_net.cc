// Kubernetes' IP and CIDR libraries (k8s.io/apiserver library.IP / library.CIDR): the types
// net.IP and net.CIDR over Go's net/netip parsing (no leading zeros in IPv4 fields, RFC 5952
// canonical IPv6 text), with Kubernetes' refusals of zones and IPv4-mapped IPv6 addresses and
// its error texts ("IP Address \"x\" parse error during conversion from string: ...",
// "network address parse error during conversion from string: ...").
#include <array>
#include <expected>
#include <memory>

#include "cel/libraries.h"
#include "cel/text.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;
using K = Kind;

constexpr std::string_view kIpType = "net.IP";
constexpr std::string_view kCidrType = "net.CIDR";

struct Address {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
  bool v4 = false;
  int bits() const { return v4 ? 32 : 128; }
  bool operator==(const Address&) const = default;
};

std::optional<Address> ParseIPv4(std::string_view s) {
  Address a;
  a.v4 = true;
  int field = 0;
  std::size_t i = 0;
  while (field < 4) {
    std::size_t start = i;
    int value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 4) value = value * 10 + (s[i++] - '0');
    std::size_t digits = i - start;
    if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && s[start] == '0')) return std::nullopt;
    a.bytes[field++] = static_cast<std::uint8_t>(value);
    if (field < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return a;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// IPv6 as netip.ParseAddr reads it (zones refused here by the caller: `zone` reports one).
std::optional<Address> ParseIPv6(std::string_view s, bool& zone) {
  if (auto pct = s.find('%'); pct != std::string_view::npos) {
    zone = true;
    s = s.substr(0, pct);
  }
  Address a;
  int ellipsis = -1;
  int n = 0;  // bytes filled
  std::size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    i = 2;
    if (i == s.size()) return a;
  }
  while (i < s.size()) {
    std::size_t start = i;
    int value = 0;
    while (i < s.size() && HexDigit(s[i]) >= 0 && i - start < 5) value = value * 16 + HexDigit(s[i++]);
    if (i == start || i - start > 4) return std::nullopt;
    if (i < s.size() && s[i] == '.') {
      // Embedded IPv4 in the last 4 bytes.
      if (n > 12) return std::nullopt;
      auto v4 = ParseIPv4(s.substr(start));
      if (!v4) return std::nullopt;
      for (int k = 0; k < 4; ++k) a.bytes[n++] = v4->bytes[k];
      i = s.size();
      break;
    }
    if (n + 2 > 16) return std::nullopt;
    a.bytes[n++] = static_cast<std::uint8_t>(value >> 8);
    a.bytes[n++] = static_cast<std::uint8_t>(value);
    if (i == s.size()) break;
    if (s[i] != ':') return std::nullopt;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (ellipsis >= 0) return std::nullopt;
      ellipsis = n;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return std::nullopt;
    }
  }
  if (n < 16) {
    if (ellipsis < 0) return std::nullopt;
    int shift = 16 - n;
    for (int k = n - 1; k >= ellipsis; --k) a.bytes[k + shift] = a.bytes[k];
    for (int k = ellipsis; k < ellipsis + shift; ++k) a.bytes[k] = 0;
  } else if (ellipsis >= 0 && ellipsis != 16) {
    // "::" must stand for at least one group.
    return std::nullopt;
  }
  return a;
}

bool Is4In6(const Address& a) {
  if (a.v4) return false;
  for (int k = 0; k < 10; ++k)
    if (a.bytes[k] != 0) return false;
  return a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}

std::string Format(const Address& a) {
  if (a.v4)
    return std::to_string(a.bytes[0]) + "." + std::to_string(a.bytes[1]) + "." + std::to_string(a.bytes[2]) + "." +
           std::to_string(a.bytes[3]);
  return FormatIPv6(std::string_view(reinterpret_cast<const char*>(a.bytes.data()), 16));
}

// ip(): the address, or Kubernetes' error text.
std::expected<Address, std::string> ParseAddress(std::string_view raw) {
  std::string quoted = "\"" + std::string(raw) + "\"";
  bool zone = false;
  std::optional<Address> a = raw.find(':') != std::string_view::npos ? ParseIPv6(raw, zone) : ParseIPv4(raw);
  if (!a)
    return std::unexpected("IP Address " + quoted + " parse error during conversion from string: ParseAddr(" +
                           quoted + "): unable to parse IP");
  if (zone) return std::unexpected("IP address " + quoted + " with zone value is not allowed");
  if (Is4In6(*a)) return std::unexpected("IPv4-mapped IPv6 address " + quoted + " is not allowed");
  return *a;
}

class IpValue final : public OpaqueValue {
 public:
  explicit IpValue(Address a) : addr(a) {}
  std::string_view TypeName() const override { return kIpType; }
  bool Equals(const OpaqueValue& o) const override {
    return o.TypeName() == kIpType && static_cast<const IpValue&>(o).addr == addr;
  }
  std::string DebugString() const override { return Format(addr); }
  Address addr;
};

struct Prefix {
  Address addr;
  int bits = 0;
};

Address Masked(Address a, int bits) {
  int total = a.bits() / 8;
  for (int k = 0; k < total; ++k) {
    int keep = std::max(0, std::min(8, bits - 8 * k));
    a.bytes[k] = static_cast<std::uint8_t>(a.bytes[k] & (keep == 0 ? 0 : (0xFF << (8 - keep)) & 0xFF));
  }
  return a;
}

class CidrValue final : public OpaqueValue {
 public:
  explicit CidrValue(Prefix p) : prefix(p) {}
  std::string_view TypeName() const override { return kCidrType; }
  bool Equals(const OpaqueValue& o) const override {
    if (o.TypeName() != kCidrType) return false;
    const Prefix& other = static_cast<const CidrValue&>(o).prefix;
    return other.addr == prefix.addr && other.bits == prefix.bits;
  }
  std::string DebugString() const override { return Format(prefix.addr) + "/" + std::to_string(prefix.bits); }
  Prefix prefix;
};

std::expected<Prefix, std::string> ParsePrefix(std::string_view raw) {
  std::string head = "network address parse error during conversion from string: ";
  std::string quoted = "\"" + std::string(raw) + "\"";
  std::size_t slash = raw.rfind('/');
  if (slash == std::string_view::npos) return std::unexpected(head + "netip.ParsePrefix(" + quoted + "): no '/'");
  std::string_view ip = raw.substr(0, slash), bits_text = raw.substr(slash + 1);
  if (ip.find('%') != std::string_view::npos)
    return std::unexpected(head + "netip.ParsePrefix(" + quoted + "): IPv6 zones cannot be present in a prefix");
  auto a = ParseAddress(ip);
  if (!a) return std::unexpected(head + "netip.ParsePrefix(" + quoted + "): ParseAddr(\"" + std::string(ip) + "\"): unable to parse IP");
  int bits = 0;
  bool ok = !bits_text.empty() && bits_text.size() <= 3 && !(bits_text.size() > 1 && bits_text[0] == '0');
  for (char c : ok ? bits_text : std::string_view()) {
    if (c < '0' || c > '9') ok = false;
    else bits = bits * 10 + (c - '0');
  }
  if (!ok || bits > a->bits())
    return std::unexpected(head + "netip.ParsePrefix(" + quoted + "): bad bits after slash: \"" + std::string(bits_text) + "\"");
  return Prefix{*a, bits};
}

const IpValue* AsIp(const Value& v) {
  return v.kind() == K::kOpaque && v.opaque().TypeName() == kIpType ? static_cast<const IpValue*>(&v.opaque()) : nullptr;
}
const CidrValue* AsCidr(const Value& v) {
  return v.kind() == K::kOpaque && v.opaque().TypeName() == kCidrType ? static_cast<const CidrValue*>(&v.opaque())
                                                                        : nullptr;
}
Value IpOf(Address a) { return Value::Opaque(std::make_shared<const IpValue>(a)); }
Value CidrOf(Prefix p) { return Value::Opaque(std::make_shared<const CidrValue>(p)); }

bool Contains(const Prefix& p, const Address& a) { return p.addr.v4 == a.v4 && Masked(a, p.bits) == Masked(p.addr, p.bits); }

// An IP accessor: a predicate over the address of a net.IP receiver.
void AddIpPredicate(FunctionRegistry& r, const std::string& name, bool (*f)(const Address&)) {
  AddOverload(r, name, true, "(net.IP) -> bool", [f](Args a, CallContext&) {
    const auto* ip = AsIp(a[0]);
    return ip ? Value::Bool(f(ip->addr)) : NoSuchOverload();
  });
}

bool IsUnspecified(const Address& a) {
  for (int k = 0; k < a.bits() / 8; ++k)
    if (a.bytes[k] != 0) return false;
  return true;
}
bool IsLoopback(const Address& a) {
  if (a.v4) return a.bytes[0] == 127;
  for (int k = 0; k < 15; ++k)
    if (a.bytes[k] != 0) return false;
  return a.bytes[15] == 1;
}
bool IsMulticast(const Address& a) { return a.v4 ? (a.bytes[0] & 0xF0) == 0xE0 : a.bytes[0] == 0xFF; }
bool IsLinkLocalMulticast(const Address& a) {
  if (a.v4) return a.bytes[0] == 224 && a.bytes[1] == 0 && a.bytes[2] == 0;
  return a.bytes[0] == 0xFF && (a.bytes[1] & 0x0F) == 0x02;
}
bool IsLinkLocalUnicast(const Address& a) {
  if (a.v4) return a.bytes[0] == 169 && a.bytes[1] == 254;
  return a.bytes[0] == 0xFE && (a.bytes[1] & 0xC0) == 0x80;
}
bool IsGlobalUnicast(const Address& a) {
  if (a.v4 && a.bytes[0] == 255 && a.bytes[1] == 255 && a.bytes[2] == 255 && a.bytes[3] == 255) return false;
  return !IsUnspecified(a) && !IsLoopback(a) && !IsMulticast(a) && !IsLinkLocalUnicast(a);
}

}  // namespace

void RegisterNetLibrary(FunctionRegistry& r) {
  const K S = K::kString;
  auto to_string = [](Args a, CallContext&) {
    if (!AsIp(a[0]) && !AsCidr(a[0])) return NoSuchOverload();
    return Value::String(a[0].opaque().DebugString());
  };
  AddOverload(r, "string", false, "(net.IP) -> string", to_string);
  AddOverload(r, "string", false, "(net.CIDR) -> string", to_string);
  AddOverload(r, "isIP", false, "(string) -> bool", [](Args a, CallContext&) { return Value::Bool(ParseAddress(a[0].text()).has_value()); });
  AddOverload(r, "ip", false, "(string) -> net.IP", [](Args a, CallContext&) {
    auto addr = ParseAddress(a[0].text());
    return addr ? IpOf(*addr) : Value::Error(addr.error());
  });
  AddOverload(r, "ip.isCanonical", false, "(string) -> bool", [](Args a, CallContext&) {
    auto addr = ParseAddress(a[0].text());
    return addr ? Value::Bool(Format(*addr) == a[0].text()) : Value::Error(addr.error());
  });
  AddOverload(r, "family", true, "(net.IP) -> int", [](Args a, CallContext&) {
    const auto* ip = AsIp(a[0]);
    return ip ? Value::Int(ip->addr.v4 ? 4 : 6) : NoSuchOverload();
  });
  AddIpPredicate(r, "isUnspecified", IsUnspecified);
  AddIpPredicate(r, "isLoopback", IsLoopback);
  AddIpPredicate(r, "isLinkLocalMulticast", IsLinkLocalMulticast);
  AddIpPredicate(r, "isLinkLocalUnicast", IsLinkLocalUnicast);
  AddIpPredicate(r, "isGlobalUnicast", IsGlobalUnicast);

  AddOverload(r, "isCIDR", false, "(string) -> bool", [](Args a, CallContext&) { return Value::Bool(ParsePrefix(a[0].text()).has_value()); });
  AddOverload(r, "cidr", false, "(string) -> net.CIDR", [](Args a, CallContext&) {
    auto p = ParsePrefix(a[0].text());
    return p ? CidrOf(*p) : Value::Error(p.error());
  });
  auto contains_ip = [](Args a, CallContext&) {
    const auto* c = AsCidr(a[0]);
    if (!c) return NoSuchOverload();
    if (a[1].kind() == S) {
      auto addr = ParseAddress(a[1].text());
      return addr ? Value::Bool(Contains(c->prefix, *addr)) : Value::Error(addr.error());
    }
    const auto* ip = AsIp(a[1]);
    return ip ? Value::Bool(Contains(c->prefix, ip->addr)) : NoSuchOverload();
  };
  AddOverload(r, "containsIP", true, "(net.CIDR, string) -> bool", contains_ip);
  AddOverload(r, "containsIP", true, "(net.CIDR, net.IP) -> bool", contains_ip);
  auto contains_cidr = [](Args a, CallContext&) {
    const auto* c = AsCidr(a[0]);
    if (!c) return NoSuchOverload();
    Prefix other;
    if (a[1].kind() == S) {
      auto p = ParsePrefix(a[1].text());
      if (!p) return Value::Error(p.error());
      other = *p;
    } else if (const auto* o = AsCidr(a[1])) {
      other = o->prefix;
    } else {
      return NoSuchOverload();
    }
    return Value::Bool(Contains(c->prefix, other.addr) && c->prefix.bits <= other.bits);
  };
  AddOverload(r, "containsCIDR", true, "(net.CIDR, string) -> bool", contains_cidr);
  AddOverload(r, "containsCIDR", true, "(net.CIDR, net.CIDR) -> bool", contains_cidr);
  AddOverload(r, "ip", true, "(net.CIDR) -> net.IP", [](Args a, CallContext&) {
    const auto* c = AsCidr(a[0]);
    return c ? IpOf(c->prefix.addr) : NoSuchOverload();
  });
  AddOverload(r, "masked", true, "(net.CIDR) -> net.CIDR", [](Args a, CallContext&) {
    const auto* c = AsCidr(a[0]);
    return c ? CidrOf({Masked(c->prefix.addr, c->prefix.bits), c->prefix.bits}) : NoSuchOverload();
  });
  AddOverload(r, "prefixLength", true, "(net.CIDR) -> int", [](Args a, CallContext&) {
    const auto* c = AsCidr(a[0]);
    return c ? Value::Int(c->prefix.bits) : NoSuchOverload();
  });
}

}  // namespace kw::cel
