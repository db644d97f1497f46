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

#include "base/strings.h"
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

// As Go's ParseError.Error(): `parsing time "v": day out of range` for a message of its own,
// else the layout and the element the text did not fit.
std::string ParseErrorText(std::string_view value, std::string_view layout,
                           const TimeParseError& error) {
  std::string message = "parsing time " + GoQuote(value);
  if (!error.message.empty()) return message + error.message;
  return message + " as " + GoQuote(layout) + ": cannot parse " + GoQuote(error.value_element) +
         " as " + GoQuote(error.layout_element);
}

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
    return std::unexpected(
        BuiltinError(kName, ParseErrorText(text, "2006-01-02T15:04:05Z07:00", *error)));
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

// --- Go's layouts: the reference time "Mon Jan 2 15:04:05 MST 2006" spelled as wanted ---

enum class Element {
  kNone, kLongMonth, kMonth, kNumMonth, kZeroMonth, kLongWeekDay, kWeekDay, kDay, kUnderDay,
  kZeroDay, kUnderYearDay, kZeroYearDay, kHour, kHour12, kZeroHour12, kMinute, kZeroMinute,
  kSecond, kZeroSecond, kLongYear, kYear, kPM, kpm, kTZ, kISO8601TZ, kISO8601SecondsTZ,
  kISO8601ShortTZ, kISO8601ColonTZ, kISO8601ColonSecondsTZ, kNumTZ, kNumSecondsTz, kNumShortTZ,
  kNumColonTZ, kNumColonSecondsTZ, kFracSecond0, kFracSecond9,
};

// One step of a layout: literal text, then the element after it (kNone at the end).
struct Chunk {
  std::string_view literal;
  Element element = Element::kNone;
  std::string_view text;  // the element as spelled in the layout
};

// Go's nextStdChunk: the element names, longest first where one is a prefix of another.
Chunk NextChunk(std::string_view& layout) {
  static constexpr std::pair<std::string_view, Element> kNames[] = {
      {"January", Element::kLongMonth}, {"Jan", Element::kMonth},
      {"Monday", Element::kLongWeekDay}, {"Mon", Element::kWeekDay},
      {"MST", Element::kTZ}, {"2006", Element::kLongYear}, {"002", Element::kZeroYearDay},
      {"01", Element::kZeroMonth}, {"02", Element::kZeroDay}, {"03", Element::kZeroHour12},
      {"04", Element::kZeroMinute}, {"05", Element::kZeroSecond}, {"06", Element::kYear},
      {"15", Element::kHour}, {"__2", Element::kUnderYearDay}, {"_2", Element::kUnderDay},
      {"1", Element::kNumMonth}, {"2", Element::kDay}, {"3", Element::kHour12},
      {"4", Element::kMinute}, {"5", Element::kSecond}, {"PM", Element::kPM},
      {"pm", Element::kpm}, {"Z07:00:00", Element::kISO8601ColonSecondsTZ},
      {"-07:00:00", Element::kNumColonSecondsTZ}, {"Z070000", Element::kISO8601SecondsTZ},
      {"-070000", Element::kNumSecondsTz}, {"Z07:00", Element::kISO8601ColonTZ},
      {"-07:00", Element::kNumColonTZ}, {"Z0700", Element::kISO8601TZ},
      {"-0700", Element::kNumTZ}, {"Z07", Element::kISO8601ShortTZ}, {"-07", Element::kNumShortTZ},
  };
  for (std::size_t i = 0; i < layout.size(); ++i) {
    std::string_view rest = layout.substr(i);
    // "Mon" and "Jan" are words: Go does not read them inside a longer lower-case word.
    for (const auto& [name, element] : kNames) {
      if (!rest.starts_with(name)) continue;
      bool word = element == Element::kMonth || element == Element::kWeekDay ||
                  element == Element::kLongMonth || element == Element::kLongWeekDay;
      if (word && rest.size() > name.size() && rest[name.size()] >= 'a' && rest[name.size()] <= 'z' &&
          name.size() == 3) {
        continue;
      }
      Chunk chunk{layout.substr(0, i), element, rest.substr(0, name.size())};
      layout = rest.substr(name.size());
      return chunk;
    }
    // A fraction of a second: ".000" fixed width, ".999" without trailing zeros.
    if ((rest[0] == '.' || rest[0] == ',') && rest.size() > 1 && (rest[1] == '0' || rest[1] == '9')) {
      std::size_t n = 1;
      while (n < rest.size() && rest[n] == rest[1]) ++n;
      if (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') continue;
      Chunk chunk{layout.substr(0, i), rest[1] == '0' ? Element::kFracSecond0 : Element::kFracSecond9,
                  rest.substr(0, n)};
      layout = rest.substr(n);
      return chunk;
    }
  }
  Chunk chunk{layout, Element::kNone, {}};
  layout = {};
  return chunk;
}

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

// Formats `t` as time.Time.Format. Zone abbreviations are not in cel/time.h: "MST" prints
// "UTC" for UTC and the numeric offset otherwise, as Go does for a zone without one.
std::string Format(const ZonedTime& t, std::string_view layout) {
  cel::CivilTime c = t.civil();
  std::string out;
  int hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
  while (!layout.empty()) {
    Chunk chunk = NextChunk(layout);
    out += chunk.literal;
    switch (chunk.element) {
      case Element::kNone: break;
      case Element::kLongMonth: out += kMonths[c.month - 1]; break;
      case Element::kMonth: out += kMonths[c.month - 1].substr(0, 3); break;
      case Element::kNumMonth: AppendNumber(out, c.month, 0); break;
      case Element::kZeroMonth: AppendNumber(out, c.month, 2); break;
      case Element::kLongWeekDay: out += kWeekdays[c.day_of_week]; break;
      case Element::kWeekDay: out += kWeekdays[c.day_of_week].substr(0, 3); break;
      case Element::kDay: AppendNumber(out, c.day, 0); break;
      case Element::kUnderDay: AppendNumber(out, c.day, 2, ' '); break;
      case Element::kZeroDay: AppendNumber(out, c.day, 2); break;
      case Element::kUnderYearDay: AppendNumber(out, c.day_of_year + 1, 3, ' '); break;
      case Element::kZeroYearDay: AppendNumber(out, c.day_of_year + 1, 3); break;
      case Element::kHour: AppendNumber(out, c.hour, 2); break;
      case Element::kHour12: AppendNumber(out, hour12, 0); break;
      case Element::kZeroHour12: AppendNumber(out, hour12, 2); break;
      case Element::kMinute: AppendNumber(out, c.minute, 0); break;
      case Element::kZeroMinute: AppendNumber(out, c.minute, 2); break;
      case Element::kSecond: AppendNumber(out, c.second, 0); break;
      case Element::kZeroSecond: AppendNumber(out, c.second, 2); break;
      case Element::kLongYear: AppendNumber(out, c.year, 4); break;
      case Element::kYear: AppendNumber(out, ((c.year % 100) + 100) % 100, 2); break;
      case Element::kPM: out += c.hour >= 12 ? "PM" : "AM"; break;
      case Element::kpm: out += c.hour >= 12 ? "pm" : "am"; break;
      case Element::kTZ:
        if (t.offset == 0) out += "UTC";
        else AppendOffset(out, t.offset, false, false, false, false);
        break;
      case Element::kISO8601TZ: AppendOffset(out, t.offset, true, false, false, false); break;
      case Element::kISO8601SecondsTZ: AppendOffset(out, t.offset, true, false, true, false); break;
      case Element::kISO8601ShortTZ: AppendOffset(out, t.offset, true, false, false, true); break;
      case Element::kISO8601ColonTZ: AppendOffset(out, t.offset, true, true, false, false); break;
      case Element::kISO8601ColonSecondsTZ: AppendOffset(out, t.offset, true, true, true, false); break;
      case Element::kNumTZ: AppendOffset(out, t.offset, false, false, false, false); break;
      case Element::kNumSecondsTz: AppendOffset(out, t.offset, false, false, true, false); break;
      case Element::kNumShortTZ: AppendOffset(out, t.offset, false, false, false, true); break;
      case Element::kNumColonTZ: AppendOffset(out, t.offset, false, true, false, false); break;
      case Element::kNumColonSecondsTZ: AppendOffset(out, t.offset, false, true, true, false); break;
      case Element::kFracSecond0:
      case Element::kFracSecond9: {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%09d", static_cast<int>(c.nanos));
        std::string fraction(buf, std::min<std::size_t>(chunk.text.size() - 1, 9));
        if (chunk.element == Element::kFracSecond9) {
          while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
          if (fraction.empty()) break;
        }
        out.push_back(chunk.text[0]);
        out += fraction;
        break;
      }
    }
  }
  return out;
}

// Go's getnum: one or two digits (exactly two when `fixed`).
std::optional<int> GetNum(std::string_view& value, bool fixed, std::size_t max_digits = 2) {
  std::size_t n = 0;
  int v = 0;
  while (n < value.size() && n < max_digits && value[n] >= '0' && value[n] <= '9') v = v * 10 + (value[n++] - '0');
  if (n == 0 || (fixed && n != max_digits)) return std::nullopt;
  value.remove_prefix(n);
  return v;
}

// Go's lookup: a name at the start of `value`, compared ignoring ASCII case.
template <std::size_t N>
std::optional<int> LookupName(std::string_view& value, const std::array<std::string_view, N>& names,
                              std::size_t length) {
  for (std::size_t i = 0; i < N; ++i) {
    std::string_view name = length == 0 ? names[i] : names[i].substr(0, length);
    if (value.size() >= name.size() && EqualsIgnoreCase(value.substr(0, name.size()), name)) {
      value.remove_prefix(name.size());
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

// Go's parseNanoseconds over value[0, n): a separator then digits, at most nine counted.
std::optional<std::int32_t> Nanos(std::string_view digits) {
  std::int32_t ns = 0;
  int count = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    if (count < 9) ns = ns * 10 + (c - '0'), ++count;
  }
  for (; count < 9; ++count) ns *= 10;
  return ns;
}

// time.Parse(layout, value) then UnixNano, walking the layout's elements as Go does so that a
// failure reads as Go's. Zone names ("MST") other than UTC count as UTC, as Go does for an
// abbreviation its local zone (UTC here) does not know; "GMT+3" style names keep their hours.
std::optional<TimeParseError> ParseLayout(std::string_view layout, std::string_view value,
                                          std::int64_t& ns) {
  std::int64_t year = 0;
  int month = -1, day = -1, yday = -1, hour = 0, minute = 0, second = 0;
  std::int32_t nanos = 0, offset = 0;
  bool pm = false, am = false;
  auto bad = [](std::string_view value_element, std::string_view layout_element) {
    return TimeParseError{.value_element = std::string(value_element), .layout_element = layout_element};
  };
  auto range = [](std::string_view what) {
    return TimeParseError{.message = ": " + std::string(what) + " out of range"};
  };
  while (true) {
    Chunk chunk = NextChunk(layout);
    // The literal: a space in the layout matches any run of spaces.
    for (std::string_view prefix = chunk.literal; !prefix.empty();) {
      if (prefix[0] == ' ') {
        if (!value.empty() && value[0] != ' ') return bad(value, chunk.literal);
        while (!prefix.empty() && prefix[0] == ' ') prefix.remove_prefix(1);
        while (!value.empty() && value[0] == ' ') value.remove_prefix(1);
        continue;
      }
      if (value.empty() || value[0] != prefix[0]) return bad(value, chunk.literal);
      prefix.remove_prefix(1);
      value.remove_prefix(1);
    }
    if (chunk.element == Element::kNone) break;
    std::string_view hold = value;
    std::optional<TimeParseError> range_error;
    bool ok = true;
    switch (chunk.element) {
      case Element::kNone: break;
      case Element::kYear: {
        auto v = GetNum(value, true);
        ok = v.has_value();
        if (ok) year = *v + (*v >= 69 ? 1900 : 2000);
        break;
      }
      case Element::kLongYear: {
        auto v = GetNum(value, true, 4);
        ok = v.has_value();
        if (ok) year = *v;
        break;
      }
      case Element::kMonth:
      case Element::kLongMonth: {
        auto v = LookupName(value, kMonths, chunk.element == Element::kMonth ? 3 : 0);
        ok = v.has_value();
        if (ok) month = *v + 1;
        break;
      }
      case Element::kWeekDay:
      case Element::kLongWeekDay:
        ok = LookupName(value, kWeekdays, chunk.element == Element::kWeekDay ? 3 : 0).has_value();
        break;
      case Element::kNumMonth:
      case Element::kZeroMonth: {
        auto v = GetNum(value, chunk.element == Element::kZeroMonth);
        ok = v.has_value();
        if (ok) month = *v;
        if (ok && (month < 1 || month > 12)) range_error = range("month");
        break;
      }
      case Element::kDay:
      case Element::kUnderDay:
      case Element::kZeroDay: {
        if (chunk.element == Element::kUnderDay && !value.empty() && value[0] == ' ') value.remove_prefix(1);
        auto v = GetNum(value, chunk.element == Element::kZeroDay);
        ok = v.has_value();
        if (ok) day = *v;
        break;
      }
      case Element::kUnderYearDay:
      case Element::kZeroYearDay: {
        for (int i = 0; i < 2 && chunk.element == Element::kUnderYearDay; ++i) {
          if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
        }
        auto v = GetNum(value, chunk.element == Element::kZeroYearDay, 3);
        ok = v.has_value();
        if (ok) yday = *v;
        if (ok && (yday < 1 || yday > 366)) range_error = range("day-of-year");
        break;
      }
      case Element::kHour: {
        auto v = GetNum(value, false);
        ok = v.has_value();
        if (ok) hour = *v;
        if (ok && hour >= 24) range_error = range("hour");
        break;
      }
      case Element::kHour12:
      case Element::kZeroHour12: {
        auto v = GetNum(value, chunk.element == Element::kZeroHour12);
        ok = v.has_value();
        if (ok) hour = *v;
        if (ok && hour > 12) range_error = range("hour");
        break;
      }
      case Element::kMinute:
      case Element::kZeroMinute: {
        auto v = GetNum(value, chunk.element == Element::kZeroMinute);
        ok = v.has_value();
        if (ok) minute = *v;
        if (ok && minute >= 60) range_error = range("minute");
        break;
      }
      case Element::kSecond:
      case Element::kZeroSecond: {
        auto v = GetNum(value, chunk.element == Element::kZeroSecond);
        ok = v.has_value();
        if (!ok) break;
        second = *v;
        if (second >= 60) {
          range_error = range("second");
          break;
        }
        // A fraction the layout does not spell is still read, unless a fraction element
        // follows.
        if (value.size() >= 2 && (value[0] == '.' || value[0] == ',') && value[1] >= '0' &&
            value[1] <= '9') {
          std::string_view peek = layout;
          Element next = NextChunk(peek).element;
          if (next == Element::kFracSecond0 || next == Element::kFracSecond9) break;
          std::size_t n = 1;
          while (n < value.size() && value[n] >= '0' && value[n] <= '9') ++n;
          nanos = *Nanos(value.substr(1, n - 1));
          value.remove_prefix(n);
        }
        break;
      }
      case Element::kPM:
      case Element::kpm: {
        bool upper = chunk.element == Element::kPM;
        std::string_view p = value.substr(0, 2);
        if (p == (upper ? "PM" : "pm")) pm = true;
        else if (p == (upper ? "AM" : "am")) am = true;
        else ok = false;
        if (ok) value.remove_prefix(2);
        break;
      }
      case Element::kTZ: {
        if (value.starts_with("UTC")) {
          value.remove_prefix(3);
          break;
        }
        // Go's parseTimeZone: three to five upper-case letters (a trailing T for four),
        // or GMT with an hour offset.
        std::size_t n = 0;
        while (n < value.size() && value[n] >= 'A' && value[n] <= 'Z') ++n;
        if (value.starts_with("GMT")) {
          n = 3;
          std::string_view rest = value.substr(3);
          if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
            std::size_t m = 1;
            int h = 0;
            while (m < rest.size() && m < 3 && rest[m] >= '0' && rest[m] <= '9') h = h * 10 + (rest[m++] - '0');
            if (m > 1 && h <= 23) {
              offset = (rest[0] == '-' ? -h : h) * 3600;
              n += m;
            }
          }
        } else if (n < 3 || n > 5 || (n == 4 && value[3] != 'T' && value.substr(0, 4) != "ChST" &&
                                      value.substr(0, 4) != "MeST")) {
          ok = false;
          break;
        }
        value.remove_prefix(n);
        break;
      }
      case Element::kISO8601TZ:
      case Element::kISO8601SecondsTZ:
      case Element::kISO8601ShortTZ:
      case Element::kISO8601ColonTZ:
      case Element::kISO8601ColonSecondsTZ:
      case Element::kNumTZ:
      case Element::kNumSecondsTz:
      case Element::kNumShortTZ:
      case Element::kNumColonTZ:
      case Element::kNumColonSecondsTZ: {
        bool iso = chunk.text[0] == 'Z';
        if (iso && !value.empty() && value[0] == 'Z') {
          value.remove_prefix(1);
          offset = 0;
          break;
        }
        bool colon = chunk.text.find(':') != std::string_view::npos;
        std::size_t digits = chunk.text.size() - 1 - (colon ? std::count(chunk.text.begin(), chunk.text.end(), ':') : 0);
        std::size_t length = 1 + digits + (colon ? digits / 2 - 1 : 0);
        if (value.size() < length) {
          ok = false;
          break;
        }
        std::string_view field = value.substr(1, length - 1);
        std::string plain;
        for (std::size_t i = 0; i < field.size(); ++i) {
          if (colon && i % 3 == 2) {
            if (field[i] != ':') ok = false;
            continue;
          }
          plain.push_back(field[i]);
        }
        std::array<int, 3> parts{};
        for (std::size_t i = 0; ok && i * 2 < plain.size(); ++i) {
          std::string_view two = std::string_view(plain).substr(i * 2, 2);
          auto v = GetNum(two, true);
          if (!v) ok = false;
          else parts[i] = *v;
        }
        if (!ok || (value[0] != '+' && value[0] != '-')) {
          ok = false;
          break;
        }
        if (parts[0] > 24) range_error = range("time zone offset hour");
        if (parts[1] > 60) range_error = range("time zone offset minute");
        if (parts[2] > 60) range_error = range("time zone offset second");
        offset = (parts[0] * 3600 + parts[1] * 60 + parts[2]) * (value[0] == '-' ? -1 : 1);
        value.remove_prefix(length);
        break;
      }
      case Element::kFracSecond0: {
        std::size_t n = chunk.text.size();
        if (value.size() < n || (value[0] != '.' && value[0] != ',')) {
          ok = false;
          break;
        }
        auto v = Nanos(value.substr(1, n - 1));
        ok = v.has_value();
        if (ok) nanos = *v, value.remove_prefix(n);
        break;
      }
      case Element::kFracSecond9: {
        if (value.size() < 2 || (value[0] != '.' && value[0] != ',') || value[1] < '0' || value[1] > '9') break;
        std::size_t n = 1;
        while (n < value.size() && value[n] >= '0' && value[n] <= '9') ++n;
        nanos = *Nanos(value.substr(1, n - 1));
        value.remove_prefix(n);
        break;
      }
    }
    if (range_error) return range_error;
    if (!ok) return bad(hold, chunk.text);
  }
  if (!value.empty()) return TimeParseError{.message = ": extra text: " + GoQuote(value)};
  if (pm && hour < 12) hour += 12;
  if (am && hour == 12) hour = 0;
  if (yday >= 0) {
    // The day of the year fixes the month and day (which must agree if given).
    bool leap = cel::DaysFromCivil(year, 3, 1) - cel::DaysFromCivil(year, 2, 1) == 29;
    if (yday > (leap ? 366 : 365)) return range("day-of-year");
    std::int64_t days = cel::DaysFromCivil(year, 1, 1) + yday - 1;
    cel::CivilTime c = cel::ToCivil(cel::Instant{days * 86400, 0}, 0);
    if ((month >= 0 && month != c.month) || (day >= 0 && day != c.day)) return range("day-of-year");
    month = c.month;
    day = c.day;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  std::int64_t days_in_month = NormalisedDays(year, month + 1, 1) - cel::DaysFromCivil(year, month, 1);
  if (day < 1 || day > days_in_month) return range("day");
  std::int64_t seconds = cel::DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                         second - offset;
  std::int64_t scaled;
  if (__builtin_mul_overflow(seconds, kNanosPerSecond, &scaled) ||
      __builtin_add_overflow(scaled, nanos, &ns)) {
    return TimeParseError{.message = ": time out of the range of nanoseconds since the epoch"};
  }
  return std::nullopt;
}

Result<json::value> ParseNs(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "time.parse_ns";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view layout, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view value, StringOperand(kName, args, 2));
  std::int64_t ns = 0;
  if (auto error = ParseLayout(layout, value, ns)) {
    return std::unexpected(BuiltinError(kName, ParseErrorText(value, layout, *error)));
  }
  return json::value(ns);
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
    {"time.parse_ns", ParseNs},
    {"time.parse_rfc3339_ns", ParseRfc3339NsBuiltin},
    {"time.weekday", Weekday},
};

}  // namespace

std::span<const BuiltinEntry> TimeBuiltins() { return kBuiltins; }

bool IsRfc3339Time(std::string_view text) {
  std::int64_t ns = 0;
  return !ParseRfc3339Ns(text, ns).has_value();
}

}  // namespace kw::runtime::opa::internal
