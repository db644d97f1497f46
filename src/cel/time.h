// cel/time.h: timestamps, durations and time zones as CEL (cel-go) reads and writes them.
//
// Timestamps are seconds + nanoseconds since the Unix epoch in UTC, limited to years 1..9999;
// durations are int64 nanoseconds (cel-go's time.Duration). Texts follow Go: RFC 3339 for
// timestamps (time.RFC3339Nano when written), Go's time.ParseDuration syntax ("1h2m3.5s",
// "-1.5ms", "300us") for durations, written back as seconds ("3723.5s").
//
// Time zones (the accessors' optional argument): a fixed offset "[+-]HH:MM", or an IANA name
// read from /usr/share/zoneinfo (TZif) on hosts. wasm32 guests have no zone database, so only
// UTC and fixed offsets resolve there. Instants after a zone file's last transition follow the
// POSIX TZ rule of its footer ("EST5EDT,M3.2.0,M11.1.0"; the Mm.w.d form IANA uses).
#ifndef KW_CEL_TIME_H_
#define KW_CEL_TIME_H_

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace kw::cel {

inline constexpr std::int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr std::int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z

struct Instant {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;  // 0..999999999
};

// RFC 3339 ("2006-01-02T15:04:05.999999999Z07:00") as Go's time.Parse(time.RFC3339) reads it:
// upper-case "T" and "Z" only, any number of fraction digits (beyond 9 truncated). nullopt
// when malformed or outside years 1..9999.
std::optional<Instant> ParseTimestamp(std::string_view text);
// time.RFC3339Nano in UTC: fraction without trailing zeros, "Z".
std::string FormatTimestamp(Instant t);

// Go's time.ParseDuration. nullopt when malformed or beyond int64 nanoseconds.
std::optional<std::int64_t> ParseDuration(std::string_view text);
// Seconds with the fraction trimmed, as cel-go writes them: "3600s", "1.5s", "-0.000000001s".
std::string FormatDuration(std::int64_t nanos);

// A broken-down local time, with CEL's accessors' conventions left to the caller.
struct CivilTime {
  std::int64_t year;
  int month;        // 1..12
  int day;          // 1..31
  int hour, minute, second;
  std::int32_t nanos;
  int day_of_week;  // 0 = Sunday
  int day_of_year;  // 0-based
};

// The offset east of UTC (seconds) of zone `tz` at `unix_seconds`, or an error text
// ("unknown time zone Foo/Bar").
std::expected<std::int32_t, std::string> ZoneOffset(std::string_view tz, std::int64_t unix_seconds);

CivilTime ToCivil(Instant t, std::int32_t offset_seconds);

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t DaysFromCivil(std::int64_t year, int month, int day);

}  // namespace kw::cel

#endif  // KW_CEL_TIME_H_
