// Kubernetes' format library (k8s.io/apiserver library.Format, in the admission environment since
// 1.31): format.named(name) -> optional(kubernetes.NamedFormat), one constructor per named format
// (format.dns1123Label(), ...), and <kubernetes.NamedFormat>.validate(s) -> optional(list(string)):
// optional.none() when `s` is valid, else the validator's messages.
//
// The name validators and their texts are apimachinery's (IsDNS1123Label, IsDNS1123Subdomain,
// IsDNS1035Label, IsQualifiedName, IsValidLabelValue; the *Prefix variants first mask a trailing
// '-' as the generateName validators do). uri is Go's url.ParseRequestURI, uuid kube-openapi's
// strfmt UUID pattern, byte Go's base64.StdEncoding, date and datetime Go's time.Parse with
// strfmt's layouts, each with its Go error text.
#include <algorithm>
#include <array>
#include <initializer_list>
#include <memory>
#include <optional>

#include "cel/apimachinery_names.h"
#include "cel/libraries.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;
using Problems = std::vector<std::string>;

constexpr std::string_view kFormatType = "kubernetes.NamedFormat";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// apimachinery's maskTrailingDash, which the name-prefix validators apply: a trailing '-' (of a
// value longer than one character) and the character before it become one "a", so a
// generateName prefix is checked as the start of a name.
std::string MaskTrailingDash(std::string_view s) {
  if (s.size() > 1 && s.ends_with('-')) return std::string(s.substr(0, s.size() - 2)) + "a";
  return std::string(s);
}

Problems Uri(std::string_view s) {
  if (auto error = RequestUriError(s)) return {*error};
  return {};
}

// kube-openapi strfmt's UUID pattern: (?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$
Problems Uuid(std::string_view s) {
  for (std::size_t group : {8, 4, 4, 4, 12}) {
    if (group != 8 && s.starts_with('-')) s.remove_prefix(1);
    if (s.size() < group) return {"does not match the UUID format"};
    for (char c : s.substr(0, group))
      if (!IsHex(c)) return {"does not match the UUID format"};
    s.remove_prefix(group);
  }
  if (!s.empty()) return {"does not match the UUID format"};
  return {};
}

// Go's base64.StdEncoding.DecodeString: padded standard base64, '\r' and '\n' skipped, the
// error at the offset Go reports.
Problems Base64(std::string_view s) {
  auto is_b64 = [](char c) { return IsAlnum(c) || c == '+' || c == '/'; };
  auto illegal = [](std::size_t at) { return Problems{"illegal base64 data at input byte " + std::to_string(at)}; };
  auto skip_newlines = [&](std::size_t i) {
    while (i < s.size() && (s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
  };
  std::size_t i = 0;
  while (i < s.size()) {
    // One quantum of four characters.
    std::size_t j = 0;
    for (; j < 4; ++j) {
      i = skip_newlines(i);
      if (i == s.size()) return j == 0 ? Problems{} : illegal(i - j);
      char c = s[i++];
      if (is_b64(c)) continue;
      if (c != '=' || j < 2) return illegal(i - 1);
      if (j == 2) {
        i = skip_newlines(i);
        if (i == s.size()) return illegal(s.size());
        if (s[i] != '=') return illegal(i - 1);
        ++i;
      }
      i = skip_newlines(i);
      if (i < s.size()) return illegal(i);
      return {};
    }
  }
  return {};
}

// Go's time.Parse for the layouts strfmt uses, reduced to their elements: "2006" (year), "01"
// (month), "02" (day), "15" (hour), "04" (minute), "05" (second, with an optional fraction when
// the layout has none), "Z07:00" (Z or ±hh:mm); anything else is literal. The error texts are
// Go's ParseError's.
class GoTimeParser {
 public:
  GoTimeParser(std::string_view layout, std::string_view value) : layout_(layout), value_(value) {}

  std::optional<std::string> Error() {
    std::string_view layout = layout_, value = value_;
    int year = 0, month = 1, day = 1;
    while (true) {
      auto [prefix, element, rest] = NextElement(layout);
      for (char c : prefix) {
        if (value.empty() || value[0] != c) return Cannot(value, prefix);
        value.remove_prefix(1);
      }
      if (element.empty()) {
        if (!value.empty()) return Message(": extra text: " + Quote(value));
        break;
      }
      layout = rest;
      std::string_view hold = value;
      const char* range = nullptr;
      bool bad = false;
      if (element == "2006") {
        if (value.size() < 4 || !IsDigit(value[0])) {
          bad = true;
        } else {
          auto y = Atoi(value.substr(0, 4));
          bad = !y;
          year = y.value_or(0);
          value.remove_prefix(4);
        }
      } else if (element == "Z07:00") {
        bad = !ZoneOffset(value, range);
      } else {
        int n = 0;
        bad = !GetNum(value, element != "15", n);
        if (!bad && element == "01") {
          month = n;
          if (n <= 0 || n > 12) range = "month";
        } else if (!bad && element == "02") {
          day = n;
        } else if (!bad && element == "15") {
          if (n >= 24) range = "hour";
        } else if (!bad && element == "04") {
          if (n >= 60) range = "minute";
        } else if (!bad && element == "05") {
          if (n >= 60) range = "second";
          else if (value.size() >= 2 && (value[0] == '.' || value[0] == ',') && IsDigit(value[1]))
            SkipFraction(value, range, bad);
        }
      }
      if (range) return Message(": " + std::string(range) + " out of range");
      if (bad) return Cannot(hold, element);
    }
    if (day < 1 || day > DaysIn(year, month)) return Message(": day out of range");
    return std::nullopt;
  }

 private:
  struct Split {
    std::string_view prefix, element, rest;
  };
  static Split NextElement(std::string_view layout) {
    for (std::size_t i = 0; i < layout.size(); ++i)
      for (std::string_view e : {"2006", "Z07:00", "01", "02", "15", "04", "05"})
        if (layout.substr(i).starts_with(e)) return {layout.substr(0, i), e, layout.substr(i + e.size())};
    return {layout, {}, {}};
  }
  // Go's atoi: an optional sign, then only digits.
  static std::optional<int> Atoi(std::string_view s) {
    bool negative = s.starts_with('-');
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    int n = 0;
    for (char c : s) {
      if (!IsDigit(c)) return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return negative ? -n : n;
  }
  // Go's getnum: one or two digits (exactly two when `fixed`).
  static bool GetNum(std::string_view& s, bool fixed, int& n) {
    if (s.empty() || !IsDigit(s[0])) return false;
    if (s.size() < 2 || !IsDigit(s[1])) {
      if (fixed) return false;
      n = s[0] - '0';
      s.remove_prefix(1);
      return true;
    }
    n = (s[0] - '0') * 10 + (s[1] - '0');
    s.remove_prefix(2);
    return true;
  }
  // A fraction after the seconds the layout does not mention: Go reads its digits (at most nine
  // significant) as nanoseconds.
  static void SkipFraction(std::string_view& s, const char*& range, bool& bad) {
    std::size_t n = 2;
    while (n < s.size() && IsDigit(s[n])) ++n;
    auto ns = Atoi(s.substr(1, std::min<std::size_t>(n, 10) - 1));
    if (!ns) bad = true;
    else if (*ns < 0) range = "fractional second";
    s.remove_prefix(n);
  }
  static bool ZoneOffset(std::string_view& s, const char*& range) {
    if (s.starts_with('Z')) {
      s.remove_prefix(1);
      return true;
    }
    if (s.size() < 6 || s[3] != ':') return false;
    std::string_view hour = s.substr(1, 2), minute = s.substr(4, 2);
    char sign = s[0];
    s.remove_prefix(6);
    int h = 0, m = 0;
    if (!GetNum(hour, true, h) || !GetNum(minute, true, m)) return false;
    if (h > 24) range = "time zone offset hour";
    if (m > 60) range = "time zone offset minute";
    return sign == '+' || sign == '-';
  }
  static int DaysIn(int year, int month) {
    static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return month == 2 && leap ? 29 : kDays[month - 1];
  }
  // Go time's quote: non-ASCII and control bytes as \xNN, '"' and '\' escaped.
  static std::string Quote(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c >= 0x80 || c < ' ') {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
        continue;
      }
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
    }
    return out + "\"";
  }
  std::string Message(const std::string& message) const { return "parsing time " + Quote(value_) + message; }
  std::string Cannot(std::string_view value, std::string_view element) const {
    return "parsing time " + Quote(value_) + " as " + Quote(layout_) + ": cannot parse " + Quote(value) + " as " +
           Quote(element);
  }

  std::string_view layout_, value_;
};

Problems Date(std::string_view s) {
  if (auto error = GoTimeParser("2006-01-02", s).Error()) return {*error};
  return {};
}

// strfmt.ParseDateTime: "" is valid; otherwise the first of strfmt's layouts that parses. They
// are RFC 3339 with 6 or 3 fraction digits, RFC 3339, RFC 3339 with nanoseconds, and
// ISO8601LocalTime (no zone); Go reads a fraction after the seconds of any of them, so RFC 3339
// and ISO8601LocalTime accept everything the others do. The error is that of the last layout.
Problems DateTime(std::string_view s) {
  if (s.empty() || !GoTimeParser("2006-01-02T15:04:05Z07:00", s).Error()) return {};
  if (auto error = GoTimeParser("2006-01-02T15:04:05", s).Error()) return {*error};
  return {};
}

struct NamedFormat {
  std::string_view name;
  Problems (*validate)(std::string_view);
  // Kubernetes' estimate of the format's regular expression, which its cost scales with.
  std::uint64_t max_regex_size;
  bool prefix = false;  // a generateName prefix: masked (MaskTrailingDash) before validating
};

constexpr std::array<NamedFormat, 13> kFormats = {{
    {"dns1123Label", names::Dns1123Label, 30},
    {"dns1123Subdomain", names::Dns1123Subdomain, 60},
    {"dns1035Label", names::Dns1035Label, 30},
    {"qualifiedName", names::QualifiedName, 60},
    {"dns1123LabelPrefix", names::Dns1123Label, 30, true},
    {"dns1123SubdomainPrefix", names::Dns1123Subdomain, 60, true},
    {"dns1035LabelPrefix", names::Dns1035Label, 30, true},
    {"labelValue", names::LabelValue, 40},
    {"uri", Uri, 40},
    {"uuid", Uuid, 36},
    {"byte", Base64, 0},
    {"date", Date, 0},
    {"datetime", DateTime, 0},
}};

class FormatValue final : public OpaqueValue {
 public:
  explicit FormatValue(const NamedFormat& f) : format(f) {}
  std::string_view TypeName() const override { return kFormatType; }
  bool Equals(const OpaqueValue& o) const override {
    return o.TypeName() == kFormatType && &static_cast<const FormatValue&>(o).format == &format;
  }
  std::string DebugString() const override { return "format." + std::string(format.name) + "()"; }
  const NamedFormat& format;
};

Value Make(const NamedFormat& f) { return Value::Opaque(std::make_shared<const FormatValue>(f)); }

// Kubernetes' cost of validate: the string's traversal times a quarter of the regex size, as for
// `matches` (its estimate); at least the traversal for the formats without a regex.
std::uint64_t ValidateCost(const NamedFormat& f, std::size_t size) {
  std::uint64_t traversal = TraversalCost(size + 1);
  return std::max(traversal, traversal * ((f.max_regex_size + 3) / 4));
}

Value Validate(const NamedFormat& f, std::string_view s, CallContext& ctx) {
  if (!ctx.Charge(ValidateCost(f, s.size()))) return CallContext::CostExceeded();
  Problems problems = f.prefix ? f.validate(MaskTrailingDash(s)) : f.validate(s);
  if (problems.empty()) return OptionalNone();
  std::vector<Value> list;
  for (std::string& p : problems) list.push_back(Value::String(std::move(p)));
  return OptionalOf(Value::List(std::move(list)));
}

}  // namespace

void RegisterFormatLibrary(FunctionRegistry& r) {
  for (const NamedFormat& f : kFormats)
    AddOverload(r, "format." + std::string(f.name), false, "() -> kubernetes.NamedFormat",
                [&f](Args, CallContext&) { return Make(f); });
  AddOverload(r, "format.named", false, "(string) -> optional_type(kubernetes.NamedFormat)",
              [](Args a, CallContext& ctx) {
                if (!ctx.Charge(TraversalCost(a[0].text().size()))) return CallContext::CostExceeded();
                for (const NamedFormat& f : kFormats)
                  if (f.name == a[0].text()) return OptionalOf(Make(f));
                return OptionalNone();
              });
  AddOverload(r, "validate", true, "(kubernetes.NamedFormat, string) -> optional_type(list(string))",
              [](Args a, CallContext& ctx) {
                return Validate(static_cast<const FormatValue&>(a[0].opaque()).format, a[1].text(), ctx);
              });
}

}  // namespace kw::cel
