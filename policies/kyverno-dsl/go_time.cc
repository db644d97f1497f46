#include "go_time.h"

#include <time.h>

#include <array>
#include <optional>

namespace kyverno {
namespace {

constexpr std::int64_t kNanosPerSecond = 1000000000;
// Seconds from Go's zero time (January 1, year 1 UTC) to the Unix epoch.
constexpr std::int64_t kZeroToUnix = 62135596800;

enum class Std {
  kNone, kLongMonth, kMonth, kNumMonth, kZeroMonth, kLongWeekDay, kWeekDay, kDay, kUnderDay, kZeroDay,
  kHour, kHour12, kZeroHour12, kMinute, kZeroMinute, kSecond, kZeroSecond, kLongYear, kYear, kPM, kpm,
  kTZ, kISO8601TZ, kNumTZ, kFracSecond0, kFracSecond9,
};

struct Chunk {
  Std std = Std::kNone;
  std::size_t length = 0;
  // Zones: digits of the offset written (2, 4 or 6) and whether parts are colon-separated.
  int zone_digits = 0;
  bool zone_colons = false;
};

bool IsDigit(std::string_view s, std::size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }
// The end of the run of digits starting at `from`.
std::size_t DigitsEnd(std::string_view s, std::size_t from) {
  while (IsDigit(s, from)) ++from;
  return from;
}

// The reference-time element starting at layout[i], as Go's nextStdChunk recognises it.
Chunk StdAt(std::string_view layout, std::size_t i) {
  std::string_view rest = layout.substr(i);
  auto is = [&](std::string_view token) { return rest.starts_with(token); };
  switch (layout[i]) {
    case 'J':
      if (is("January")) return {Std::kLongMonth, 7};
      if (is("Jan")) return {Std::kMonth, 3};
      break;
    case 'M':
      if (is("Monday")) return {Std::kLongWeekDay, 6};
      if (is("Mon")) return {Std::kWeekDay, 3};
      if (is("MST")) return {Std::kTZ, 3};
      break;
    case '0':
      if (rest.size() >= 2 && rest[1] >= '1' && rest[1] <= '6') {
        constexpr Std kZero[] = {Std::kZeroMonth, Std::kZeroDay, Std::kZeroHour12, Std::kZeroMinute, Std::kZeroSecond, Std::kYear};
        return {kZero[rest[1] - '1'], 2};
      }
      break;
    case '1':
      if (is("15")) return {Std::kHour, 2};
      return {Std::kNumMonth, 1};
    case '2':
      if (is("2006")) return {Std::kLongYear, 4};
      return {Std::kDay, 1};
    case '_':
      if (is("_2") && !is("_2006")) return {Std::kUnderDay, 2};
      break;
    case '3': return {Std::kHour12, 1};
    case '4': return {Std::kMinute, 1};
    case '5': return {Std::kSecond, 1};
    case 'P':
      if (is("PM")) return {Std::kPM, 2};
      break;
    case 'p':
      if (is("pm")) return {Std::kpm, 2};
      break;
    case '-':
    case 'Z': {
      Std kind = layout[i] == 'Z' ? Std::kISO8601TZ : Std::kNumTZ;
      std::string_view body = rest.substr(1);
      if (body.starts_with("070000")) return {kind, 7, 6, false};
      if (body.starts_with("07:00:00")) return {kind, 9, 6, true};
      if (body.starts_with("0700")) return {kind, 5, 4, false};
      if (body.starts_with("07:00")) return {kind, 6, 4, true};
      if (body.starts_with("07")) return {kind, 3, 2, false};
      break;
    }
    case '.':
    case ',':
      if (rest.size() >= 2 && (rest[1] == '0' || rest[1] == '9')) {
        std::size_t j = 1;
        while (j < rest.size() && rest[j] == rest[1]) ++j;
        if (!IsDigit(rest, j)) return {rest[1] == '0' ? Std::kFracSecond0 : Std::kFracSecond9, j};
      }
      break;
    default: break;
  }
  return {};
}

}  // namespace

std::string GoTimeQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c < ' ' || c >= 0x80) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<char>(c);
  }
  return out + "\"";
}

namespace {

std::string Quote(std::string_view s) { return GoTimeQuote(s); }

// Go's getnum: one or two digits (exactly two when `fixed`).
bool GetNum(std::string_view& value, bool fixed, int* out) {
  if (!IsDigit(value, 0)) return false;
  if (!IsDigit(value, 1)) {
    if (fixed) return false;
    *out = value[0] - '0';
    value.remove_prefix(1);
    return true;
  }
  *out = (value[0] - '0') * 10 + (value[1] - '0');
  value.remove_prefix(2);
  return true;
}

constexpr std::array<std::string_view, 12> kLongMonths = {"January", "February", "March", "April", "May", "June",
                                                          "July", "August", "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

// Go's lookup: the index of the name (case-insensitively) that prefixes `value`; `abbrev`
// compares the first three letters only.
template <std::size_t N>
int Lookup(const std::array<std::string_view, N>& names, bool abbrev, std::string_view& value) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (std::size_t k = 0; k < N; ++k) {
    std::string_view name = abbrev ? names[k].substr(0, 3) : names[k];
    if (value.size() < name.size()) continue;
    bool same = true;
    for (std::size_t j = 0; j < name.size() && same; ++j) same = lower(value[j]) == lower(name[j]);
    if (same) {
      value.remove_prefix(name.size());
      return static_cast<int>(k);
    }
  }
  return -1;
}

// The fraction ".123" (`digits` bytes including the separator) as nanoseconds.
std::optional<std::int32_t> Nanos(std::string_view value, std::size_t digits) {
  if (value.empty() || (value[0] != '.' && value[0] != ',')) return std::nullopt;
  std::int64_t ns = 0;
  for (std::size_t k = 1; k < digits; ++k) {
    if (!IsDigit(value, k)) return std::nullopt;
    if (k <= 9) ns = ns * 10 + (value[k] - '0');
  }
  for (std::size_t k = digits; k <= 9; ++k) ns *= 10;
  return static_cast<std::int32_t>(ns);
}

bool IsLeap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }
int DaysIn(int month, std::int64_t year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

void AppendPadded(std::string& out, std::int64_t n, int width) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  if (n < 0) out += '-';
  if (static_cast<int>(digits.size()) < width) out.append(width - digits.size(), '0');
  out += digits;
}

}  // namespace

std::expected<GoTime, std::string> ParseGoTime(std::string_view layout, std::string_view value) {
  const std::string_view whole_layout = layout, whole_value = value;
  auto cannot = [&](std::string_view value_elem, std::string_view layout_elem) {
    return std::unexpected("parsing time " + Quote(whole_value) + " as " + Quote(whole_layout) + ": cannot parse " +
                           Quote(value_elem) + " as " + Quote(layout_elem));
  };
  auto message = [&](std::string_view text) { return std::unexpected("parsing time " + Quote(whole_value) + std::string(text)); };
  std::int64_t year = 0;
  int month = -1, day = -1, hour = 0, minute = 0, second = 0;
  std::int32_t nanos = 0, offset = 0;
  bool pm = false, am = false;
  // Reads the fraction of `n` bytes (separator included) at the start of `value`.
  auto take_fraction = [&](std::size_t n) {
    std::optional<std::int32_t> ns = Nanos(value, n);
    if (!ns) return false;
    nanos = *ns;
    value.remove_prefix(n);
    return true;
  };
  std::size_t i = 0;
  while (true) {
    // The literal text up to the next element: runs of spaces match runs of spaces.
    std::size_t start = i;
    Chunk chunk;
    while (i < layout.size() && (chunk = StdAt(layout, i)).std == Std::kNone) ++i;
    std::string_view prefix = layout.substr(start, i - start);
    for (std::size_t p = 0; p < prefix.size();) {
      if (prefix[p] == ' ') {
        if (!value.empty() && value[0] != ' ') return cannot(value, prefix);
        while (p < prefix.size() && prefix[p] == ' ') ++p;
        while (!value.empty() && value[0] == ' ') value.remove_prefix(1);
        continue;
      }
      if (value.empty() || value[0] != prefix[p]) return cannot(value, prefix);
      value.remove_prefix(1);
      ++p;
    }
    if (chunk.std == Std::kNone) break;
    std::string_view elem = layout.substr(i, chunk.length);
    i += chunk.length;
    std::string_view hold = value;
    const char* range = nullptr;
    bool ok = true;
    switch (chunk.std) {
      case Std::kLongYear:
        ok = value.size() >= 4 && IsDigit(value, 0) && IsDigit(value, 1) && IsDigit(value, 2) && IsDigit(value, 3);
        if (ok) {
          year = (value[0] - '0') * 1000 + (value[1] - '0') * 100 + (value[2] - '0') * 10 + (value[3] - '0');
          value.remove_prefix(4);
        }
        break;
      case Std::kYear: {
        int y = 0;
        ok = value.size() >= 2 && GetNum(value, true, &y);
        year = y + (y >= 69 ? 1900 : 2000);
        break;
      }
      case Std::kLongMonth:
      case Std::kMonth:
        month = Lookup(kLongMonths, chunk.std == Std::kMonth, value) + 1;
        ok = month > 0;
        break;
      case Std::kNumMonth:
      case Std::kZeroMonth:
        ok = GetNum(value, chunk.std == Std::kZeroMonth, &month);
        if (ok && (month <= 0 || month > 12)) range = "month";
        break;
      case Std::kLongWeekDay:
      case Std::kWeekDay:
        ok = Lookup(kLongDays, chunk.std == Std::kWeekDay, value) >= 0;
        break;
      case Std::kDay:
      case Std::kUnderDay:
      case Std::kZeroDay:
        if (chunk.std == Std::kUnderDay && !value.empty() && value[0] == ' ') value.remove_prefix(1);
        ok = GetNum(value, chunk.std == Std::kZeroDay, &day);
        break;
      case Std::kHour:
        ok = GetNum(value, false, &hour);
        if (ok && hour >= 24) range = "hour";
        break;
      case Std::kHour12:
      case Std::kZeroHour12:
        ok = GetNum(value, chunk.std == Std::kZeroHour12, &hour);
        if (ok && hour > 12) range = "hour";
        break;
      case Std::kMinute:
      case Std::kZeroMinute:
        ok = GetNum(value, chunk.std == Std::kZeroMinute, &minute);
        if (ok && minute >= 60) range = "minute";
        break;
      case Std::kSecond:
      case Std::kZeroSecond: {
        ok = GetNum(value, chunk.std == Std::kZeroSecond, &second);
        if (!ok) break;
        if (second >= 60) {
          range = "second";
          break;
        }
        // A fraction right after the seconds is read even when the layout has none.
        if (value.size() >= 2 && (value[0] == '.' || value[0] == ',') && IsDigit(value, 1)) {
          std::size_t next = i;
          Chunk after;
          while (next < layout.size() && (after = StdAt(layout, next)).std == Std::kNone) ++next;
          if (after.std == Std::kFracSecond0 || after.std == Std::kFracSecond9) break;
          ok = take_fraction(DigitsEnd(value, 2));
        }
        break;
      }
      case Std::kPM:
      case Std::kpm: {
        ok = value.size() >= 2;
        if (!ok) break;
        std::string_view p = value.substr(0, 2);
        bool upper = chunk.std == Std::kPM;
        if (p == (upper ? "PM" : "pm")) {
          pm = true;
        } else if (p == (upper ? "AM" : "am")) {
          am = true;
        } else {
          ok = false;
          break;
        }
        value.remove_prefix(2);
        break;
      }
      case Std::kISO8601TZ:
        if (!value.empty() && value[0] == 'Z') {
          value.remove_prefix(1);
          offset = 0;
          break;
        }
        [[fallthrough]];
      case Std::kNumTZ: {
        std::size_t need = 1 + chunk.zone_digits + (chunk.zone_colons ? chunk.zone_digits / 2 - 1 : 0);
        ok = value.size() >= need && (value[0] == '+' || value[0] == '-');
        std::size_t pos = 1;
        int parts[3] = {0, 0, 0};
        for (int k = 0; ok && k < chunk.zone_digits / 2; ++k) {
          if (k > 0 && chunk.zone_colons) {
            ok = value[pos] == ':';
            ++pos;
          }
          ok = ok && IsDigit(value, pos) && IsDigit(value, pos + 1);
          if (ok) parts[k] = (value[pos] - '0') * 10 + (value[pos + 1] - '0');
          pos += 2;
        }
        if (!ok) break;
        if (parts[0] > 24) range = "time zone offset hour";
        else if (parts[1] > 60) range = "time zone offset minute";
        else if (parts[2] > 60) range = "time zone offset second";
        offset = (value[0] == '-' ? -1 : 1) * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
        value.remove_prefix(need);
        break;
      }
      case Std::kTZ: {
        // Abbreviations: three to five upper-case letters; Go gives unknown ones offset 0.
        std::size_t n = 0;
        while (n < value.size() && n < 5 && value[n] >= 'A' && value[n] <= 'Z') ++n;
        ok = n >= 3;
        if (ok) value.remove_prefix(n);
        offset = 0;
        break;
      }
      case Std::kFracSecond0:
        ok = value.size() >= chunk.length && take_fraction(chunk.length);
        break;
      case Std::kFracSecond9: {
        if (value.size() < 2 || (value[0] != '.' && value[0] != ',') || !IsDigit(value, 1)) break;
        ok = take_fraction(DigitsEnd(value, 1));
        break;
      }
      case Std::kNone: break;
    }
    if (range != nullptr) return message(std::string(": ") + range + " out of range");
    if (!ok) return cannot(hold, elem);
  }
  if (!value.empty()) return message(": extra text: " + Quote(value));
  if (pm && hour < 12) hour += 12;
  if (am && hour == 12) hour = 0;
  if (month < 0) month = 1;
  if (day < 0) day = 1;
  if (day < 1 || day > DaysIn(month, year)) return message(": day out of range");
  GoTime t;
  t.offset = offset;
  t.instant.seconds = kw::cel::DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  t.instant.nanos = nanos;
  return t;
}

std::expected<std::int64_t, std::string> ParseGoDurationText(std::string_view text) {
  if (std::optional<std::int64_t> nanos = kw::cel::ParseDuration(text)) return *nanos;
  std::size_t digits = 0;
  for (char c : text) digits += (c >= '0' && c <= '9') || c == '.';
  bool number_only = !text.empty() && digits + (text[0] == '-' || text[0] == '+') == text.size() && text != "0";
  return std::unexpected(std::string(number_only ? "time: missing unit in duration " : "time: invalid duration ") +
                         GoTimeQuote(text));
}

std::string FormatRfc3339(const GoTime& t) {
  kw::cel::CivilTime c = kw::cel::ToCivil(t.instant, t.offset);
  std::string out;
  AppendPadded(out, c.year, 4);
  out += '-';
  AppendPadded(out, c.month, 2);
  out += '-';
  AppendPadded(out, c.day, 2);
  out += 'T';
  AppendPadded(out, c.hour, 2);
  out += ':';
  AppendPadded(out, c.minute, 2);
  out += ':';
  AppendPadded(out, c.second, 2);
  if (t.offset == 0) return out + "Z";
  std::int32_t minutes = (t.offset < 0 ? -t.offset : t.offset) / 60;
  out += t.offset < 0 ? '-' : '+';
  AppendPadded(out, minutes / 60, 2);
  out += ':';
  AppendPadded(out, minutes % 60, 2);
  return out;
}

std::string GoDurationString(std::int64_t nanos) {
  if (nanos == 0) return "0s";
  bool negative = nanos < 0;
  std::uint64_t u = negative ? 0 - static_cast<std::uint64_t>(nanos) : static_cast<std::uint64_t>(nanos);
  // `whole` then a fraction of `precision` digits without trailing zeros.
  auto with_fraction = [](std::uint64_t v, int precision) {
    std::uint64_t scale = 1;
    for (int k = 0; k < precision; ++k) scale *= 10;
    std::string out = std::to_string(v / scale);
    std::string fraction = std::to_string(v % scale);
    fraction.insert(0, precision - fraction.size(), '0');
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    if (!fraction.empty()) out += "." + fraction;
    return out;
  };
  std::string out;
  if (u < 1000) {
    out = std::to_string(u) + "ns";
  } else if (u < 1000000) {
    out = with_fraction(u, 3) + "\u00b5s";
  } else if (u < static_cast<std::uint64_t>(kNanosPerSecond)) {
    out = with_fraction(u, 6) + "ms";
  } else {
    std::uint64_t seconds = u / kNanosPerSecond;
    std::string tail = with_fraction(seconds % 60 * kNanosPerSecond + u % kNanosPerSecond, 9) + "s";
    std::uint64_t minutes = seconds / 60;
    if (minutes > 0) {
      tail = std::to_string(minutes % 60) + "m" + tail;
      if (minutes / 60 > 0) tail = std::to_string(minutes / 60) + "h" + tail;
    }
    out = tail;
  }
  return negative ? "-" + out : out;
}

GoTime AddDuration(const GoTime& t, std::int64_t nanos) {
  GoTime r = t;
  r.instant.seconds += nanos / kNanosPerSecond;
  std::int64_t ns = r.instant.nanos + nanos % kNanosPerSecond;
  if (ns < 0) {
    ns += kNanosPerSecond;
    --r.instant.seconds;
  } else if (ns >= kNanosPerSecond) {
    ns -= kNanosPerSecond;
    ++r.instant.seconds;
  }
  r.instant.nanos = static_cast<std::int32_t>(ns);
  return r;
}

std::int64_t Sub(const GoTime& t2, const GoTime& t1) {
  std::int64_t seconds = t2.instant.seconds - t1.instant.seconds;  // years 1..9999: no overflow
  if (seconds > INT64_MAX / kNanosPerSecond - 1) return INT64_MAX;
  if (seconds < INT64_MIN / kNanosPerSecond + 1) return INT64_MIN;
  return seconds * kNanosPerSecond + (t2.instant.nanos - t1.instant.nanos);
}

int CompareTimes(const GoTime& a, const GoTime& b) {
  if (a.instant.seconds != b.instant.seconds) return a.instant.seconds < b.instant.seconds ? -1 : 1;
  if (a.instant.nanos != b.instant.nanos) return a.instant.nanos < b.instant.nanos ? -1 : 1;
  return 0;
}

GoTime Truncate(const GoTime& t, std::int64_t nanos) {
  if (nanos <= 0) return t;
  // (seconds since the zero time * 10^9 + nanos) mod d, in 64 bits (no __int128: its
  // division helpers do not link in the guest). Terms stay below d < 2^63, so sums fit.
  std::uint64_t d = static_cast<std::uint64_t>(nanos);
  auto mulmod = [d](std::uint64_t a, std::uint64_t b) {
    std::uint64_t r = 0;
    for (a %= d; b != 0; b >>= 1) {
      if (b & 1) r = (r + a) % d;
      a = (a + a) % d;
    }
    return r;
  };
  std::uint64_t since_zero = static_cast<std::uint64_t>(t.instant.seconds + kZeroToUnix);
  std::uint64_t remainder = (mulmod(since_zero, kNanosPerSecond) + static_cast<std::uint64_t>(t.instant.nanos) % d) % d;
  return AddDuration(t, -static_cast<std::int64_t>(remainder));
}

GoTime Now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  GoTime t;
  t.instant.seconds = ts.tv_sec;
  t.instant.nanos = static_cast<std::int32_t>(ts.tv_nsec);
  return t;
}

}  // namespace kyverno
