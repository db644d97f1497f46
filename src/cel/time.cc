#include "cel/time.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace kw::cel {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

bool ReadDigits(std::string_view s, std::size_t& pos, std::size_t count, int& out) {
  if (pos + count > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += count;
  return true;
}

bool Expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

bool IsLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(std::int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Howard Hinnant's civil_from_days.
void CivilFromDays(std::int64_t z, std::int64_t& y, int& m, int& d) {
  z += 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  if (m <= 2) ++y;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// A zone file's transitions (TZif version 2+, 64-bit section; version 1 files use the 32-bit
// one). Only what an offset lookup needs.
// The POSIX TZ rule of a TZif footer ("EST5EDT,M3.2.0,M11.1.0"), for instants past the last
// transition. Only the Mm.w.d form of DST rules (what the IANA database uses).
struct PosixRule {
  std::int32_t std_offset = 0;  // east of UTC
  bool has_dst = false;
  std::int32_t dst_offset = 0;
  struct When {
    int month = 0, week = 0, weekday = 0;
    std::int32_t time = 7200;  // local seconds after midnight
  } start, end;
};

struct Zone {
  std::vector<std::int64_t> transitions;
  std::vector<std::uint8_t> type_of;  // per transition
  std::vector<std::int32_t> offsets;  // per local time type
  std::optional<PosixRule> rule;
};

class PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}

  std::optional<PosixRule> Parse() {
    PosixRule r;
    if (!Name()) return std::nullopt;
    auto std_off = Offset();
    if (!std_off) return std::nullopt;
    r.std_offset = -*std_off;
    if (pos_ == s_.size()) return r;
    if (!Name()) return std::nullopt;
    r.has_dst = true;
    r.dst_offset = r.std_offset + 3600;
    if (pos_ < s_.size() && s_[pos_] != ',') {
      auto dst_off = Offset();
      if (!dst_off) return std::nullopt;
      r.dst_offset = -*dst_off;
    }
    if (!Eat(',') || !Rule(r.start) || !Eat(',') || !Rule(r.end) || pos_ != s_.size()) return std::nullopt;
    return r;
  }

 private:
  bool Eat(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool Name() {
    if (Eat('<')) {
      std::size_t close = s_.find('>', pos_);
      if (close == std::string_view::npos) return false;
      pos_ = close + 1;
      return true;
    }
    std::size_t start = pos_;
    while (pos_ < s_.size() && ((s_[pos_] >= 'A' && s_[pos_] <= 'Z') || (s_[pos_] >= 'a' && s_[pos_] <= 'z'))) ++pos_;
    return pos_ - start >= 3;
  }
  std::optional<int> Number() {
    std::size_t start = pos_;
    int v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9' && pos_ - start < 3) v = v * 10 + (s_[pos_++] - '0');
    if (pos_ == start) return std::nullopt;
    return v;
  }
  // [+-]hh[:mm[:ss]] in seconds (POSIX sign: positive is west of UTC).
  std::optional<std::int32_t> Offset() {
    int sign = 1;
    if (Eat('-')) sign = -1;
    else Eat('+');
    auto h = Number();
    if (!h) return std::nullopt;
    std::int32_t secs = *h * 3600;
    if (Eat(':')) {
      auto m = Number();
      if (!m) return std::nullopt;
      secs += *m * 60;
      if (Eat(':')) {
        auto sec = Number();
        if (!sec) return std::nullopt;
        secs += *sec;
      }
    }
    return sign * secs;
  }
  bool Rule(PosixRule::When& w) {
    if (!Eat('M')) return false;
    auto m = Number();
    if (!m || !Eat('.')) return false;
    auto wk = Number();
    if (!wk || !Eat('.')) return false;
    auto d = Number();
    if (!d || *m < 1 || *m > 12 || *wk < 1 || *wk > 5 || *d > 6) return false;
    w.month = *m;
    w.week = *wk;
    w.weekday = *d;
    if (Eat('/')) {
      auto t = Offset();  // same syntax; may be negative or beyond 24h (TZif v3)
      if (!t) return false;
      w.time = *t;
    }
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// The UTC instant at which rule `w` applies in `year`, in local time of `offset`.
std::int64_t RuleInstant(std::int64_t year, const PosixRule::When& w, std::int32_t offset) {
  std::int64_t first = DaysFromCivil(year, w.month, 1);
  std::int64_t first_weekday = ((first + 4) % 7 + 7) % 7;
  std::int64_t day = 1 + (w.weekday - first_weekday + 7) % 7 + (w.week - 1) * 7;
  while (day > DaysInMonth(year, w.month)) day -= 7;
  return (first + day - 1) * 86400 + w.time - offset;
}

std::int32_t RuleOffset(const PosixRule& r, std::int64_t t) {
  if (!r.has_dst) return r.std_offset;
  std::int64_t days = FloorDiv(t + r.std_offset, 86400);
  std::int64_t year;
  int month, day;
  CivilFromDays(days, year, month, day);
  std::int64_t start = RuleInstant(year, r.start, r.std_offset);
  std::int64_t end = RuleInstant(year, r.end, r.dst_offset);
  bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? r.dst_offset : r.std_offset;
}

std::int64_t ReadBigEndian(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

std::optional<Zone> ParseTzif(const std::string& data) {
  auto u = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  auto header = [&](std::size_t at, std::uint32_t c[6]) {
    if (at + 44 > n || std::memcmp(u + at, "TZif", 4) != 0) return false;
    for (int i = 0; i < 6; ++i) c[i] = static_cast<std::uint32_t>(ReadBigEndian(u + at + 20 + 4 * i, 4));
    return true;
  };
  // counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  std::uint32_t c[6];
  if (!header(0, c)) return std::nullopt;
  auto block_size = [](const std::uint32_t c[6], int time_size) {
    return static_cast<std::size_t>(c[3]) * time_size + c[3] + c[4] * 6ull + c[5] +
           c[2] * (time_size + 4ull) + c[1] + c[0];
  };
  std::size_t at = 44;
  int time_size = 4;
  if (data[4] >= '2') {
    at += block_size(c, 4);
    if (!header(at, c)) return std::nullopt;
    at += 44;
    time_size = 8;
  }
  if (at + block_size(c, time_size) > n || c[4] == 0 || c[4] > 256) return std::nullopt;
  const std::size_t footer = at + block_size(c, time_size);
  Zone zone;
  for (std::uint32_t i = 0; i < c[3]; ++i) zone.transitions.push_back(ReadBigEndian(u + at + i * time_size, time_size));
  at += static_cast<std::size_t>(c[3]) * time_size;
  for (std::uint32_t i = 0; i < c[3]; ++i) {
    if (u[at + i] >= c[4]) return std::nullopt;
    zone.type_of.push_back(u[at + i]);
  }
  at += c[3];
  for (std::uint32_t i = 0; i < c[4]; ++i) zone.offsets.push_back(static_cast<std::int32_t>(ReadBigEndian(u + at + 6 * i, 4)));
  // The footer (version 2+): "\n<POSIX TZ>\n" after the 64-bit data block.
  if (time_size == 8 && footer < n && data[footer] == '\n') {
    std::size_t close = data.find('\n', footer + 1);
    if (close != std::string::npos)
      zone.rule = PosixParser(std::string_view(data).substr(footer + 1, close - footer - 1)).Parse();
  }
  return zone;
}

std::optional<std::string> ReadZoneFile(std::string_view name) {
#if defined(__wasi__)
  (void)name;
  return std::nullopt;
#else
  // Names as IANA spells them; nothing that could leave the zone folder.
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.find("..") != std::string_view::npos)
    return std::nullopt;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
              c == '_' || c == '-' || c == '+';
    if (!ok) return std::nullopt;
  }
  std::string path = "/usr/share/zoneinfo/" + std::string(name);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return std::nullopt;
  std::string data;
  char buf[4096];
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0 && data.size() < (1 << 20)) data.append(buf, got);
  std::fclose(f);
  return data;
#endif
}

}  // namespace

std::int64_t DaysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  std::int64_t yoe = y - era * 400;
  std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::optional<Instant> ParseTimestamp(std::string_view s) {
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(s, pos, 4, year) || !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, month) ||
      !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, day) || !Expect(s, pos, 'T') ||
      !ReadDigits(s, pos, 2, hour) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, minute) ||
      !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59)
    return std::nullopt;
  std::int32_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t i = digits; i < 9; ++i) nanos *= 10;
  }
  std::int64_t offset = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!ReadDigits(s, pos, 2, oh) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::int64_t secs = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  if (secs < kMinTimestampSeconds || secs > kMaxTimestampSeconds) return std::nullopt;
  return Instant{secs, nanos};
}

std::string FormatTimestamp(Instant t) {
  CivilTime c = ToCivil(t, 0);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d", static_cast<long long>(c.year),
                        c.month, c.day, c.hour, c.minute, c.second);
  std::string out(buf, n);
  if (t.nanos != 0) {
    std::snprintf(buf, sizeof buf, ".%09d", static_cast<int>(t.nanos));
    std::string frac(buf);
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  out += 'Z';
  return out;
}

std::optional<std::int64_t> ParseDuration(std::string_view s) {
  // Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0".
  std::size_t pos = 0;
  bool negative = false;
  if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) negative = s[pos++] == '-';
  if (s.substr(pos) == "0") return 0;
  if (pos == s.size()) return std::nullopt;
  // Accumulated in unsigned nanoseconds; the limit is 1<<63 (so "-9223372036854775808ns" parses).
  constexpr std::uint64_t kLimit = 1ull << 63;
  std::uint64_t total = 0;
  while (pos < s.size()) {
    std::uint64_t whole = 0;
    bool any = false, overflow = false;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (whole > (kLimit - (s[pos] - '0')) / 10) overflow = true;
      else whole = whole * 10 + (s[pos] - '0');
      any = true;
      ++pos;
    }
    if (overflow) return std::nullopt;
    std::uint64_t frac = 0, scale = 1;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (scale < 1'000'000'000'000'000ull) {
          frac = frac * 10 + (s[pos] - '0');
          scale *= 10;
        }
        any = true;
        ++pos;
      }
    }
    if (!any) return std::nullopt;
    std::size_t unit_start = pos;
    while (pos < s.size() && s[pos] != '.' && (s[pos] < '0' || s[pos] > '9')) ++pos;
    std::string_view unit = s.substr(unit_start, pos - unit_start);
    std::uint64_t mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") mult = 1000;
    else if (unit == "ms") mult = 1'000'000;
    else if (unit == "s") mult = 1'000'000'000;
    else if (unit == "m") mult = 60'000'000'000ull;
    else if (unit == "h") mult = 3'600'000'000'000ull;
    else return std::nullopt;
    if (whole > kLimit / mult) return std::nullopt;
    std::uint64_t v = whole * mult;
    if (frac > 0) {
      // frac/scale * mult, without overflow: scale <= 1e18, mult <= 3.6e12. In float64 as Go
      // computes it (so rounded as Go rounds; a long double would also be wasm32's 128-bit
      // soft float, ~4 KB of helpers in every module).
      double f = static_cast<double>(frac) * (static_cast<double>(mult) / static_cast<double>(scale));
      v += static_cast<std::uint64_t>(f);
      if (v > kLimit) return std::nullopt;
    }
    total += v;
    if (total > kLimit) return std::nullopt;
  }
  if (total == kLimit && !negative) return std::nullopt;
  return negative ? static_cast<std::int64_t>(0 - total) : static_cast<std::int64_t>(total);
}

std::string FormatDuration(std::int64_t nanos) {
  std::uint64_t magnitude = nanos < 0 ? 0 - static_cast<std::uint64_t>(nanos) : static_cast<std::uint64_t>(nanos);
  std::string out = nanos < 0 ? "-" : "";
  out += std::to_string(magnitude / kNanosPerSecond);
  std::uint64_t frac = magnitude % kNanosPerSecond;
  if (frac != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%09llu", static_cast<unsigned long long>(frac));
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 's';
  return out;
}

std::expected<std::int32_t, std::string> ZoneOffset(std::string_view tz, std::int64_t unix_seconds) {
  // cel-go reads anything with a colon as an offset: "+05:30", "-08:00", "02:00".
  if (tz.find(':') != std::string_view::npos) {
    std::size_t pos = 0;
    int sign = 1;
    if (!tz.empty() && (tz[0] == '+' || tz[0] == '-')) sign = tz[pos++] == '-' ? -1 : 1;
    int h, m;
    if (!ReadDigits(tz, pos, 2, h) || !Expect(tz, pos, ':') || !ReadDigits(tz, pos, 2, m) || pos != tz.size() ||
        h > 23 || m > 59)
      return std::unexpected("unknown time zone " + std::string(tz));
    return sign * (h * 3600 + m * 60);
  }
  if (tz == "UTC" || tz == "" || tz == "Etc/UTC" || tz == "GMT" || tz == "Z")
    return 0;
  auto data = ReadZoneFile(tz);
  std::optional<Zone> zone;
  if (data) zone = ParseTzif(*data);
  if (!zone) return std::unexpected("unknown time zone " + std::string(tz));
  const auto& tr = zone->transitions;
  if (zone->rule && (tr.empty() || unix_seconds >= tr.back())) return RuleOffset(*zone->rule, unix_seconds);
  auto it = std::upper_bound(tr.begin(), tr.end(), unix_seconds);
  if (it == tr.begin()) {
    // Before the first transition: the first standard-time type (type 0 by convention).
    return zone->offsets[0];
  }
  return zone->offsets[zone->type_of[(it - tr.begin()) - 1]];
}

CivilTime ToCivil(Instant t, std::int32_t offset_seconds) {
  std::int64_t secs = t.seconds + offset_seconds;
  std::int64_t days = FloorDiv(secs, 86400);
  std::int64_t rem = secs - days * 86400;
  CivilTime c{};
  CivilFromDays(days, c.year, c.month, c.day);
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem % 3600 / 60);
  c.second = static_cast<int>(rem % 60);
  c.nanos = t.nanos;
  std::int64_t dow = (days + 4) % 7;  // 1970-01-01 was a Thursday
  c.day_of_week = static_cast<int>(dow < 0 ? dow + 7 : dow);
  c.day_of_year = static_cast<int>(days - DaysFromCivil(c.year, 1, 1));
  return c;
}

}  // namespace kw::cel
