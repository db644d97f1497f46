// kyverno-dsl: Go's time package as Kyverno's time_* functions use it: time.Parse with a
// reference layout ("2006-01-02T15:04:05Z07:00", "Mon Jan _2 15:04:05 MST 2006", ...),
// Format(time.RFC3339), Duration.String() and Time.Truncate. Instants and the civil calendar
// come from src/cel/time.h; this adds the layouts and the zone offset a parsed time keeps.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "cel/time.h"

namespace kyverno {

inline constexpr std::string_view kRfc3339Layout = "2006-01-02T15:04:05Z07:00";

// A parsed time: the instant and the offset (seconds east of UTC) it was written in.
struct GoTime {
  kw::cel::Instant instant;
  std::int32_t offset = 0;
};

// time.Parse(layout, value). Errors read as Go's: `parsing time "x" as "2006": cannot parse
// "x" as "2006"`, `parsing time "2021-13-01": month out of range`, `... extra text: "..."`.
// Zone abbreviations (MST) are read as UTC, as Go does for names it does not know.
std::expected<GoTime, std::string> ParseGoTime(std::string_view layout, std::string_view value);

// Go's quoting of values in time errors: "..." with `"` and `\` escaped, bytes outside
// printable ASCII as \xHH.
std::string GoTimeQuote(std::string_view s);

// time.ParseDuration in nanoseconds, with Go's errors: `time: invalid duration "x"`,
// `time: missing unit in duration "1"`.
std::expected<std::int64_t, std::string> ParseGoDurationText(std::string_view text);

// t.Format(time.RFC3339): "2021-01-02T15:04:05+02:00", "Z" for UTC.
std::string FormatRfc3339(const GoTime& t);

// time.Duration(nanos).String(): "1h2m3.5s", "1.5ms", "0s".
std::string GoDurationString(std::int64_t nanos);

// t.Add(d); saturates like Go never needs to within years 1..9999.
GoTime AddDuration(const GoTime& t, std::int64_t nanos);
// t2.Sub(t1) in nanoseconds, saturated to int64 as Go does.
std::int64_t Sub(const GoTime& t2, const GoTime& t1);
// Compares instants: <0, 0, >0.
int CompareTimes(const GoTime& a, const GoTime& b);
// t.Truncate(d): rounds down to a multiple of d since Go's zero time (January 1, year 1 UTC);
// d <= 0 leaves t unchanged. The offset is kept.
GoTime Truncate(const GoTime& t, std::int64_t nanos);
// The current time in UTC (the guest's WASI clock).
GoTime Now();

}  // namespace kyverno
