// kubewarden/wildcard.h: the image patterns of trusted-repos and verify-image-signatures
// (policies.md §1.8): `*` matches any sequence (including `/` and the empty one), `?` exactly
// one character; the whole string, case-sensitively.
#ifndef KUBEWARDEN_WILDCARD_H_
#define KUBEWARDEN_WILDCARD_H_

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace kubewarden {

// A string with `*` or `?` is a pattern; anything else is compared literally.
inline bool IsWildcardPattern(std::string_view s) {
  return s.find_first_of("*?") != std::string_view::npos;
}

namespace internal {
// Length of the UTF-8 sequence starting at s[i] (1 for invalid bytes): `?` is one character,
// not one byte.
inline std::size_t Utf8CharLen(std::string_view s, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  return std::min(n, s.size() - i);
}
}  // namespace internal

// Whether `pattern` matches all of `s`. Greedy with one backtrack point: linear in practice,
// never exponential on hostile patterns.
inline bool WildcardMatch(std::string_view pattern, std::string_view s) {
  const std::string_view& p = pattern;
  std::size_t pi = 0, si = 0;
  std::size_t star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_s = si;
    } else if (pi < p.size() && p[pi] == '?') {
      ++pi;
      si += internal::Utf8CharLen(s, si);
    } else if (pi < p.size() && p[pi] == s[si]) {
      ++pi;
      ++si;
    } else if (star_p != std::string_view::npos) {
      pi = star_p + 1;
      star_s += internal::Utf8CharLen(s, star_s);
      si = star_s;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

// A settings entry against a value: a pattern matches through WildcardMatch, a literal exactly.
inline bool PatternOrLiteralMatches(std::string_view entry, std::string_view value) {
  return IsWildcardPattern(entry) ? WildcardMatch(entry, value) : entry == value;
}

}  // namespace kubewarden

#endif  // KUBEWARDEN_WILDCARD_H_
