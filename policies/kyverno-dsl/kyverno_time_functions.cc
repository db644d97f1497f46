// Kyverno's time_* JMESPath functions (Kyverno 1.10): timestamps are RFC 3339 unless a Go
// layout is given, durations Go's; results are RFC 3339 texts, Go duration texts or booleans.
// Errors are Go's time package errors, unwrapped, as Kyverno returns them.
#include "go_time.h"
#include "kyverno_functions_more.h"

namespace kyverno::jmespath {
namespace {

// Argument `i` as a time in `layout`; records Go's parse error otherwise.
bool TimeArg(Call& c, std::size_t i, std::string_view layout, GoTime* out) {
  if (!c.Need(i, {"string"})) return false;
  auto t = ParseGoTime(layout, c.args[i].as_string());
  if (!t) {
    c.Fail(t.error());
    return false;
  }
  *out = *t;
  return true;
}

bool DurationArg(Call& c, std::size_t i, std::int64_t* out) {
  if (!c.Need(i, {"string"})) return false;
  auto d = ParseGoDurationText(c.args[i].as_string());
  if (!d) {
    c.Fail(d.error());
    return false;
  }
  *out = *d;
  return true;
}

std::string_view LayoutOrRfc3339(const Value& layout) {
  return layout.as_string().empty() ? kRfc3339Layout : std::string_view(layout.as_string());
}

}  // namespace

Value TimeSince(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(2, {"string"})) return Value();
  std::string_view layout = LayoutOrRfc3339(c.args[0]);
  GoTime t1, t2 = Now();
  if (!TimeArg(c, 1, layout, &t1)) return Value();
  if (!c.args[2].as_string().empty() && !TimeArg(c, 2, layout, &t2)) return Value();
  return Value(GoDurationString(Sub(t2, t1)));
}

// Go's time.Now() is local; a guest's local zone is UTC, so both give "...Z".
Value TimeNow(Call&) { return Value(FormatRfc3339(Now())); }
Value TimeNowUtc(Call&) { return Value(FormatRfc3339(Now())); }

Value TimeToCron(Call& c) {
  GoTime t;
  if (!TimeArg(c, 0, kRfc3339Layout, &t)) return Value();
  kw::cel::CivilTime u = kw::cel::ToCivil(t.instant, 0);
  return Value(std::to_string(u.minute) + " " + std::to_string(u.hour) + " " + std::to_string(u.day) + " " +
               std::to_string(u.month) + " " + std::to_string(u.day_of_week));
}

Value TimeAdd(Call& c) {
  GoTime t;
  std::int64_t d = 0;
  if (!TimeArg(c, 0, kRfc3339Layout, &t) || !DurationArg(c, 1, &d)) return Value();
  return Value(FormatRfc3339(AddDuration(t, d)));
}

Value TimeParse(Call& c) {
  GoTime t;
  if (!c.Need(0, {"string"}) || !TimeArg(c, 1, c.args[0].as_string(), &t)) return Value();
  return Value(FormatRfc3339(t));
}

Value TimeUtc(Call& c) {
  GoTime t;
  if (!TimeArg(c, 0, kRfc3339Layout, &t)) return Value();
  t.offset = 0;
  return Value(FormatRfc3339(t));
}

Value TimeDiff(Call& c) {
  GoTime t1, t2;
  if (!TimeArg(c, 0, kRfc3339Layout, &t1) || !TimeArg(c, 1, kRfc3339Layout, &t2)) return Value();
  return Value(GoDurationString(Sub(t2, t1)));
}

Value TimeBefore(Call& c) {
  GoTime t1, t2;
  if (!TimeArg(c, 0, kRfc3339Layout, &t1) || !TimeArg(c, 1, kRfc3339Layout, &t2)) return Value();
  return Value(CompareTimes(t1, t2) < 0);
}

Value TimeAfter(Call& c) {
  GoTime t1, t2;
  if (!TimeArg(c, 0, kRfc3339Layout, &t1) || !TimeArg(c, 1, kRfc3339Layout, &t2)) return Value();
  return Value(CompareTimes(t1, t2) > 0);
}

Value TimeBetween(Call& c) {
  GoTime t, start, end;
  if (!TimeArg(c, 0, kRfc3339Layout, &t) || !TimeArg(c, 1, kRfc3339Layout, &start) ||
      !TimeArg(c, 2, kRfc3339Layout, &end)) {
    return Value();
  }
  return Value(CompareTimes(t, start) > 0 && CompareTimes(t, end) < 0);
}

Value TimeTruncate(Call& c) {
  GoTime t;
  std::int64_t d = 0;
  if (!TimeArg(c, 0, kRfc3339Layout, &t) || !DurationArg(c, 1, &d)) return Value();
  return Value(FormatRfc3339(Truncate(t, d)));
}

}  // namespace kyverno::jmespath
