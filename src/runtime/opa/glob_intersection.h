// Whether two glob-style regular expressions have a non-empty string in common: OPA's regex.globs_match
// (which uses the glob-intersection package). The syntax is OPA's documented subset, both
// expressions anchored at both ends:
//   `.`          any rune
//   `[...]`      a class of runes and ranges (`[a-z0-9_]`); no negation, no empty class
//   `*`, `+`     zero or more, one or more of the preceding item
//   `\x`         x itself, for any x, also inside classes
// and every other rune stands for itself (`?` included: it is no operator here).
//
// The answer is exact: the product of the two automata is searched for a path to both ends.
// States are (item of one, item of the other), so the work is bounded by the product of the
// two lengths, which is capped (kMaxGlobProduct): hostile operands get an error, not a long
// search.
#ifndef KW_RUNTIME_OPA_GLOB_INTERSECTION_H_
#define KW_RUNTIME_OPA_GLOB_INTERSECTION_H_

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

namespace kw::runtime::opa {

// Caps length(a) × length(b), in runes, of GlobsIntersect's operands.
inline constexpr std::size_t kMaxGlobProduct = std::size_t{1} << 24;

// Whether some non-empty string matches both `a` and `b`. The error is the glob package's message for
// malformed input, or one about the size cap.
std::expected<bool, std::string> GlobsIntersect(std::string_view a, std::string_view b);

}  // namespace kw::runtime::opa

#endif  // KW_RUNTIME_OPA_GLOB_INTERSECTION_H_
