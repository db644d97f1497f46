// cel-go's ext.Strings library (version 2+), with its error texts: "index out of range: N",
// "invalid substring range. start: S, end: E", and format()'s "could not parse formatting
// clause: ..." / "... clause can only be used on ..., was given T" / "index N out of range".
// Indices count code points, as cel-go's do (it converts strings to []rune).
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "cel/libraries.h"
#include "cel/text.h"
#include "cel/time.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;
using K = Kind;

Value OutOfRange(std::int64_t index) { return Value::Error("index out of range: " + std::to_string(index)); }

// The byte offset of each code point of `s`, then s.size().
std::vector<std::size_t> Boundaries(std::string_view s) {
  std::vector<std::size_t> out;
  out.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
  out.push_back(s.size());
  return out;
}

// A string built here: within the size bound, charged for what it holds.
Value Built(std::string s, CallContext& ctx) {
  if (s.size() > ctx.max_string_bytes()) return CallContext::SizeExceeded("string");
  if (!ctx.Charge(TraversalCost(s.size()))) return CallContext::CostExceeded();
  return Value::String(std::move(s));
}

Value CharAt(Args a, CallContext& ctx) {
  if (!ctx.Charge(TraversalCost(a[0].text().size()))) return CallContext::CostExceeded();
  auto b = Boundaries(a[0].text());
  std::int64_t i = a[1].int_value();
  std::int64_t n = static_cast<std::int64_t>(b.size()) - 1;
  if (i < 0 || i > n) return OutOfRange(i);
  if (i == n) return Value::String("");
  return Value::String(std::string(a[0].text().substr(b[i], b[i + 1] - b[i])));
}

// The code point index of `sub` in `s` at or after code point `offset` (forward) or at or
// before it (backward), -1 when absent.
Value IndexOf(std::string_view s, std::string_view sub, std::optional<std::int64_t> offset, bool backward,
              CallContext& ctx) {
  if (!ctx.Charge(TraversalCost(s.size()) * (1 + TraversalCost(sub.size())))) return CallContext::CostExceeded();
  auto b = Boundaries(s);
  std::int64_t n = static_cast<std::int64_t>(b.size()) - 1;
  if (sub.empty()) return Value::Int(offset ? *offset : (backward ? n : 0));
  std::int64_t off = offset ? *offset : (backward ? n - 1 : 0);
  if (offset && (off < 0 || off >= n)) return OutOfRange(off);
  if (n == 0) return Value::Int(-1);
  if (!backward) {
    for (std::int64_t i = off; i < n; ++i)
      if (s.substr(b[i]).starts_with(sub)) return Value::Int(i);
    return Value::Int(-1);
  }
  for (std::int64_t i = off; i >= 0; --i)
    if (s.substr(b[i]).starts_with(sub)) return Value::Int(i);
  return Value::Int(-1);
}

Value CaseAscii(Args a, CallContext& ctx, bool upper) {
  std::string s(a[0].text());
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return Built(std::move(s), ctx);
}

// Go's strings.Replace: `n` < 0 replaces all; an empty `from` matches before every code point
// and at the end.
Value Replace(std::string_view s, std::string_view from, std::string_view to, std::int64_t n, CallContext& ctx) {
  if (!ctx.Charge(TraversalCost(s.size()))) return CallContext::CostExceeded();
  std::string out;
  std::size_t pos = 0;
  std::int64_t done = 0;
  auto grow = [&](std::string_view piece) {
    out.append(piece);
    return out.size() <= ctx.max_string_bytes();
  };
  if (from.empty()) {
    auto b = Boundaries(s);
    std::size_t count = b.size() - 1;
    for (std::size_t i = 0; i <= count; ++i) {
      if ((n < 0 || done < n) && !grow(to)) return CallContext::SizeExceeded("string");
      ++done;
      if (i < count && !grow(s.substr(b[i], b[i + 1] - b[i]))) return CallContext::SizeExceeded("string");
    }
    return Built(std::move(out), ctx);
  }
  while (n < 0 || done < n) {
    std::size_t at = s.find(from, pos);
    if (at == std::string_view::npos) break;
    if (!grow(s.substr(pos, at - pos)) || !grow(to)) return CallContext::SizeExceeded("string");
    pos = at + from.size();
    ++done;
  }
  if (!grow(s.substr(pos))) return CallContext::SizeExceeded("string");
  return Built(std::move(out), ctx);
}

// Go's strings.SplitN (n < 0: all; n == 0: empty list); an empty separator splits into code
// points.
Value Split(std::string_view s, std::string_view sep, std::int64_t n, CallContext& ctx) {
  if (!ctx.Charge(TraversalCost(s.size()))) return CallContext::CostExceeded();
  std::vector<Value> out;
  if (n == 0) return Value::List({});
  auto push = [&](std::string_view piece) {
    out.push_back(Value::String(std::string(piece)));
    return out.size() <= ctx.max_list_elements() && ctx.Charge(1);
  };
  if (sep.empty()) {
    auto b = Boundaries(s);
    std::size_t count = b.size() - 1;
    for (std::size_t i = 0; i < count; ++i) {
      if (n > 0 && static_cast<std::int64_t>(out.size()) == n - 1) {
        if (!push(s.substr(b[i]))) return CallContext::SizeExceeded("list");
        return Value::List(std::move(out));
      }
      if (!push(s.substr(b[i], b[i + 1] - b[i]))) return CallContext::SizeExceeded("list");
    }
    return Value::List(std::move(out));
  }
  std::size_t pos = 0;
  while (n < 0 || static_cast<std::int64_t>(out.size()) < n - 1) {
    std::size_t at = s.find(sep, pos);
    if (at == std::string_view::npos) break;
    if (!push(s.substr(pos, at - pos))) return CallContext::SizeExceeded("list");
    pos = at + sep.size();
  }
  if (!push(s.substr(pos))) return CallContext::SizeExceeded("list");
  return Value::List(std::move(out));
}

Value Substring(std::string_view s, std::int64_t start, std::optional<std::int64_t> end, CallContext& ctx) {
  if (!ctx.Charge(TraversalCost(s.size()))) return CallContext::CostExceeded();
  auto b = Boundaries(s);
  std::int64_t n = static_cast<std::int64_t>(b.size()) - 1;
  if (start < 0 || start > n) return OutOfRange(start);
  std::int64_t e = end ? *end : n;
  if (e < 0 || e > n) return OutOfRange(e);
  if (start > e)
    return Value::Error("invalid substring range. start: " + std::to_string(start) + ", end: " + std::to_string(e));
  return Value::String(std::string(s.substr(b[start], b[e] - b[start])));
}

// Go's unicode.IsSpace for the code point starting at s[i] (its length in `len`).
bool SpaceAt(std::string_view s, std::size_t i, std::size_t& len) {
  static constexpr std::string_view kSpaces[] = {
      "\t", "\n", "\v", "\f", "\r", " ", "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81",
      "\xe2\x80\x82", "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86", "\xe2\x80\x87",
      "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf",
      "\xe2\x81\x9f", "\xe3\x80\x80"};
  for (std::string_view sp : kSpaces)
    if (s.substr(i).starts_with(sp)) {
      len = sp.size();
      return true;
    }
  return false;
}

Value Trim(Args a, CallContext& ctx) {
  std::string_view s = a[0].text();
  if (!ctx.Charge(TraversalCost(s.size()))) return CallContext::CostExceeded();
  std::size_t len = 0;
  std::size_t begin = 0;
  while (begin < s.size() && SpaceAt(s, begin, len)) begin += len;
  auto b = Boundaries(s);
  std::size_t end = s.size();
  for (std::size_t k = b.size() - 1; k > 0; --k) {
    std::size_t at = b[k - 1];
    if (at < begin || !SpaceAt(s, at, len) || at + len != end) break;
    end = at;
  }
  return Value::String(std::string(s.substr(begin, end - begin)));
}

Value Join(const Value& list, std::string_view sep, CallContext& ctx) {
  std::string out;
  ListIterator it(list);
  Value e;
  bool first = true;
  while (it.Next(e)) {
    if (e.kind() != K::kString) return NoSuchOverload();
    if (!first) out.append(sep);
    first = false;
    out.append(e.text());
    if (out.size() > ctx.max_string_bytes()) return CallContext::SizeExceeded("string");
  }
  return Built(std::move(out), ctx);
}

// strconv.Quote-like, as cel-go's strings.quote writes it: only \a \b \f \n \r \t \v \\ \"
// are escaped; every other code point stays as it is.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

Value Reverse(Args a, CallContext& ctx) {
  std::string_view s = a[0].text();
  auto b = Boundaries(s);
  std::string out;
  out.reserve(s.size());
  for (std::size_t k = b.size() - 1; k > 0; --k) out.append(s.substr(b[k - 1], b[k] - b[k - 1]));
  return Built(std::move(out), ctx);
}

// --- format ---

Value FormatError(std::string message) { return Value::Error("error during formatting: " + std::move(message)); }

std::string Printf(const char* spec, int precision, double d) {
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, spec, precision, d);
  if (n < 0) return {};
  if (static_cast<std::size_t>(n) < sizeof buf) return std::string(buf, static_cast<std::size_t>(n));
  std::string big(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(big.data(), big.size(), spec, precision, d);
  big.resize(static_cast<std::size_t>(n));
  return big;
}

std::string InBase(std::uint64_t v, unsigned base, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  do {
    out += digits[v % base];
    v /= base;
  } while (v != 0);
  std::reverse(out.begin(), out.end());
  return out;
}

// An integer in `base` with Go's sign convention ("-ff").
std::optional<std::string> IntegerInBase(const Value& v, unsigned base, bool upper) {
  if (v.kind() == K::kUint) return InBase(v.uint_value(), base, upper);
  if (v.kind() != K::kInt) return std::nullopt;
  std::int64_t i = v.int_value();
  std::uint64_t magnitude = i < 0 ? 0 - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
  return (i < 0 ? "-" : "") + InBase(magnitude, base, upper);
}

// %s of one value: scalars as string() converts them; inside lists and maps, strings are
// quoted and timestamps/durations written as their constructor calls. Lists and maps stop
// once their text passes `limit` bytes (their elements may share one large string).
std::optional<std::string> FormatString(const Value& v, bool nested, int depth, std::size_t limit, std::string& error) {
  if (depth > 32) {
    error = "value nests too deeply to format";
    return std::nullopt;
  }
  switch (v.kind()) {
    case K::kNull: return "null";
    case K::kBool: return v.bool_value() ? "true" : "false";
    case K::kInt: return std::to_string(v.int_value());
    case K::kUint: return std::to_string(v.uint_value());
    case K::kDouble: return FormatDouble(v.double_value());
    case K::kString: return nested ? Quote(v.text()) : std::string(v.text());
    case K::kBytes:
      if (nested) return "b" + QuoteString(v.text(), true);
      if (!IsValidUtf8(v.text())) {
        error = "invalid UTF-8 in bytes, cannot convert to string";
        return std::nullopt;
      }
      return std::string(v.text());
    case K::kTimestamp: {
      std::string t = FormatTimestamp({v.timestamp_seconds(), v.timestamp_nanos()});
      return nested ? "timestamp(\"" + t + "\")" : t;
    }
    case K::kDuration: {
      std::string d = FormatDuration(v.duration_nanos());
      return nested ? "duration(\"" + d + "\")" : d;
    }
    case K::kType: return std::string(v.text());
    case K::kList: {
      std::string out = "[";
      ListIterator it(v);
      Value e;
      bool first = true;
      while (it.Next(e)) {
        auto s = FormatString(e, true, depth + 1, limit, error);
        if (!s) return std::nullopt;
        if (!first) out += ", ";
        first = false;
        out += *s;
        if (out.size() > limit) {
          error = "string size exceeds the evaluation limit";
          return std::nullopt;
        }
      }
      return out + "]";
    }
    case K::kMap: {
      std::vector<std::pair<std::string, std::string>> entries;
      std::size_t size = 0;
      MapIterator it(v);
      Value k, e;
      while (it.Next(k, e)) {
        auto ks = FormatString(k, true, depth + 1, limit, error);
        if (!ks) return std::nullopt;
        auto vs = FormatString(e, true, depth + 1, limit, error);
        if (!vs) return std::nullopt;
        size += ks->size() + vs->size() + 2;
        if (size > limit) {
          error = "string size exceeds the evaluation limit";
          return std::nullopt;
        }
        entries.emplace_back(std::move(*ks), std::move(*vs));
      }
      std::sort(entries.begin(), entries.end());
      std::string out = "{";
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += ", ";
        out += entries[i].first + ": " + entries[i].second;
      }
      return out + "}";
    }
    case K::kOpaque: return v.opaque().DebugString();
    default:
      error = "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, "
              "durations, and timestamps, was given " + std::string(v.TypeName());
      return std::nullopt;
  }
}

std::optional<double> AsDouble(const Value& v) {
  if (v.kind() == K::kDouble) return v.double_value();
  if (v.kind() == K::kInt) return static_cast<double>(v.int_value());
  if (v.kind() == K::kUint) return static_cast<double>(v.uint_value());
  return std::nullopt;
}

std::optional<std::string> FormatClause(char verb, int precision, const Value& v, std::size_t limit,
                                        std::string& error) {
  std::string given = ", was given " + std::string(v.TypeName());
  switch (verb) {
    case 's': return FormatString(v, false, 0, limit, error);
    case 'd':
      if (auto s = IntegerInBase(v, 10, false)) return s;
      error = "decimal clause can only be used on integers" + given;
      return std::nullopt;
    case 'o':
      if (auto s = IntegerInBase(v, 8, false)) return s;
      error = "octal clause can only be used on integers" + given;
      return std::nullopt;
    case 'b':
      if (v.kind() == K::kBool) return v.bool_value() ? "1" : "0";
      if (auto s = IntegerInBase(v, 2, false)) return s;
      error = "only integers and bools can be formatted as binary" + given;
      return std::nullopt;
    case 'x':
    case 'X': {
      bool upper = verb == 'X';
      if (auto s = IntegerInBase(v, 16, upper)) return s;
      if (v.kind() == K::kString || v.kind() == K::kBytes) {
        std::string out;
        for (unsigned char c : v.text()) out += InBase(c, 16, upper).insert(0, c < 16 ? "0" : "");
        return out;
      }
      error = "only integers, byte buffers, and strings can be formatted as hex" + given;
      return std::nullopt;
    }
    case 'f':
    case 'e': {
      auto d = AsDouble(v);
      if (!d) {
        error = std::string(verb == 'f' ? "fixed-point" : "scientific") + " clause can only be used on doubles" + given;
        return std::nullopt;
      }
      if (std::isnan(*d)) return "NaN";
      if (std::isinf(*d)) return *d > 0 ? "Infinity" : "-Infinity";
      return Printf(verb == 'f' ? "%.*f" : "%.*e", precision, *d);
    }
    default: return std::nullopt;
  }
}

Value Format(std::string_view spec, const Value& args, CallContext& ctx) {
  if (!ctx.Charge(TraversalCost(spec.size()))) return CallContext::CostExceeded();
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] != '%') {
      out += spec[i];
      continue;
    }
    if (++i == spec.size()) return FormatError("could not parse formatting clause: unexpected end of string");
    if (spec[i] == '%') {
      out += '%';
      continue;
    }
    int precision = 6;
    if (spec[i] == '.') {
      std::size_t start = ++i;
      precision = 0;
      while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9' && precision < 1000)
        precision = precision * 10 + (spec[i++] - '0');
      if (i == start || i == spec.size())
        return FormatError("could not parse formatting clause: error while parsing precision: unexpected end of string");
    }
    char verb = spec[i];
    if (std::string_view("sdobxXfe").find(verb) == std::string_view::npos)
      return FormatError("could not parse formatting clause: unrecognized formatting clause \"" +
                         std::string(1, verb) + "\"");
    if (next >= args.ListSize()) return FormatError("index " + std::to_string(next) + " out of range");
    Value arg = args.ListAt(next++);
    std::string error;
    auto piece = FormatClause(verb, precision, arg, ctx.max_string_bytes(), error);
    if (!piece) return FormatError(error);
    out += *piece;
    if (out.size() > ctx.max_string_bytes()) return CallContext::SizeExceeded("string");
  }
  return Built(std::move(out), ctx);
}

}  // namespace

void RegisterStringsLibrary(FunctionRegistry& r) {
  AddOverload(r, "charAt", true, "(string, int) -> string", CharAt);
  AddOverload(r, "indexOf", true, "(string, string) -> int",
              [](Args a, CallContext& ctx) { return IndexOf(a[0].text(), a[1].text(), std::nullopt, false, ctx); });
  AddOverload(r, "indexOf", true, "(string, string, int) -> int",
              [](Args a, CallContext& ctx) { return IndexOf(a[0].text(), a[1].text(), a[2].int_value(), false, ctx); });
  AddOverload(r, "lastIndexOf", true, "(string, string) -> int",
              [](Args a, CallContext& ctx) { return IndexOf(a[0].text(), a[1].text(), std::nullopt, true, ctx); });
  AddOverload(r, "lastIndexOf", true, "(string, string, int) -> int",
              [](Args a, CallContext& ctx) { return IndexOf(a[0].text(), a[1].text(), a[2].int_value(), true, ctx); });
  AddOverload(r, "lowerAscii", true, "(string) -> string", [](Args a, CallContext& ctx) { return CaseAscii(a, ctx, false); });
  AddOverload(r, "upperAscii", true, "(string) -> string", [](Args a, CallContext& ctx) { return CaseAscii(a, ctx, true); });
  AddOverload(r, "replace", true, "(string, string, string) -> string",
              [](Args a, CallContext& ctx) { return Replace(a[0].text(), a[1].text(), a[2].text(), -1, ctx); });
  AddOverload(r, "replace", true, "(string, string, string, int) -> string", [](Args a, CallContext& ctx) {
    return Replace(a[0].text(), a[1].text(), a[2].text(), a[3].int_value(), ctx);
  });
  AddOverload(r, "split", true, "(string, string) -> list(string)", [](Args a, CallContext& ctx) { return Split(a[0].text(), a[1].text(), -1, ctx); });
  AddOverload(r, "split", true, "(string, string, int) -> list(string)",
              [](Args a, CallContext& ctx) { return Split(a[0].text(), a[1].text(), a[2].int_value(), ctx); });
  AddOverload(r, "substring", true, "(string, int) -> string",
              [](Args a, CallContext& ctx) { return Substring(a[0].text(), a[1].int_value(), std::nullopt, ctx); });
  AddOverload(r, "substring", true, "(string, int, int) -> string",
              [](Args a, CallContext& ctx) { return Substring(a[0].text(), a[1].int_value(), a[2].int_value(), ctx); });
  AddOverload(r, "trim", true, "(string) -> string", Trim);
  AddOverload(r, "join", true, "(list(string)) -> string", [](Args a, CallContext& ctx) { return Join(a[0], "", ctx); });
  AddOverload(r, "join", true, "(list(string), string) -> string", [](Args a, CallContext& ctx) { return Join(a[0], a[1].text(), ctx); });
  AddOverload(r, "format", true, "(string, list(dyn)) -> string", [](Args a, CallContext& ctx) { return Format(a[0].text(), a[1], ctx); });
  AddOverload(r, "strings.quote", false, "(string) -> string", [](Args a, CallContext& ctx) { return Built(Quote(a[0].text()), ctx); });
  AddOverload(r, "reverse", true, "(string) -> string", Reverse);
}

}  // namespace kw::cel
