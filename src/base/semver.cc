#include "base/semver.h"

#include <algorithm>
#include <charconv>

namespace kw {
namespace {

bool IsNumeric(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsIdentifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
  });
}

bool HasLeadingZero(std::string_view numeric) { return numeric.size() > 1 && numeric[0] == '0'; }

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> parts;
  while (true) {
    std::size_t dot = s.find('.');
    parts.push_back(s.substr(0, dot));
    if (dot == std::string_view::npos) return parts;
    s.remove_prefix(dot + 1);
  }
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

}  // namespace

std::optional<SemVer> ParseSemVer(std::string_view text) {
  SemVer v;
  std::string_view rest = text;
  if (std::size_t plus = rest.find('+'); plus != std::string_view::npos) {
    v.build = SplitDots(rest.substr(plus + 1));
    if (!std::all_of(v.build.begin(), v.build.end(), IsIdentifier)) return std::nullopt;
    rest = rest.substr(0, plus);
  }
  if (std::size_t dash = rest.find('-'); dash != std::string_view::npos) {
    v.pre_release = SplitDots(rest.substr(dash + 1));
    for (std::string_view id : v.pre_release) {
      if (!IsIdentifier(id) || (IsNumeric(id) && HasLeadingZero(id))) return std::nullopt;
    }
    rest = rest.substr(0, dash);
  }
  std::vector<std::string_view> core = SplitDots(rest);
  if (core.size() != 3) return std::nullopt;
  for (std::size_t i = 0; i < 3; ++i) {
    if (!IsNumeric(core[i]) || HasLeadingZero(core[i])) return std::nullopt;
    v.core[i] = core[i];
  }
  return v;
}

int CompareNumericIdentifiers(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return Sign(a.compare(b));
}

int CompareSemVer(const SemVer& a, const SemVer& b) {
  for (std::size_t i = 0; i < 3; ++i) {
    if (int c = CompareNumericIdentifiers(a.core[i], b.core[i]); c != 0) return c;
  }
  // A version without a pre-release ranks above any with one.
  if (a.pre_release.empty() || b.pre_release.empty()) {
    if (a.pre_release.empty() == b.pre_release.empty()) return 0;
    return a.pre_release.empty() ? 1 : -1;
  }
  const std::size_t common = std::min(a.pre_release.size(), b.pre_release.size());
  for (std::size_t i = 0; i < common; ++i) {
    std::string_view x = a.pre_release[i], y = b.pre_release[i];
    const bool x_numeric = IsNumeric(x), y_numeric = IsNumeric(y);
    int c;
    if (x_numeric && y_numeric) {
      c = CompareNumericIdentifiers(x, y);
    } else if (x_numeric != y_numeric) {
      c = x_numeric ? -1 : 1;  // numeric identifiers rank below alphanumeric ones
    } else {
      c = Sign(x.compare(y));
    }
    if (c != 0) return c;
  }
  if (a.pre_release.size() == b.pre_release.size()) return 0;
  return a.pre_release.size() < b.pre_release.size() ? -1 : 1;
}

std::optional<std::uint64_t> NumericIdentifierValue(std::string_view digits) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return n;
}

}  // namespace kw
