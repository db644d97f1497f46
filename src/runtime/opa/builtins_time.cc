// time.* builtins. Instants are int64 nanoseconds since the epoch (OPA's); time zones are IANA
// names read through cel/time.h (the zone database's one reader), "UTC" or "" for UTC, and
// "Local", which is UTC too: a policy server's answers must not depend on the zone of the
// machine it runs on (containers run in UTC anyway).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "cel/time.h"
#include "runtime/opa/builtins_internal.h"

namespace kw::runtime::opa::internal {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

Result<json::value> TimeNowNs(const BuiltinContext& context, std::span<const json::value> args) {
  KW_TRY(CheckArity("time.now_ns", args, 0));
  return json::value(context.now_ns);
}

bool IsLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`.
std::optional<int> Digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Why time.Parse refused a text, as Go's time.ParseError holds it: either the part of the text
// that does not fit an element of the layout, or a message of Go's own (a field out of range,
// trailing text), which starts with ": ".
struct TimeParseError {
  std::string value_element;
  std::string_view layout_element;
  std::string message;
};

// time.Parse(time.RFC3339, s) followed by UnixNano: "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)".
// Walks the layout's elements as Go does, so that a failure is Go's: the rest of the text that
// is not the element expected, or `: day out of range`, `: extra text: "<rest>"` and the like.
std::optional<TimeParseError> ParseRfc3339Ns(std::string_view s, std::int64_t& ns) {
  std::string_view rest = s;
  auto cannot = [&rest](std::string_view element) {
    return TimeParseError{.value_element = std::string(rest), .layout_element = element};
  };
  auto with_message = [](std::string message) {
    return TimeParseError{.message = std::move(message)};
  };
  auto literal = [&rest](char c) {
    if (rest.empty() || rest[0] != c) return false;
    rest.remove_prefix(1);
    return true;
  };
  // A fixed-width number of `n` digits, as Go's getnum(value, fixed=true) and atoi.
  auto number = [&rest](std::size_t n) -> std::optional<int> {
    auto v = Digits(rest, 0, n);
    if (v) rest.remove_prefix(n);
    return v;
  };
  auto year = number(4);
  if (!year) return cannot("2006");
  if (!literal('-')) return cannot("-");
  auto month = number(2);
  if (!month) return cannot("01");
  if (*month < 1 || *month > 12) return with_message(": month out of range");
  if (!literal('-')) return cannot("-");
  auto day = number(2);
  if (!day) return cannot("02");
  if (!literal('T')) return cannot("T");
  auto hour = number(2);
  if (!hour) return cannot("15");
  if (*hour > 23) return with_message(": hour out of range");
  if (!literal(':')) return cannot(":");
  auto minute = number(2);
  if (!minute) return cannot("04");
  if (*minute > 59) return with_message(": minute out of range");
  if (!literal(':')) return cannot(":");
  auto second = number(2);
  if (!second) return cannot("05");
  if (*second > 59) return with_message(": second out of range");
  // A fractional second the layout does not mention is still accepted; Go reads at most nine
  // digits of it and skips the rest.
  std::int64_t fraction = 0;
  if (rest.size() >= 2 && (rest[0] == '.' || rest[0] == ',') && rest[1] >= '0' &&
      rest[1] <= '9') {
    std::size_t n = 1;
    int digits = 0;
    for (; n < rest.size() && rest[n] >= '0' && rest[n] <= '9'; ++n) {
      if (digits < 9) {
        fraction = fraction * 10 + (rest[n] - '0');
        ++digits;
      }
    }
    for (; digits < 9; ++digits) fraction *= 10;
    rest.remove_prefix(n);
  }
  std::int64_t offset = 0;
  if (!rest.empty() && rest[0] == 'Z') {
    rest.remove_prefix(1);
  } else {
    if (rest.size() < 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':') {
      return cannot("Z07:00");
    }
    auto oh = Digits(rest, 1, 2), om = Digits(rest, 4, 2);
    if (!oh || !om) return cannot("Z07:00");
    if (*oh > 24) return with_message(": time zone offset hour out of range");
    if (*om > 60) return with_message(": time zone offset minute out of range");
    offset = (*oh * 3600 + *om * 60) * (rest[0] == '-' ? -1 : 1);
    rest.remove_prefix(6);
  }
  if (!rest.empty()) return with_message(": extra text: " + internal::GoQuote(rest));
  if (*day < 1 || static_cast<unsigned>(*day) > DaysInMonth(*year, *month)) {
    return with_message(": day out of range");
  }
  std::int64_t seconds = cel::DaysFromCivil(*year, *month, *day) * 86400 + *hour * 3600 +
                         *minute * 60 + *second - offset;
  // UnixNano is only defined for the years 1678 to 2262; OPA would return a wrapped value.
  std::int64_t scaled;
  if (__builtin_mul_overflow(seconds, std::int64_t{1'000'000'000}, &scaled) ||
      __builtin_add_overflow(scaled, fraction, &ns)) {
    return with_message(": time out of the range of nanoseconds since the epoch");
  }
  return std::nullopt;
}

Result<json::value> ParseRfc3339NsBuiltin(const BuiltinContext&,
                                          std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.parse_rfc3339_ns";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(kName, args, 1));
  std::int64_t ns = 0;
  if (auto error = ParseRfc3339Ns(text, ns)) {
    // As Go's ParseError.Error(): `parsing time "v": day out of range` for a message of its
    // own, else the layout and the element the text did not fit.
    std::string message = "parsing time " + internal::GoQuote(text);
    if (error->message.empty()) {
      message += " as \"2006-01-02T15:04:05Z07:00\": cannot parse " +
                 internal::GoQuote(error->value_element) + " as \"" +
                 std::string(error->layout_element) + "\"";
    } else {
      message += error->message;
    }
    return std::unexpected(BuiltinError(kName, message));
  }
  return json::value(ns);
}

// An instant as OPA's tzTime reads a time operand: nanoseconds, or [ns, tz] or
// [ns, tz, layout], with the zone's offset at that instant.
struct ZonedTime {
  std::int64_t ns = 0;
  std::int32_t offset = 0;  // seconds east of UTC
  std::string zone;         // "" for UTC
  std::string layout;       // time.format's, "" when not given
  std::int64_t seconds() const { return ns / kNanosPerSecond - (ns % kNanosPerSecond < 0 ? 1 : 0); }
  std::int32_t nanos() const { return static_cast<std::int32_t>(ns - seconds() * kNanosPerSecond); }
  cel::CivilTime civil() const { return cel::ToCivil(cel::Instant{seconds(), nanos()}, offset); }
};

// Go's layout names that OPA's time.format accepts for its layout element.
std::string_view NamedLayout(std::string_view layout) {
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"ANSIC", "Mon Jan _2 15:04:05 2006"},
      {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
      {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
      {"RFC822", "02 Jan 06 15:04 MST"},
      {"RFC822Z", "02 Jan 06 15:04 -0700"},
      {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
      {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
      {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
      {"RFC3339", "2006-01-02T15:04:05Z07:00"},
      {"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
  };
  for (const auto& [name, value] : kNamed) {
    if (layout == name) return value;
  }
  return layout;
}

Result<std::int64_t> Nanoseconds(std::string_view builtin, const json::value& value,
                                 bool in_array) {
  if (!value.is_number()) {
    return std::unexpected(OperandTypeError(
        builtin, 1, in_array ? "number" : "either number (ns) or [number (ns), string (tz)]", value));
  }
  if (value.is_int64()) return value.get_int64();
  // OPA requires the number to be an exact int64.
  double d = value.to_number<double>();
  if (value.is_uint64() || d != std::trunc(d) ||
      !(d >= -9.2233720368547758e18 && d < 9.2233720368547758e18)) {
    return std::unexpected(BuiltinError(builtin, "timestamp too big"));
  }
  return static_cast<std::int64_t>(d);
}

Result<ZonedTime> ZonedOperand(std::string_view builtin, const json::value& arg) {
  ZonedTime t;
  if (!arg.is_array()) {
    KW_ASSIGN_OR_RETURN(t.ns, Nanoseconds(builtin, arg, false));
    return t;
  }
  const json::array& parts = arg.get_array();
  if (parts.empty()) {
    return std::unexpected(OperandTypeError(
        builtin, 1, "either number (ns) or [number (ns), string (tz)]", arg));
  }
  KW_ASSIGN_OR_RETURN(t.ns, Nanoseconds(builtin, parts[0], true));
  for (std::size_t i = 1; i < parts.size() && i < 3; ++i) {
    if (!parts[i].is_string()) {
      return std::unexpected(OperandTypeError(builtin, 1, "string", parts[i]));
    }
  }
  if (parts.size() > 1) {
    std::string_view tz(parts[1].get_string());
    // Go's LoadLocation refuses names that could leave the zone folder.
    if ((!tz.empty() && tz.front() == '/') || tz.find("..") != std::string_view::npos ||
        tz.find('\\') != std::string_view::npos) {
      return std::unexpected(BuiltinError(builtin, "time: invalid location name"));
    }
    if (tz != "" && tz != "UTC" && tz != "Local") {
      // cel/time.h also reads fixed offsets ("+02:00"); Go's LoadLocation does not.
      auto offset = tz.find(':') == std::string_view::npos
                        ? cel::ZoneOffset(tz, t.seconds())
                        : std::unexpected("unknown time zone " + std::string(tz));
      if (!offset) return std::unexpected(BuiltinError(builtin, offset.error()));
      t.offset = *offset;
      t.zone = std::string(tz);
    }
  }
  if (parts.size() > 2) t.layout = std::string(NamedLayout(std::string_view(parts[2].get_string())));
  return t;
}

Result<json::value> Date(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.date";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(ZonedTime t, ZonedOperand(kName, args[0]));
  cel::CivilTime c = t.civil();
  return json::value(json::array{c.year, c.month, c.day});
}

Result<json::value> Clock(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.clock";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(ZonedTime t, ZonedOperand(kName, args[0]));
  cel::CivilTime c = t.civil();
  return json::value(json::array{c.hour, c.minute, c.second});
}

constexpr std::array<std::string_view, 7> kWeekdays = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

Result<json::value> Weekday(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.weekday";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(ZonedTime t, ZonedOperand(kName, args[0]));
  return json::value(json::string(kWeekdays[t.civil().day_of_week]));
}

// Go's time.Date normalisation of a month and day out of range, as AddDate relies on.
std::int64_t NormalisedDays(std::int64_t year, std::int64_t month, std::int64_t day) {
  std::int64_t m0 = month - 1;
  year += m0 / 12 - (m0 % 12 < 0 ? 1 : 0);
  m0 = ((m0 % 12) + 12) % 12;
  return cel::DaysFromCivil(year, static_cast<int>(m0 + 1), 1) + day - 1;
}

// UnixNano's range: about the years 1678 to 2262.
Result<std::int64_t> ToNanos(std::string_view builtin, std::int64_t seconds, std::int32_t nanos) {
  std::int64_t scaled, ns;
  if (__builtin_mul_overflow(seconds, kNanosPerSecond, &scaled) ||
      __builtin_add_overflow(scaled, nanos, &ns)) {
    return std::unexpected(BuiltinError(builtin, "time outside of valid range"));
  }
  return ns;
}

// Years, months and days added as Go's Time.AddDate in UTC (OPA's): out-of-range dates roll
// over ("2021-01-31" plus a month is "2021-03-03").
Result<json::value> AddDate(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.add_date";
  KW_TRY(CheckArity(kName, args, 4));
  KW_ASSIGN_OR_RETURN(std::int64_t ns, IntOperand(kName, args, 1));
  std::array<std::int64_t, 3> delta{};
  for (std::size_t n = 2; n <= 4; ++n) {
    KW_ASSIGN_OR_RETURN(delta[n - 2], IntOperand(kName, args, n));
    // Beyond this no result fits in int64 nanoseconds anyway.
    if (delta[n - 2] > 10'000'000 || delta[n - 2] < -10'000'000) {
      return std::unexpected(BuiltinError(kName, "time outside of valid range"));
    }
  }
  ZonedTime t{.ns = ns};
  cel::CivilTime c = t.civil();
  std::int64_t days = NormalisedDays(c.year + delta[0], c.month + delta[1], c.day + delta[2]);
  std::int64_t seconds = days * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
  KW_ASSIGN_OR_RETURN(std::int64_t out, ToNanos(kName, seconds, c.nanos));
  return json::value(out);
}

// time.diff: calendar differences [years, months, days, hours, minutes, seconds] between two
// instants, both seen in the first one's zone, as OPA computes them.
Result<json::value> Diff(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.diff";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(ZonedTime a, ZonedOperand(kName, args[0]));
  KW_ASSIGN_OR_RETURN(ZonedTime b, ZonedOperand(kName, args[1]));
  if (b.zone != a.zone) {
    b.zone = a.zone;
    b.offset = a.zone.empty() ? 0 : cel::ZoneOffset(a.zone, b.seconds()).value_or(0);
  }
  if (a.ns > b.ns) std::swap(a, b);
  cel::CivilTime c1 = a.civil(), c2 = b.civil();
  std::int64_t year = c2.year - c1.year, month = c2.month - c1.month, day = c2.day - c1.day,
               hour = c2.hour - c1.hour, minute = c2.minute - c1.minute,
               second = c2.second - c1.second;
  if (second < 0) second += 60, --minute;
  if (minute < 0) minute += 60, --hour;
  if (hour < 0) hour += 24, --day;
  if (day < 0) {
    // The days of the first instant's month: Go's time.Date(y, m, 32) rolls into the next.
    std::int64_t first = cel::DaysFromCivil(c1.year, c1.month, 1);
    std::int64_t length = NormalisedDays(c1.year, c1.month + 1, 1) - first;
    day += length;
    --month;
  }
  if (month < 0) month += 12, --year;
  return json::value(json::array{year, month, day, hour, minute, second});
}

Result<json::value> ParseDurationNs(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.parse_duration_ns";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(kName, args, 1));
  auto ns = cel::ParseDuration(text);
  if (!ns) return std::unexpected(BuiltinError(kName, "time: invalid duration " + GoQuote(text)));
  return json::value(*ns);
}

// --- Go's layout-driven formatting (time.Time.Format) ---

void AppendNumber(std::string& out, std::int64_t v, int width, char pad = '0') {
  std::string digits = std::to_string(v < 0 ? -v : v);
  if (v < 0) out.push_back('-');
  for (int i = static_cast<int>(digits.size()); i < width; ++i) out.push_back(pad);
  out += digits;
}

// A zone offset as "-0700", "-07:00", "-07", "-070000" or "-07:00:00"; `iso` writes "Z" for
// UTC.
void AppendOffset(std::string& out, std::int32_t offset, bool iso, bool colon, bool seconds,
                  bool hours_only) {
  if (iso && offset == 0) {
    out.push_back('Z');
    return;
  }
  out.push_back(offset < 0 ? '-' : '+');
  std::int32_t magnitude = offset < 0 ? -offset : offset;
  AppendNumber(out, magnitude / 3600, 2);
  if (hours_only) return;
  if (colon) out.push_back(':');
  AppendNumber(out, magnitude / 60 % 60, 2);
  if (seconds) {
    if (colon) out.push_back(':');
    AppendNumber(out, magnitude % 60, 2);
  }
}

// Formats `t` by Go's reference layout "Mon Jan 2 15:04:05 MST 2006". Zone abbreviations are
// not in cel/time.h: "MST" prints "UTC" for UTC and the numeric offset otherwise, as Go does
// for a zone without an abbreviation.
std::string Format(const ZonedTime& t, std::string_view layout) {
  cel::CivilTime c = t.civil();
  std::string out;
  auto take = [&layout](std::string_view element) {
    if (!layout.starts_with(element)) return false;
    layout.remove_prefix(element.size());
    return true;
  };
  while (!layout.empty()) {
    if (take("January")) {
      out += kMonths[c.month - 1];
    } else if (take("Jan")) {
      out += kMonths[c.month - 1].substr(0, 3);
    } else if (take("Monday")) {
      out += kWeekdays[c.day_of_week];
    } else if (take("Mon")) {
      out += kWeekdays[c.day_of_week].substr(0, 3);
    } else if (take("MST")) {
      if (t.offset == 0) out += "UTC";
      else AppendOffset(out, t.offset, false, false, false, false);
    } else if (take("2006")) {
      AppendNumber(out, c.year, 4);
    } else if (take("002")) {
      AppendNumber(out, c.day_of_year + 1, 3);
    } else if (take("01")) {
      AppendNumber(out, c.month, 2);
    } else if (take("02")) {
      AppendNumber(out, c.day, 2);
    } else if (take("03")) {
      AppendNumber(out, c.hour % 12 == 0 ? 12 : c.hour % 12, 2);
    } else if (take("04")) {
      AppendNumber(out, c.minute, 2);
    } else if (take("05")) {
      AppendNumber(out, c.second, 2);
    } else if (take("06")) {
      AppendNumber(out, ((c.year % 100) + 100) % 100, 2);
    } else if (take("15")) {
      AppendNumber(out, c.hour, 2);
    } else if (take("__2")) {
      AppendNumber(out, c.day_of_year + 1, 3, ' ');
    } else if (take("_2")) {
      AppendNumber(out, c.day, 2, ' ');
    } else if (take("1")) {
      AppendNumber(out, c.month, 0);
    } else if (take("2")) {
      AppendNumber(out, c.day, 0);
    } else if (take("3")) {
      AppendNumber(out, c.hour % 12 == 0 ? 12 : c.hour % 12, 0);
    } else if (take("4")) {
      AppendNumber(out, c.minute, 0);
    } else if (take("5")) {
      AppendNumber(out, c.second, 0);
    } else if (take("PM")) {
      out += c.hour >= 12 ? "PM" : "AM";
    } else if (take("pm")) {
      out += c.hour >= 12 ? "pm" : "am";
    } else if (layout.starts_with("Z07:00:00") || layout.starts_with("-07:00:00")) {
      AppendOffset(out, t.offset, layout[0] == 'Z', true, true, false);
      layout.remove_prefix(9);
    } else if (layout.starts_with("Z070000") || layout.starts_with("-070000")) {
      AppendOffset(out, t.offset, layout[0] == 'Z', false, true, false);
      layout.remove_prefix(7);
    } else if (layout.starts_with("Z07:00") || layout.starts_with("-07:00")) {
      AppendOffset(out, t.offset, layout[0] == 'Z', true, false, false);
      layout.remove_prefix(6);
    } else if (layout.starts_with("Z0700") || layout.starts_with("-0700")) {
      AppendOffset(out, t.offset, layout[0] == 'Z', false, false, false);
      layout.remove_prefix(5);
    } else if (layout.starts_with("Z07") || layout.starts_with("-07")) {
      AppendOffset(out, t.offset, layout[0] == 'Z', false, false, true);
      layout.remove_prefix(3);
    } else if ((layout[0] == '.' || layout[0] == ',') && layout.size() > 1 &&
               (layout[1] == '0' || layout[1] == '9')) {
      // A fraction of a second: ".000" fixed width, ".999" without trailing zeros.
      char digit = layout[1];
      std::size_t n = 1;
      while (n < layout.size() && layout[n] == digit) ++n;
      if (n < layout.size() && layout[n] >= '0' && layout[n] <= '9') {
        out.push_back(layout[0]);  // not a fraction: a literal followed by digits
        layout.remove_prefix(1);
        continue;
      }
      std::size_t width = std::min<std::size_t>(n - 1, 9);
      char buf[16];
      std::snprintf(buf, sizeof buf, "%09d", static_cast<int>(c.nanos));
      std::string fraction(buf, width);
      if (digit == '9') {
        while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
      }
      if (!fraction.empty()) {
        out.push_back(layout[0]);
        out += fraction;
      }
      layout.remove_prefix(n);
    } else {
      out.push_back(layout[0]);
      layout.remove_prefix(1);
    }
  }
  return out;
}

// Bounds time.format's output: every layout byte may expand to a month name.
constexpr std::size_t kMaxLayoutBytes = 64 * 1024;

Result<json::value> FormatBuiltin(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.format";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(ZonedTime t, ZonedOperand(kName, args[0]));
  std::string_view layout = t.layout;
  if (layout.empty()) layout = "2006-01-02T15:04:05.999999999Z07:00";
  if (layout.size() > kMaxLayoutBytes) return std::unexpected(BuiltinError(kName, "layout too long"));
  return json::value(json::string(Format(t, layout)));
}

constexpr BuiltinEntry kBuiltins[] = {
    {"date", Date},
    {"parse_rfc3339_ns", ParseRfc3339NsBuiltin},
    {"time.add_date", AddDate},
    {"time.clock", Clock},
    {"time.date", Date},
    {"time.diff", Diff},
    {"time.format", FormatBuiltin},
    {"time.now_ns", TimeNowNs},
    {"time.parse_duration_ns", ParseDurationNs},
    {"time.parse_rfc3339_ns", ParseRfc3339NsBuiltin},
    {"time.weekday", Weekday},
};

}  // namespace

std::span<const BuiltinEntry> TimeBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
