// kyverno-dsl: the scalar readings Kyverno's patterns and conditions try in turn: Go durations,
// Kubernetes quantities, numbers in strings, wildcards, and the text a value stands for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "value.h"

namespace kyverno {

// Go's time.ParseDuration, in nanoseconds ("0" included, "1" without a unit is not one).
std::optional<double> ParseGoDuration(std::string_view text);
// A Kubernetes quantity ("100m", "1Gi", "2e3", "5"), as its value in base units.
std::optional<double> ParseQuantity(std::string_view text);
// What strtoull(text, &end, base) reads (base 8, 10 or 16), without libc's integer scanner:
// leading white space, a sign ('-' negates modulo 2^64), base 16's optional 0x; 2^64-1 when
// out of range. `length` is the bytes read, 0 when there is no digit.
struct UnsignedPrefix {
  std::uint64_t value = 0;
  std::size_t length = 0;
};
UnsignedPrefix ParseUnsignedPrefix(std::string_view text, int base);
// A whole string that strconv.ParseFloat accepts.
std::optional<double> ParseNumber(std::string_view text);
// `*`/`?` wildcard match of the whole string (kubewarden/wildcard.h).
bool Wildcard(std::string_view pattern, std::string_view text);
// Every occurrence of `from` replaced by `to`, left to right (Go's strings.ReplaceAll for a
// non-empty `from`).
std::string ReplaceAll(std::string s, std::string_view from, std::string_view to);
// Go's path.Clean ("/a/../b/./c/" → "/b/c", "" → ".").
std::string CleanPath(std::string_view p);
// The text of a scalar as Go's fmt %v prints it (strings as is, numbers shortest, bools).
std::string ScalarText(const Value& v);

}  // namespace kyverno
