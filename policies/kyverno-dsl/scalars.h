// kyverno-dsl: the scalar readings Kyverno's patterns and conditions try in turn: Go durations,
// Kubernetes quantities, numbers in strings, wildcards, and the text a value stands for.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "value.h"

namespace kyverno {

// Go's time.ParseDuration, in nanoseconds ("0" included, "1" without a unit is not one).
std::optional<double> ParseGoDuration(std::string_view text);
// A Kubernetes quantity ("100m", "1Gi", "2e3", "5"), as its value in base units.
std::optional<double> ParseQuantity(std::string_view text);
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
