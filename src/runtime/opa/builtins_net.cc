// net.cidr_* builtins over Go's net.ParseIP / net.ParseCIDR rules (what OPA's topdown uses):
// dotted IPv4 without leading zeros, IPv6 with "::" and a trailing dotted quad, no zones.
// net.lookup_ip_addr needs DNS and is left out.
#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/opa/builtins_internal.h"
#include "runtime/opa/rego_value.h"

namespace kw::runtime::opa::internal {
namespace {

using Bits128 = unsigned __int128;

// An address as Go's net.IP holds it: 4 bytes for a dotted quad, 16 otherwise.
struct Address {
  Bits128 value = 0;
  bool v4 = false;
  int width() const { return v4 ? 32 : 128; }
};

std::optional<std::uint32_t> ParseIPv4(std::string_view s) {
  std::uint32_t out = 0;
  for (int field = 0; field < 4; ++field) {
    if (field > 0) {
      if (s.empty() || s[0] != '.') return std::nullopt;
      s.remove_prefix(1);
    }
    std::size_t n = 0;
    unsigned v = 0;
    while (n < s.size() && n < 4 && s[n] >= '0' && s[n] <= '9') v = v * 10 + (s[n++] - '0');
    // Go 1.17+: no leading zeros (they once meant octal).
    if (n == 0 || n > 3 || v > 255 || (n > 1 && s[0] == '0')) return std::nullopt;
    out = out << 8 | v;
    s.remove_prefix(n);
  }
  if (!s.empty()) return std::nullopt;
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Bits128> ParseIPv6(std::string_view s) {
  std::uint16_t groups[8] = {};
  int count = 0;
  int ellipsis = -1;
  if (s.starts_with("::")) {
    ellipsis = 0;
    s.remove_prefix(2);
  }
  while (!s.empty()) {
    std::size_t n = 0;
    unsigned v = 0;
    while (n < s.size() && n < 5 && HexDigit(s[n]) >= 0) v = v << 4 | HexDigit(s[n++]);
    if (n < s.size() && s[n] == '.') {
      // A dotted quad ends the address and fills two groups.
      if (count > 6 || (ellipsis < 0 && count != 6)) return std::nullopt;
      auto v4 = ParseIPv4(s);
      if (!v4) return std::nullopt;
      groups[count++] = static_cast<std::uint16_t>(*v4 >> 16);
      groups[count++] = static_cast<std::uint16_t>(*v4);
      s = {};
      break;
    }
    if (n == 0 || n > 4 || count == 8) return std::nullopt;
    groups[count++] = static_cast<std::uint16_t>(v);
    s.remove_prefix(n);
    if (s.empty()) break;
    if (s[0] != ':' || s.size() == 1) return std::nullopt;
    s.remove_prefix(1);
    if (s[0] == ':') {
      if (ellipsis >= 0) return std::nullopt;
      ellipsis = count;
      s.remove_prefix(1);
    }
  }
  if (ellipsis >= 0) {
    if (count == 8) return std::nullopt;  // "::" must stand for at least one group
    int gap = 8 - count;
    std::move_backward(groups + ellipsis, groups + count, groups + 8);
    std::fill(groups + ellipsis, groups + ellipsis + gap, 0);
  } else if (count != 8) {
    return std::nullopt;
  }
  Bits128 out = 0;
  for (std::uint16_t g : groups) out = out << 16 | g;
  return out;
}

// net.ParseIP.
std::optional<Address> ParseIp(std::string_view s) {
  for (char c : s) {
    if (c == '.') {
      auto v4 = ParseIPv4(s);
      if (!v4) return std::nullopt;
      return Address{*v4, true};
    }
    if (c == ':') break;
  }
  auto v6 = ParseIPv6(s);
  if (!v6) return std::nullopt;
  return Address{*v6, false};
}

Bits128 Mask(int bits, int width) {
  if (bits == 0) return 0;
  Bits128 all = width == 128 ? ~Bits128{0} : (Bits128{1} << 32) - 1;
  return all & ~((Bits128{1} << (width - bits)) - 1) & all;
}

struct Prefix {
  Address base;  // masked, as net.ParseCIDR's IPNet
  int bits = 0;
  Bits128 first() const { return base.value; }
  Bits128 last() const { return base.value | (~Mask(bits, base.width()) & Mask(base.width(), base.width())); }
  bool Contains(const Address& a) const {
    // IPNet.Contains: an IPv4-mapped IPv6 address is compared as IPv4.
    Address ip = a;
    if (!ip.v4 && base.v4 && (ip.value >> 32) == 0xFFFF) ip = Address{ip.value & 0xFFFFFFFF, true};
    return ip.v4 == base.v4 && (ip.value & Mask(bits, base.width())) == base.value;
  }
};

// net.ParseCIDR; the error is Go's "invalid CIDR address: <s>".
Result<Prefix> ParseCidr(std::string_view s) {
  auto invalid = [s] { return Fail(ErrorKind::kInvalidArgument, "invalid CIDR address: " + std::string(s)); };
  std::size_t slash = s.find('/');
  if (slash == std::string_view::npos) return invalid();
  auto ip = ParseIp(s.substr(0, slash));
  std::string_view mask = s.substr(slash + 1);
  int bits = 0;
  std::size_t n = 0;
  for (; n < mask.size() && mask[n] >= '0' && mask[n] <= '9' && bits <= 0xFFFFFF; ++n) {
    bits = bits * 10 + (mask[n] - '0');
  }
  if (!ip || n == 0 || n != mask.size() || bits > ip->width()) return invalid();
  ip->value &= Mask(bits, ip->width());
  return Prefix{*ip, bits};
}

// A CIDR, or an address as the prefix holding it alone (cidr_contains' second operand, the
// elements of cidr_merge).
Result<Prefix> ParseCidrOrIp(std::string_view s) {
  if (auto ip = ParseIp(s)) return Prefix{*ip, ip->width()};
  return ParseCidr(s);
}

// net.IP.String(): dotted IPv4 (also for IPv4-mapped IPv6), RFC 5952 for IPv6.
std::string AddressText(const Address& a) {
  auto dotted = [](std::uint32_t v) {
    return std::to_string(v >> 24) + "." + std::to_string(v >> 16 & 255) + "." +
           std::to_string(v >> 8 & 255) + "." + std::to_string(v & 255);
  };
  if (a.v4) return dotted(static_cast<std::uint32_t>(a.value));
  if ((a.value >> 32) == 0xFFFF) return dotted(static_cast<std::uint32_t>(a.value));
  std::uint16_t groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<std::uint16_t>(a.value >> (112 - 16 * i));
  int best_start = -1, best_length = 1;  // only runs of two or more are shortened
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length) {
      best_start = i;
      best_length = j - i;
    }
    i = j;
  }
  std::string out;
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out.push_back(':');
    std::snprintf(buf, sizeof buf, "%x", groups[i]);
    out += buf;
  }
  return out;
}

std::string PrefixText(const Prefix& p) { return AddressText(p.base) + "/" + std::to_string(p.bits); }

bool Contains(const Prefix& outer, const Prefix& inner) {
  return outer.base.v4 == inner.base.v4 && outer.bits <= inner.bits &&
         outer.Contains(inner.base) && outer.Contains(Address{inner.last(), inner.base.v4});
}

Result<json::value> CidrIsValid(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity("net.cidr_is_valid", args, 1));
  if (!args[0].is_string()) return json::value(false);
  return json::value(ParseCidr(std::string_view(args[0].get_string())).has_value());
}

Result<Prefix> CidrOperand(std::string_view builtin, std::span<const json::value> args,
                           std::size_t n, bool ip_allowed) {
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(builtin, args, n));
  auto prefix = ip_allowed ? ParseCidrOrIp(text) : ParseCidr(text);
  if (!prefix) return std::unexpected(BuiltinError(builtin, prefix.error().message));
  return *prefix;
}

Result<json::value> CidrContains(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "net.cidr_contains";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(Prefix outer, CidrOperand(kName, args, 1, false));
  KW_ASSIGN_OR_RETURN(Prefix inner, CidrOperand(kName, args, 2, true));
  return json::value(Contains(outer, inner));
}

Result<json::value> CidrIntersects(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "net.cidr_intersects";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(Prefix a, CidrOperand(kName, args, 1, false));
  KW_ASSIGN_OR_RETURN(Prefix b, CidrOperand(kName, args, 2, false));
  return json::value(a.base.v4 == b.base.v4 && a.first() <= b.last() && b.first() <= a.last());
}

// net.cidr_expand's result is held in memory and handed to the guest: a /16 at most.
constexpr Bits128 kMaxExpandedAddresses = 1 << 16;

Result<json::value> CidrExpand(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "net.cidr_expand";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(Prefix prefix, CidrOperand(kName, args, 1, false));
  if (prefix.base.width() - prefix.bits > 16 ||
      prefix.last() - prefix.first() + 1 > kMaxExpandedAddresses) {
    return std::unexpected(BuiltinError(
        kName, "CIDR " + PrefixText(prefix) + " holds more than 65536 addresses"));
  }
  std::vector<std::string> addresses;
  for (Bits128 v = prefix.first();; ++v) {
    addresses.push_back(AddressText(Address{v, prefix.base.v4}));
    if (v == prefix.last()) break;
  }
  json::array out;
  for (auto& a : addresses) out.emplace_back(json::string(a));
  return MakeSet(std::move(out));
}

// The pair of elements of `value` with the key OPA gives each: an array's index, an object's
// key; the CIDR is the element itself or, for an array element, its first item.
Result<std::vector<std::pair<json::value, std::string_view>>> CidrTerms(
    std::string_view builtin, const json::value& value, std::size_t n) {
  std::vector<std::pair<json::value, std::string_view>> out;
  auto text_of = [&](const json::value& element) -> std::optional<std::string_view> {
    if (element.is_string()) return std::string_view(element.get_string());
    if (element.is_array() && !element.get_array().empty() && element.get_array()[0].is_string()) {
      return std::string_view(element.get_array()[0].get_string());
    }
    return std::nullopt;
  };
  auto bad = [&](const json::value& element) {
    return std::unexpected(BuiltinError(
        builtin, "operand " + std::to_string(n) + ": expected string or array of strings but got " +
                     std::string(TypeName(element))));
  };
  if (value.is_string()) {
    out.emplace_back(value, std::string_view(value.get_string()));
  } else if (IsSet(value)) {
    // A set's element is its own key.
    for (const json::value& element : *ArrayOrSetElements(value)) {
      auto text = text_of(element);
      if (!text) return bad(element);
      out.emplace_back(element, *text);
    }
  } else if (value.is_array()) {
    std::int64_t index = 0;
    for (const json::value& element : value.get_array()) {
      auto text = text_of(element);
      if (!text) return bad(element);
      out.emplace_back(json::value(index++), *text);
    }
  } else if (value.is_object()) {
    for (const auto& kv : value.get_object()) {
      auto text = text_of(kv.value());
      if (!text) return bad(kv.value());
      out.emplace_back(json::value(json::string(kv.key())), *text);
    }
  } else {
    return std::unexpected(OperandTypesError(builtin, n, {"string", "array", "set", "object"}, value));
  }
  return out;
}

constexpr std::size_t kMaxContainsPairs = 10'000'000;

Result<json::value> CidrContainsMatches(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "net.cidr_contains_matches";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(auto cidrs, CidrTerms(kName, args[0], 1));
  KW_ASSIGN_OR_RETURN(auto others, CidrTerms(kName, args[1], 2));
  if (cidrs.size() * others.size() > kMaxContainsPairs) {
    return std::unexpected(BuiltinError(kName, "too many pairs to compare"));
  }
  std::vector<Prefix> inner;
  for (const auto& [key, text] : others) {
    auto p = ParseCidrOrIp(text);
    if (!p) return std::unexpected(BuiltinError(kName, p.error().message));
    inner.push_back(*p);
  }
  json::array out;
  for (const auto& [outer_key, text] : cidrs) {
    auto outer = ParseCidr(text);
    if (!outer) return std::unexpected(BuiltinError(kName, outer.error().message));
    for (std::size_t i = 0; i < inner.size(); ++i) {
      if (Contains(*outer, inner[i])) out.emplace_back(json::array{outer_key, others[i].first});
    }
  }
  return MakeSet(std::move(out));
}

// The smallest set of prefixes covering exactly the union of `prefixes` (one family).
std::vector<Prefix> Merge(std::vector<Prefix> prefixes) {
  std::sort(prefixes.begin(), prefixes.end(), [](const Prefix& a, const Prefix& b) {
    return a.first() != b.first() ? a.first() < b.first() : a.bits < b.bits;
  });
  std::vector<Prefix> stack;
  for (const Prefix& p : prefixes) {
    if (!stack.empty() && Contains(stack.back(), p)) continue;
    stack.push_back(p);
    // Two halves of one parent become the parent, which may in turn pair with the one before.
    while (stack.size() >= 2) {
      const Prefix& a = stack[stack.size() - 2];
      const Prefix& b = stack.back();
      if (a.bits != b.bits || a.bits == 0) break;
      Prefix parent{Address{a.first() & Mask(a.bits - 1, a.base.width()), a.base.v4}, a.bits - 1};
      if (parent.first() != a.first() || parent.last() != b.last()) break;
      stack.pop_back();
      stack.back() = parent;
    }
  }
  return stack;
}

Result<json::value> CidrMerge(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "net.cidr_merge";
  KW_TRY(CheckArity(kName, args, 1));
  const json::array* elements = ArrayOrSetElements(args[0]);
  if (elements == nullptr) {
    return std::unexpected(OperandTypesError(kName, 1, {"array", "set"}, args[0]));
  }
  std::vector<Prefix> v4, v6;
  for (const json::value& element : *elements) {
    if (!element.is_string()) {
      return std::unexpected(BuiltinError(kName, "element must be string but got " +
                                                     std::string(TypeName(element))));
    }
    auto p = ParseCidrOrIp(std::string_view(element.get_string()));
    if (!p) return std::unexpected(BuiltinError(kName, p.error().message));
    (p->base.v4 ? v4 : v6).push_back(*p);
  }
  std::vector<std::string> texts;
  for (auto* family : {&v4, &v6}) {
    for (const Prefix& p : Merge(std::move(*family))) texts.push_back(PrefixText(p));
  }
  json::array out;
  for (auto& t : texts) out.emplace_back(json::string(t));
  return MakeSet(std::move(out));
}

constexpr BuiltinEntry kBuiltins[] = {
    {"net.cidr_contains", CidrContains},
    {"net.cidr_contains_matches", CidrContainsMatches},
    {"net.cidr_expand", CidrExpand},
    {"net.cidr_intersects", CidrIntersects},
    {"net.cidr_is_valid", CidrIsValid},
    {"net.cidr_merge", CidrMerge},
};

}  // namespace

std::span<const BuiltinEntry> NetBuiltins() { return kBuiltins; }

bool IsGoIpAddress(std::string_view text) { return ParseIp(text).has_value(); }

}  // namespace kw::runtime::opa::internal
