// Semantic versions (SemVer 2.0.0): parsing and precedence. One parser for what needs one: policy
// metadata (minimumKubewardenVersion, scaffold versions) and the OPA `semver.*` builtins.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace kw {

// A parsed version; every part is a view into the parsed text.
struct SemVer {
  std::array<std::string_view, 3> core;     // major, minor, patch: digits, no leading zero
  std::vector<std::string_view> pre_release;  // dot-separated identifiers after `-`
  std::vector<std::string_view> build;        // after `+`; no effect on precedence
};

// `text` as MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], or nullopt when it is not one. Numeric
// parts may be of any length, as the specification allows.
std::optional<SemVer> ParseSemVer(std::string_view text);

// SemVer precedence: -1, 0 or 1 as `a` ranks below, with or above `b` (build metadata ignored).
int CompareSemVer(const SemVer& a, const SemVer& b);

// Compares two numeric identifiers (digits, no leading zero) of any length: -1, 0 or 1.
int CompareNumericIdentifiers(std::string_view a, std::string_view b);

// A numeric identifier's value, or nullopt when it does not fit in 64 bits.
std::optional<std::uint64_t> NumericIdentifierValue(std::string_view digits);

}  // namespace kw
