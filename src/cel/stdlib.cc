// CEL's standard library (langdef "Standard Definitions") on the function registry, with
// cel-go's error texts.
//
// Texts as cel-go prints them: "no such overload", "division by zero", "modulus by zero",
// "integer overflow", "unsigned integer overflow" (the cel-spec conformance suite describes
// these cases as "return error for overflow"), "no such key: x", "index '3' out of range in
// list size '3'", "invalid UTF-8 in bytes, cannot convert to string", Go's strconv texts for
// string conversions ("strconv.ParseInt: parsing \"x\": invalid syntax") and time's for
// durations ("time: invalid duration \"1d\""), "unknown time zone X".
// Unsure, to check against cel-go: "timestamp overflow" / "duration overflow" / "timestamp out
// of range" (range errors of time arithmetic), the timestamp() parse error (Go's time.Parse
// text is longer; ours quotes the input), bool()'s "type conversion error from 'string' to
// 'bool'", "unsupported index value", and the evaluator's "type 'int' does not support field
// selection", "no such attribute(s): x", "Failed with repeated key", "unsupported key type".
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "cel/functions.h"
#include "cel/text.h"
#include "cel/time.h"
#include "goregex/regex.h"

namespace kw::cel {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
using Args = std::span<const Value>;
using K = Kind;
using P = std::vector<std::optional<Kind>>;

Value IntOverflow() { return Value::Error("integer overflow"); }
Value UintOverflow() { return Value::Error("unsigned integer overflow"); }

void Add(FunctionRegistry& r, std::string name, bool receiver, P params, FunctionImpl impl) {
  Overload o;
  o.receiver = receiver;
  o.params = std::move(params);
  o.impl = std::move(impl);
  r.Add(std::move(name), std::move(o));
}
// Registered both as `f(x, ...)` and `x.f(...)`.
void AddBoth(FunctionRegistry& r, const std::string& name, P params, const FunctionImpl& impl) {
  Add(r, name, false, params, impl);
  Add(r, name, true, std::move(params), impl);
}

// --- Arithmetic ---

Value AddInt(Args a, CallContext&) {
  std::int64_t r;
  if (__builtin_add_overflow(a[0].int_value(), a[1].int_value(), &r)) return IntOverflow();
  return Value::Int(r);
}
Value SubInt(Args a, CallContext&) {
  std::int64_t r;
  if (__builtin_sub_overflow(a[0].int_value(), a[1].int_value(), &r)) return IntOverflow();
  return Value::Int(r);
}
Value MulInt(Args a, CallContext&) {
  std::int64_t r;
  if (__builtin_mul_overflow(a[0].int_value(), a[1].int_value(), &r)) return IntOverflow();
  return Value::Int(r);
}
Value DivInt(Args a, CallContext&) {
  std::int64_t x = a[0].int_value(), y = a[1].int_value();
  if (y == 0) return Value::Error("division by zero");
  if (x == std::numeric_limits<std::int64_t>::min() && y == -1) return IntOverflow();
  return Value::Int(x / y);
}
Value ModInt(Args a, CallContext&) {
  std::int64_t x = a[0].int_value(), y = a[1].int_value();
  if (y == 0) return Value::Error("modulus by zero");
  if (x == std::numeric_limits<std::int64_t>::min() && y == -1) return IntOverflow();
  return Value::Int(x % y);
}
Value AddUint(Args a, CallContext&) {
  std::uint64_t r;
  if (__builtin_add_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return UintOverflow();
  return Value::Uint(r);
}
Value SubUint(Args a, CallContext&) {
  std::uint64_t r;
  if (__builtin_sub_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return UintOverflow();
  return Value::Uint(r);
}
Value MulUint(Args a, CallContext&) {
  std::uint64_t r;
  if (__builtin_mul_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return UintOverflow();
  return Value::Uint(r);
}
Value DivUint(Args a, CallContext&) {
  if (a[1].uint_value() == 0) return Value::Error("division by zero");
  return Value::Uint(a[0].uint_value() / a[1].uint_value());
}
Value ModUint(Args a, CallContext&) {
  if (a[1].uint_value() == 0) return Value::Error("modulus by zero");
  return Value::Uint(a[0].uint_value() % a[1].uint_value());
}

Value Concat(Args a, CallContext& ctx) {
  std::size_t size = a[0].text().size() + a[1].text().size();
  if (size > ctx.max_string_bytes()) return CallContext::SizeExceeded(a[0].kind() == K::kString ? "string" : "bytes");
  if (!ctx.Charge(TraversalCost(size))) return CallContext::CostExceeded();
  std::string s;
  s.reserve(size);
  s.append(a[0].text());
  s.append(a[1].text());
  return a[0].kind() == K::kString ? Value::String(std::move(s)) : Value::Bytes(std::move(s));
}

Value ConcatList(Args a, CallContext& ctx) {
  std::size_t size = a[0].ListSize() + a[1].ListSize();
  if (size > ctx.max_list_elements()) return CallContext::SizeExceeded("list");
  if (a[1].ListSize() == 0) return a[0];
  if (a[0].ListSize() == 0) return a[1];
  if (!ctx.Charge(TraversalCost(size))) return CallContext::CostExceeded();
  std::vector<Value> out;
  out.reserve(size);
  for (const Value& l : a) {
    ListIterator it(l);
    Value e;
    while (it.Next(e)) out.push_back(std::move(e));
  }
  return Value::List(std::move(out));
}

// --- Time arithmetic ---

Value AddTimestamp(const Value& ts, std::int64_t nanos) {
  std::int64_t secs = nanos / kNanosPerSecond;
  std::int64_t n = ts.timestamp_nanos() + nanos % kNanosPerSecond;
  if (n < 0) {
    n += kNanosPerSecond;
    --secs;
  } else if (n >= kNanosPerSecond) {
    n -= kNanosPerSecond;
    ++secs;
  }
  std::int64_t total;
  if (__builtin_add_overflow(ts.timestamp_seconds(), secs, &total) || total < kMinTimestampSeconds ||
      total > kMaxTimestampSeconds)
    return Value::Error("timestamp overflow");
  return Value::Timestamp(total, static_cast<std::int32_t>(n));
}

Value DurationOf(__int128 nanos) {
  if (nanos > std::numeric_limits<std::int64_t>::max() || nanos < std::numeric_limits<std::int64_t>::min())
    return Value::Error("duration overflow");
  return Value::Duration(static_cast<std::int64_t>(nanos));
}

// --- Conversions ---

std::string GoQuote(std::string_view s) { return "\"" + std::string(s) + "\""; }

Value ToInt(Args a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kInt: return v;
    case K::kUint:
      if (v.uint_value() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return IntOverflow();
      return Value::Int(static_cast<std::int64_t>(v.uint_value()));
    case K::kDouble: {
      double d = v.double_value();
      // cel-go's bounds: both ends exclusive.
      if (!std::isfinite(d) || d <= -9223372036854775808.0 || d >= 9223372036854775807.0) return IntOverflow();
      return Value::Int(static_cast<std::int64_t>(d));
    }
    case K::kString: {
      std::string_view s = v.text();
      std::int64_t out = 0;
      const char* begin = s.data();
      const char* end = s.data() + s.size();
      if (!s.empty() && s[0] == '+') ++begin;
      auto [p, ec] = std::from_chars(begin, end, out);
      if (ec == std::errc::result_out_of_range)
        return Value::Error("strconv.ParseInt: parsing " + GoQuote(s) + ": value out of range");
      if (ec != std::errc() || p != end || s.empty() || (begin != s.data() && *begin == '-'))
        return Value::Error("strconv.ParseInt: parsing " + GoQuote(s) + ": invalid syntax");
      return Value::Int(out);
    }
    case K::kTimestamp: return Value::Int(v.timestamp_seconds());
    default: return NoSuchOverload();
  }
}

Value ToUint(Args a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kUint: return v;
    case K::kInt:
      if (v.int_value() < 0) return UintOverflow();
      return Value::Uint(static_cast<std::uint64_t>(v.int_value()));
    case K::kDouble: {
      double d = v.double_value();
      if (!std::isfinite(d) || d < 0 || d >= 18446744073709551615.0) return UintOverflow();
      return Value::Uint(static_cast<std::uint64_t>(d));
    }
    case K::kString: {
      std::string_view s = v.text();
      std::uint64_t out = 0;
      const char* begin = s.data();
      const char* end = s.data() + s.size();
      if (!s.empty() && s[0] == '+') ++begin;
      auto [p, ec] = std::from_chars(begin, end, out);
      if (ec == std::errc::result_out_of_range)
        return Value::Error("strconv.ParseUint: parsing " + GoQuote(s) + ": value out of range");
      if (ec != std::errc() || p != end || s.empty() || (begin != s.data() && *begin == '-'))
        return Value::Error("strconv.ParseUint: parsing " + GoQuote(s) + ": invalid syntax");
      return Value::Uint(out);
    }
    default: return NoSuchOverload();
  }
}

std::optional<double> ParseGoFloat(std::string_view s) {
  std::string t(s);
  if (t.empty()) return std::nullopt;
  std::string lower;
  for (char c : t) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  std::string_view body = lower;
  bool neg = false;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") return neg ? -HUGE_VAL : HUGE_VAL;
  if (body == "nan") return std::nan("");
  for (char c : body)
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == '+' || c == '-' || c == '_')) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  return d;
}

Value ToDouble(Args a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kDouble: return v;
    case K::kInt: return Value::Double(static_cast<double>(v.int_value()));
    case K::kUint: return Value::Double(static_cast<double>(v.uint_value()));
    case K::kString: {
      auto d = ParseGoFloat(v.text());
      if (!d) return Value::Error("strconv.ParseFloat: parsing " + GoQuote(v.text()) + ": invalid syntax");
      return Value::Double(*d);
    }
    default: return NoSuchOverload();
  }
}

Value ToString(Args a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kString: return v;
    case K::kInt: return Value::String(std::to_string(v.int_value()));
    case K::kUint: return Value::String(std::to_string(v.uint_value()));
    case K::kDouble: return Value::String(FormatDouble(v.double_value()));
    case K::kBool: return Value::String(v.bool_value() ? "true" : "false");
    case K::kBytes:
      if (!IsValidUtf8(v.text())) return Value::Error("invalid UTF-8 in bytes, cannot convert to string");
      return Value::String(std::string(v.text()));
    case K::kTimestamp: return Value::String(FormatTimestamp({v.timestamp_seconds(), v.timestamp_nanos()}));
    case K::kDuration: return Value::String(FormatDuration(v.duration_nanos()));
    default: return NoSuchOverload();
  }
}

Value ToBool(Args a, CallContext&) {
  const Value& v = a[0];
  if (v.kind() == K::kBool) return v;
  if (v.kind() != K::kString) return NoSuchOverload();
  std::string_view s = v.text();
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return Value::Bool(true);
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") return Value::Bool(false);
  return Value::Error("type conversion error from 'string' to 'bool'");
}

Value ToTimestamp(Args a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kTimestamp: return v;
    case K::kInt: return Value::Timestamp(v.int_value(), 0);
    case K::kString: {
      auto t = ParseTimestamp(v.text());
      // Go's time.Parse error is longer; its quoted input is what users look for.
      if (!t) return Value::Error("timestamp() error: cannot parse " + GoQuote(v.text()) + " as RFC 3339");
      return Value::Timestamp(t->seconds, t->nanos);
    }
    default: return NoSuchOverload();
  }
}

Value ToDuration(Args a, CallContext&) {
  const Value& v = a[0];
  if (v.kind() == K::kDuration) return v;
  if (v.kind() != K::kString) return NoSuchOverload();
  auto d = ParseDuration(v.text());
  if (!d) return Value::Error("time: invalid duration " + GoQuote(v.text()));
  return Value::Duration(*d);
}

// --- Timestamp accessors ---

enum class Field { kFullYear, kMonth, kDate, kDayOfMonth, kDayOfWeek, kDayOfYear, kHours, kMinutes, kSeconds, kMillis };

Value TimestampField(Field f, Args a) {
  Instant t{a[0].timestamp_seconds(), a[0].timestamp_nanos()};
  std::int32_t offset = 0;
  if (a.size() > 1) {
    auto o = ZoneOffset(a[1].text(), t.seconds);
    if (!o) return Value::Error(o.error());
    offset = *o;
  }
  CivilTime c = ToCivil(t, offset);
  switch (f) {
    case Field::kFullYear: return Value::Int(c.year);
    case Field::kMonth: return Value::Int(c.month - 1);
    case Field::kDate: return Value::Int(c.day);
    case Field::kDayOfMonth: return Value::Int(c.day - 1);
    case Field::kDayOfWeek: return Value::Int(c.day_of_week);
    case Field::kDayOfYear: return Value::Int(c.day_of_year);
    case Field::kHours: return Value::Int(c.hour);
    case Field::kMinutes: return Value::Int(c.minute);
    case Field::kSeconds: return Value::Int(c.second);
    case Field::kMillis: return Value::Int(c.nanos / 1'000'000);
  }
  return NoSuchOverload();
}

void RegisterTime(FunctionRegistry& r) {
  struct Accessor {
    const char* name;
    Field field;
    std::int64_t duration_unit;  // 0: no duration overload
  };
  static constexpr Accessor kAccessors[] = {
      {"getFullYear", Field::kFullYear, 0}, {"getMonth", Field::kMonth, 0},
      {"getDate", Field::kDate, 0},         {"getDayOfMonth", Field::kDayOfMonth, 0},
      {"getDayOfWeek", Field::kDayOfWeek, 0}, {"getDayOfYear", Field::kDayOfYear, 0},
      {"getHours", Field::kHours, 3'600'000'000'000}, {"getMinutes", Field::kMinutes, 60'000'000'000},
      {"getSeconds", Field::kSeconds, kNanosPerSecond}, {"getMilliseconds", Field::kMillis, 1'000'000},
  };
  for (const Accessor& acc : kAccessors) {
    Field f = acc.field;
    Add(r, acc.name, true, {K::kTimestamp}, [f](Args a, CallContext&) { return TimestampField(f, a); });
    Add(r, acc.name, true, {K::kTimestamp, K::kString}, [f](Args a, CallContext&) { return TimestampField(f, a); });
    if (acc.duration_unit != 0) {
      std::int64_t unit = acc.duration_unit;
      Add(r, acc.name, true, {K::kDuration},
          [unit](Args a, CallContext&) { return Value::Int(a[0].duration_nanos() / unit); });
    }
  }
  Add(r, "_+_", false, {K::kTimestamp, K::kDuration},
      [](Args a, CallContext&) { return AddTimestamp(a[0], a[1].duration_nanos()); });
  Add(r, "_+_", false, {K::kDuration, K::kTimestamp},
      [](Args a, CallContext&) { return AddTimestamp(a[1], a[0].duration_nanos()); });
  Add(r, "_-_", false, {K::kTimestamp, K::kDuration}, [](Args a, CallContext&) {
    if (a[1].duration_nanos() == std::numeric_limits<std::int64_t>::min()) return Value::Error("timestamp overflow");
    return AddTimestamp(a[0], -a[1].duration_nanos());
  });
  Add(r, "_-_", false, {K::kTimestamp, K::kTimestamp}, [](Args a, CallContext&) {
    __int128 d = (static_cast<__int128>(a[0].timestamp_seconds()) - a[1].timestamp_seconds()) * kNanosPerSecond +
                 (a[0].timestamp_nanos() - a[1].timestamp_nanos());
    return DurationOf(d);
  });
  Add(r, "_+_", false, {K::kDuration, K::kDuration}, [](Args a, CallContext&) {
    return DurationOf(static_cast<__int128>(a[0].duration_nanos()) + a[1].duration_nanos());
  });
  Add(r, "_-_", false, {K::kDuration, K::kDuration}, [](Args a, CallContext&) {
    return DurationOf(static_cast<__int128>(a[0].duration_nanos()) - a[1].duration_nanos());
  });
}

// --- Strings ---

void RegisterStrings(FunctionRegistry& r) {
  auto scan = [](auto test) {
    return [test](Args a, CallContext& ctx) {
      if (!ctx.Charge(TraversalCost(a[0].text().size()))) return CallContext::CostExceeded();
      return Value::Bool(test(a[0].text(), a[1].text()));
    };
  };
  Add(r, "contains", true, {K::kString, K::kString},
      scan([](std::string_view s, std::string_view x) { return s.find(x) != std::string_view::npos; }));
  Add(r, "startsWith", true, {K::kString, K::kString},
      scan([](std::string_view s, std::string_view x) { return s.starts_with(x); }));
  Add(r, "endsWith", true, {K::kString, K::kString},
      scan([](std::string_view s, std::string_view x) { return s.ends_with(x); }));

  // matches: RE2 syntax (Go's regexp), compiled once when the pattern is a constant.
  auto run = [](const goregex::Regexp& re, std::string_view text, CallContext& ctx) {
    // The Pike VM costs text length × program size.
    std::uint64_t work = TraversalCost(text.size()) * (1 + re.program_size() / 10);
    if (!ctx.Charge(work)) return CallContext::CostExceeded();
    return Value::Bool(re.Match(text));
  };
  FunctionImpl dynamic = [run](Args a, CallContext& ctx) {
    if (!ctx.Charge(TraversalCost(a[1].text().size()))) return CallContext::CostExceeded();
    auto re = goregex::Regexp::Compile(a[1].text());
    if (!re) return Value::Error(re.error());
    return run(*re, a[0].text(), ctx);
  };
  auto specialize = [run](std::span<const Value* const> constants) -> FunctionImpl {
    if (constants.size() != 2 || constants[1] == nullptr || constants[1]->kind() != K::kString) return {};
    auto re = goregex::Regexp::Compile(constants[1]->text());
    if (!re) return [error = re.error()](Args, CallContext&) { return Value::Error(error); };
    auto shared = std::make_shared<const goregex::Regexp>(std::move(*re));
    return [run, shared](Args a, CallContext& ctx) { return run(*shared, a[0].text(), ctx); };
  };
  for (bool receiver : {true, false}) {
    Overload o;
    o.receiver = receiver;
    o.params = {K::kString, K::kString};
    o.impl = dynamic;
    o.specialize = specialize;
    r.Add("matches", std::move(o));
  }
}

std::string KeyText(const Value& key) {
  switch (key.kind()) {
    case K::kString: return std::string(key.text());
    case K::kInt: return std::to_string(key.int_value());
    case K::kUint: return std::to_string(key.uint_value());
    case K::kBool: return key.bool_value() ? "true" : "false";
    case K::kDouble: return FormatDouble(key.double_value());
    default: return DebugString(key);
  }
}

Value Index(Args a, CallContext& ctx) {
  const Value& c = a[0];
  const Value& i = a[1];
  if (c.kind() == K::kMap) {
    // Lookups scan the map (JSON objects and map literals keep no index).
    if (!ctx.Charge(TraversalCost(c.MapSize()))) return CallContext::CostExceeded();
    auto found = c.MapFind(i);
    if (!found) {
      bool valid = i.kind() == K::kString || i.kind() == K::kInt || i.kind() == K::kUint || i.kind() == K::kBool ||
                   i.kind() == K::kDouble;
      if (!valid) return NoSuchOverload();
      return Value::Error("no such key: " + KeyText(i));
    }
    return std::move(*found);
  }
  if (c.kind() != K::kList) return NoSuchOverload();
  std::int64_t index;
  switch (i.kind()) {
    case K::kInt: index = i.int_value(); break;
    case K::kUint:
      index = i.uint_value() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                  ? std::numeric_limits<std::int64_t>::max()
                  : static_cast<std::int64_t>(i.uint_value());
      break;
    case K::kDouble: {
      double d = i.double_value();
      if (d != std::trunc(d) || !std::isfinite(d) || std::fabs(d) > 9.2e18)
        return Value::Error("unsupported index value " + FormatDouble(d) + " in list");
      index = static_cast<std::int64_t>(d);
      break;
    }
    default: return NoSuchOverload();
  }
  auto size = static_cast<std::int64_t>(c.ListSize());
  if (index < 0 || index >= size)
    return Value::Error("index '" + std::to_string(index) + "' out of range in list size '" + std::to_string(size) + "'");
  // JSON arrays are walked to the index.
  if (!ctx.Charge(TraversalCost(static_cast<std::size_t>(index)))) return CallContext::CostExceeded();
  return c.ListAt(static_cast<std::size_t>(index));
}

// Equality charged by the work it does: 0.1 per value visited, as traversals cost.
std::optional<bool> CountedEqual(const Value& a, const Value& b, CallContext& ctx) {
  std::uint64_t remaining = ctx.remaining();
  std::uint64_t budget = remaining > UINT64_MAX / 10 ? UINT64_MAX : remaining * 10;
  std::uint64_t start = budget;
  auto eq = EqualWithin(a, b, budget);
  if (!ctx.Charge(TraversalCost(start - budget)) || !eq) return std::nullopt;
  return eq;
}

Value Equals(const Value& a, const Value& b, CallContext& ctx, bool negate) {
  auto eq = CountedEqual(a, b, ctx);
  if (!eq) return CallContext::CostExceeded();
  return Value::Bool(*eq != negate);
}

Value In(Args a, CallContext& ctx) {
  const Value& x = a[0];
  const Value& c = a[1];
  std::size_t size = c.kind() == K::kMap ? c.MapSize() : c.ListSize();
  if (!ctx.Charge(TraversalCost(size))) return CallContext::CostExceeded();
  if (c.kind() == K::kMap) return Value::Bool(c.MapFind(x).has_value());
  ListIterator it(c);
  Value e;
  while (it.Next(e)) {
    auto eq = CountedEqual(x, e, ctx);
    if (!eq) return CallContext::CostExceeded();
    if (*eq) return Value::Bool(true);
  }
  return Value::Bool(false);
}

Value Size(Args a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kString: return Value::Int(static_cast<std::int64_t>(CountCodePoints(v.text())));
    case K::kBytes: return Value::Int(static_cast<std::int64_t>(v.text().size()));
    case K::kList: return Value::Int(static_cast<std::int64_t>(v.ListSize()));
    case K::kMap: return Value::Int(static_cast<std::int64_t>(v.MapSize()));
    default: return NoSuchOverload();
  }
}

Value Compared(Args a, bool (*accept)(std::partial_ordering)) {
  auto c = Compare(a[0], a[1]);
  if (!c) return NoSuchOverload();
  return Value::Bool(accept(*c));
}

}  // namespace

Value NoSuchOverload() { return Value::Error("no such overload"); }

bool Overload::Accepts(std::span<const Value> args) const {
  if (args.size() != params.size()) return false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (params[i] && *params[i] != args[i].kind()) return false;
    if (i < opaque_types.size() && !opaque_types[i].empty() && args[i].kind() == Kind::kOpaque &&
        args[i].opaque().TypeName() != opaque_types[i])
      return false;
  }
  return true;
}

void FunctionRegistry::Add(std::string name, Overload overload) { functions_[std::move(name)].push_back(std::move(overload)); }

const std::vector<Overload>* FunctionRegistry::Find(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

const FunctionRegistry& FunctionRegistry::Standard() {
  static const FunctionRegistry* registry = [] {
    auto* r = new FunctionRegistry;
    RegisterStandardLibrary(*r);
    return r;
  }();
  return *registry;
}

void RegisterStandardLibrary(FunctionRegistry& r) {
  const std::optional<Kind> any;
  Add(r, "_+_", false, {K::kInt, K::kInt}, AddInt);
  Add(r, "_-_", false, {K::kInt, K::kInt}, SubInt);
  Add(r, "_*_", false, {K::kInt, K::kInt}, MulInt);
  Add(r, "_/_", false, {K::kInt, K::kInt}, DivInt);
  Add(r, "_%_", false, {K::kInt, K::kInt}, ModInt);
  Add(r, "_+_", false, {K::kUint, K::kUint}, AddUint);
  Add(r, "_-_", false, {K::kUint, K::kUint}, SubUint);
  Add(r, "_*_", false, {K::kUint, K::kUint}, MulUint);
  Add(r, "_/_", false, {K::kUint, K::kUint}, DivUint);
  Add(r, "_%_", false, {K::kUint, K::kUint}, ModUint);
  Add(r, "_+_", false, {K::kDouble, K::kDouble},
      [](Args a, CallContext&) { return Value::Double(a[0].double_value() + a[1].double_value()); });
  Add(r, "_-_", false, {K::kDouble, K::kDouble},
      [](Args a, CallContext&) { return Value::Double(a[0].double_value() - a[1].double_value()); });
  Add(r, "_*_", false, {K::kDouble, K::kDouble},
      [](Args a, CallContext&) { return Value::Double(a[0].double_value() * a[1].double_value()); });
  Add(r, "_/_", false, {K::kDouble, K::kDouble},
      [](Args a, CallContext&) { return Value::Double(a[0].double_value() / a[1].double_value()); });
  Add(r, "_+_", false, {K::kString, K::kString}, Concat);
  Add(r, "_+_", false, {K::kBytes, K::kBytes}, Concat);
  Add(r, "_+_", false, {K::kList, K::kList}, ConcatList);
  Add(r, "-_", false, {K::kInt}, [](Args a, CallContext&) {
    if (a[0].int_value() == std::numeric_limits<std::int64_t>::min()) return IntOverflow();
    return Value::Int(-a[0].int_value());
  });
  Add(r, "-_", false, {K::kDouble}, [](Args a, CallContext&) { return Value::Double(-a[0].double_value()); });
  Add(r, "!_", false, {K::kBool}, [](Args a, CallContext&) { return Value::Bool(!a[0].bool_value()); });

  Add(r, "_==_", false, {any, any}, [](Args a, CallContext& ctx) { return Equals(a[0], a[1], ctx, false); });
  Add(r, "_!=_", false, {any, any}, [](Args a, CallContext& ctx) { return Equals(a[0], a[1], ctx, true); });
  Add(r, "_<_", false, {any, any}, [](Args a, CallContext&) { return Compared(a, [](std::partial_ordering o) { return o < 0; }); });
  Add(r, "_<=_", false, {any, any}, [](Args a, CallContext&) { return Compared(a, [](std::partial_ordering o) { return o <= 0; }); });
  Add(r, "_>_", false, {any, any}, [](Args a, CallContext&) { return Compared(a, [](std::partial_ordering o) { return o > 0; }); });
  Add(r, "_>=_", false, {any, any}, [](Args a, CallContext&) { return Compared(a, [](std::partial_ordering o) { return o >= 0; }); });

  Add(r, "@in", false, {any, K::kList}, In);
  Add(r, "@in", false, {any, K::kMap}, In);
  Add(r, "_[_]", false, {any, any}, Index);
  AddBoth(r, "size", {any}, Size);

  Add(r, "int", false, {any}, ToInt);
  Add(r, "uint", false, {any}, ToUint);
  Add(r, "double", false, {any}, ToDouble);
  Add(r, "string", false, {any}, ToString);
  Add(r, "bool", false, {any}, ToBool);
  Add(r, "bytes", false, {any}, [](Args a, CallContext&) {
    if (a[0].kind() == K::kBytes) return a[0];
    if (a[0].kind() != K::kString) return NoSuchOverload();
    return Value::Bytes(std::string(a[0].text()));
  });
  Add(r, "timestamp", false, {any}, ToTimestamp);
  Add(r, "duration", false, {any}, ToDuration);
  Add(r, "dyn", false, {any}, [](Args a, CallContext&) { return a[0]; });
  Add(r, "type", false, {any}, [](Args a, CallContext&) { return Value::Type(a[0].TypeName()); });

  RegisterStrings(r);
  RegisterTime(r);
}

}  // namespace kw::cel
