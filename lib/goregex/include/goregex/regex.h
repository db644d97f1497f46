// goregex/regex.h: Go's regular expressions (RE2 syntax, package regexp) in one header, for
// code that must match exactly as Go does: the guest SDK's kubewarden/regex.h (policies whose
// upstream is written in Go, policies.md §1.7: safe-labels, safe-annotations, kyverno-dsl),
// the host's OPA builtins (regex.split, regex.find_n, regex.replace, ... as OPA's Go code runs
// them) and CEL's regex library.
//
//   auto re = goregex::Regexp::Compile("team-([a-z]+)$");
//   if (!re) return re.error();  // e.g. "error parsing regexp: missing closing ]: `[a-z+$`"
//   re->Match("my-team-blue");   // true: some substring matches (Go's MatchString)
//   re->Find("my-team-blue");    // {3, 12}: the leftmost-first match (Go's FindStringIndex)
//   re->FindSubmatchIndex("my-team-blue");          // {3, 12, 8, 12} (Go's, -1 for no group)
//   re->ReplaceAllString("my-team-blue", "<$1>");  // "my-<blue>" ($1, ${1}, $name, $$)
//   Regexp::Searcher s(*re, text);                 // Go's FindAll iteration:
//   while (auto m = s.Next()) s.SubmatchIndex();   // each match, and its groups on demand
//
// Freestanding: it needs only the C++23 standard headers included below, uses no exceptions
// and no RTTI, and depends on nothing else, so the same code builds natively for the host and
// for wasm32 guests compiled with -fno-exceptions -fno-rtti against libc++.
//
// Syntax: what regexp.Compile accepts. Literals, `.`, classes `[a-z]`, `[^...]`, Perl classes
// `\d \w \s \D \W \S`, POSIX classes `[[:alpha:]]` / `[[:^alpha:]]`, `\p{Any}`, escapes
// (`\.`, `\t`, `\x41`, `\x{263a}`, octal `\101`, `\Q...\E`), anchors `^ $ \A \z \b \B`, groups
// `(...)`, `(?:...)`, `(?P<name>...)`, `(?<name>...)`, flags `(?imsU)`, `(?i-s:...)`,
// alternation and the repetitions `* + ? {n} {n,} {n,m}` with their lazy forms `*?` etc. No
// backreferences, no lookaround. Unicode property classes other than `\p{Any}` (`\pL`,
// `\p{Greek}`, ...) are not supported: Compile rejects them with Go's error for an unknown
// class, so a policy never silently matches differently from upstream.
//
// Semantics: Go's. Patterns and texts are UTF-8 and match rune by rune (an invalid byte in the
// text reads as U+FFFD); `.` excludes `\n` unless (?s); `^`/`$` anchor the whole text unless
// (?m); `\b`, `\w`, `\d`, `\s` and the POSIX classes are ASCII-only; (?i) uses Unicode simple
// case folding (so `(?i)k` also matches U+212A KELVIN SIGN).
//
// Errors: Go's texts exactly, "error parsing regexp: <reason>: `<fragment>`", with Go's
// fragments (`[ab$` for a missing `]`, `**` for a nested repetition, `{1001}` for a repeat
// count above 1000, the whole pattern for a missing `)` ...). Go's limits apply: repetition
// counts up to 1000 (also multiplied through nesting), nesting depth 1000 and about 3.3 million
// compiled instructions ("expression nests too deeply", "expression too large"). Go skips its
// size check when the tree has few nodes (e.g. one long literal repeated); here it always
// applies, so that no accepted pattern outgrows a policy's memory.
//
// Complexity: matching simulates the compiled NFA (a Pike VM), never backtracks, and takes
// O(len(text) × program size) time whatever the pattern: `(a*)*b` against a long run of `a`
// is as fast as `ab`. Patterns are operator input, texts attacker input. Compile is linear in
// the pattern apart from the case folding of class ranges under (?i). Groups cost nothing
// until asked for: Match and the searches run a program without them; a pattern with groups
// also keeps a second program that records them, which SubmatchIndex replays over the match
// alone: O(len(match) × program size × groups) time, and memory that grows with program size
// × groups up to 32 MB, beyond which the groups are tracked in several passes.
//
// Errors are values; no recursion deeper than the nesting limit; no <regex>.
// A compiled Regexp is immutable: its const methods may run concurrently.
#ifndef GOREGEX_REGEX_H_
#define GOREGEX_REGEX_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace goregex {

namespace internal {

inline constexpr std::int32_t kMaxRune = 0x10FFFF;
inline constexpr std::int32_t kRuneError = 0xFFFD;
// Go's limits (regexp/syntax): repetition counts, parse tree height, program size (128 MB of
// 40-byte instructions) and class runes (128 MB of 4-byte runes).
inline constexpr int kMaxRepeat = 1000;
inline constexpr std::uint32_t kMaxHeight = 1000;
inline constexpr std::int64_t kMaxSize = (128 << 20) / 40;
inline constexpr std::int64_t kMaxRunes = (128 << 20) / 4;

struct DecodedRune {
  std::int32_t rune;
  std::uint32_t width;
};

// Decodes the UTF-8 sequence at `p` (`n` > 0 bytes available) like Go's
// utf8.DecodeRuneInString: an invalid, overlong, surrogate or truncated sequence reads as
// U+FFFD of width 1, which is how Go's matcher walks invalid text.
inline DecodedRune DecodeRune(const char* s, std::size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  unsigned b0 = p[0];
  if (b0 < 0x80) return {static_cast<std::int32_t>(b0), 1};
  constexpr DecodedRune kInvalid{kRuneError, 1};
  unsigned lo = 0x80, hi = 0xBF;  // the valid range of the second byte
  std::uint32_t len;
  std::int32_t r;
  if (b0 < 0xC2) {
    return kInvalid;
  } else if (b0 < 0xE0) {
    len = 2;
    r = b0 & 0x1F;
  } else if (b0 < 0xF0) {
    len = 3;
    r = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 < 0xF5) {
    len = 4;
    r = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return kInvalid;
  }
  if (n < 2 || p[1] < lo || p[1] > hi) return kInvalid;
  r = (r << 6) | (p[1] & 0x3F);
  for (std::uint32_t i = 2; i < len; ++i) {
    if (i >= n || (p[i] & 0xC0) != 0x80) return kInvalid;
    r = (r << 6) | (p[i] & 0x3F);
  }
  return {r, len};
}

// --- Unicode simple case folding (Go's unicode.SimpleFold). ---

// Runs of consecutive runes whose next case-equivalent rune is rune + delta, or, for delta 0,
// alternately rune + 1 and rune - 1 (upper/lower pairs such as U+0100/U+0101). Every rune in
// an orbit of case-equivalent runes maps to the next larger member, the largest to the
// smallest; runes outside the runs fold to themselves. Generated from the Unicode 15.0
// CaseFolding data (simple and common mappings, the data of Go's tables) by linking each rune
// with its single-rune lowercase and case-folded forms.
struct FoldRun {
  std::uint32_t lo : 24;
  std::uint32_t len : 8;
  std::int32_t delta;
};
// clang-format off
inline constexpr FoldRun kFoldRuns[] = {
    {0x41, 26, 32}, {0x61, 10, -32}, {0x6B, 1, 8383}, {0x6C, 7, -32}, {0x73, 1, 268},
    {0x74, 7, -32}, {0xB5, 1, 743}, {0xC0, 23, 32}, {0xD8, 7, 32}, {0xDF, 1, 7615}, {0xE0, 5, -32},
    {0xE5, 1, 8262}, {0xE6, 17, -32}, {0xF8, 7, -32}, {0xFF, 1, 121}, {0x100, 48, 0},
    {0x132, 6, 0}, {0x139, 16, 0}, {0x14A, 46, 0}, {0x178, 1, -121}, {0x179, 6, 0},
    {0x17F, 1, -300}, {0x180, 1, 195}, {0x181, 1, 210}, {0x182, 4, 0}, {0x186, 1, 206},
    {0x187, 1, 1}, {0x188, 1, -1}, {0x189, 2, 205}, {0x18B, 1, 1}, {0x18C, 1, -1}, {0x18E, 1, 79},
    {0x18F, 1, 202}, {0x190, 1, 203}, {0x191, 1, 1}, {0x192, 1, -1}, {0x193, 1, 205},
    {0x194, 1, 207}, {0x195, 1, 97}, {0x196, 1, 211}, {0x197, 1, 209}, {0x198, 1, 1},
    {0x199, 1, -1}, {0x19A, 1, 163}, {0x19C, 1, 211}, {0x19D, 1, 213}, {0x19E, 1, 130},
    {0x19F, 1, 214}, {0x1A0, 6, 0}, {0x1A6, 1, 218}, {0x1A7, 1, 1}, {0x1A8, 1, -1},
    {0x1A9, 1, 218}, {0x1AC, 1, 1}, {0x1AD, 1, -1}, {0x1AE, 1, 218}, {0x1AF, 1, 1}, {0x1B0, 1, -1},
    {0x1B1, 2, 217}, {0x1B3, 4, 0}, {0x1B7, 1, 219}, {0x1B8, 1, 1}, {0x1B9, 1, -1}, {0x1BC, 1, 1},
    {0x1BD, 1, -1}, {0x1BF, 1, 56}, {0x1C4, 2, 1}, {0x1C6, 1, -2}, {0x1C7, 2, 1}, {0x1C9, 1, -2},
    {0x1CA, 2, 1}, {0x1CC, 1, -2}, {0x1CD, 16, 0}, {0x1DD, 1, -79}, {0x1DE, 18, 0}, {0x1F1, 2, 1},
    {0x1F3, 1, -2}, {0x1F4, 1, 1}, {0x1F5, 1, -1}, {0x1F6, 1, -97}, {0x1F7, 1, -56},
    {0x1F8, 40, 0}, {0x220, 1, -130}, {0x222, 18, 0}, {0x23A, 1, 10795}, {0x23B, 1, 1},
    {0x23C, 1, -1}, {0x23D, 1, -163}, {0x23E, 1, 10792}, {0x23F, 2, 10815}, {0x241, 1, 1},
    {0x242, 1, -1}, {0x243, 1, -195}, {0x244, 1, 69}, {0x245, 1, 71}, {0x246, 10, 0},
    {0x250, 1, 10783}, {0x251, 1, 10780}, {0x252, 1, 10782}, {0x253, 1, -210}, {0x254, 1, -206},
    {0x256, 2, -205}, {0x259, 1, -202}, {0x25B, 1, -203}, {0x25C, 1, 42319}, {0x260, 1, -205},
    {0x261, 1, 42315}, {0x263, 1, -207}, {0x265, 1, 42280}, {0x266, 1, 42308}, {0x268, 1, -209},
    {0x269, 1, -211}, {0x26A, 1, 42308}, {0x26B, 1, 10743}, {0x26C, 1, 42305}, {0x26F, 1, -211},
    {0x271, 1, 10749}, {0x272, 1, -213}, {0x275, 1, -214}, {0x27D, 1, 10727}, {0x280, 1, -218},
    {0x282, 1, 42307}, {0x283, 1, -218}, {0x287, 1, 42282}, {0x288, 1, -218}, {0x289, 1, -69},
    {0x28A, 2, -217}, {0x28C, 1, -71}, {0x292, 1, -219}, {0x29D, 1, 42261}, {0x29E, 1, 42258},
    {0x345, 1, 84}, {0x370, 4, 0}, {0x376, 1, 1}, {0x377, 1, -1}, {0x37B, 3, 130}, {0x37F, 1, 116},
    {0x386, 1, 38}, {0x388, 3, 37}, {0x38C, 1, 64}, {0x38E, 2, 63}, {0x391, 17, 32},
    {0x3A3, 1, 31}, {0x3A4, 8, 32}, {0x3AC, 1, -38}, {0x3AD, 3, -37}, {0x3B1, 1, -32},
    {0x3B2, 1, 30}, {0x3B3, 2, -32}, {0x3B5, 1, 64}, {0x3B6, 2, -32}, {0x3B8, 1, 25},
    {0x3B9, 1, 7173}, {0x3BA, 1, 54}, {0x3BB, 1, -32}, {0x3BC, 1, -775}, {0x3BD, 3, -32},
    {0x3C0, 1, 22}, {0x3C1, 1, 48}, {0x3C2, 1, 1}, {0x3C3, 3, -32}, {0x3C6, 1, 15},
    {0x3C7, 2, -32}, {0x3C9, 1, 7517}, {0x3CA, 2, -32}, {0x3CC, 1, -64}, {0x3CD, 2, -63},
    {0x3CF, 1, 8}, {0x3D0, 1, -62}, {0x3D1, 1, 35}, {0x3D5, 1, -47}, {0x3D6, 1, -54},
    {0x3D7, 1, -8}, {0x3D8, 24, 0}, {0x3F0, 1, -86}, {0x3F1, 1, -80}, {0x3F2, 1, 7},
    {0x3F3, 1, -116}, {0x3F4, 1, -92}, {0x3F5, 1, -96}, {0x3F7, 1, 1}, {0x3F8, 1, -1},
    {0x3F9, 1, -7}, {0x3FA, 1, 1}, {0x3FB, 1, -1}, {0x3FD, 3, -130}, {0x400, 16, 80},
    {0x410, 32, 32}, {0x430, 2, -32}, {0x432, 1, 6222}, {0x433, 1, -32}, {0x434, 1, 6221},
    {0x435, 9, -32}, {0x43E, 1, 6212}, {0x43F, 2, -32}, {0x441, 2, 6210}, {0x443, 7, -32},
    {0x44A, 1, 6204}, {0x44B, 5, -32}, {0x450, 16, -80}, {0x460, 1, 1}, {0x461, 1, -1},
    {0x462, 1, 1}, {0x463, 1, 6180}, {0x464, 30, 0}, {0x48A, 54, 0}, {0x4C0, 1, 15},
    {0x4C1, 14, 0}, {0x4CF, 1, -15}, {0x4D0, 96, 0}, {0x531, 38, 48}, {0x561, 38, -48},
    {0x10A0, 38, 7264}, {0x10C7, 1, 7264}, {0x10CD, 1, 7264}, {0x10D0, 43, 3008},
    {0x10FD, 3, 3008}, {0x13A0, 80, 38864}, {0x13F0, 6, 8}, {0x13F8, 6, -8}, {0x1C80, 1, -6254},
    {0x1C81, 1, -6253}, {0x1C82, 1, -6244}, {0x1C83, 1, -6242}, {0x1C84, 1, 1}, {0x1C85, 1, -6243},
    {0x1C86, 1, -6236}, {0x1C87, 1, -6181}, {0x1C88, 1, 35266}, {0x1C90, 43, -3008},
    {0x1CBD, 3, -3008}, {0x1D79, 1, 35332}, {0x1D7D, 1, 3814}, {0x1D8E, 1, 35384}, {0x1E00, 96, 0},
    {0x1E60, 1, 1}, {0x1E61, 1, 58}, {0x1E62, 52, 0}, {0x1E9B, 1, -59}, {0x1E9E, 1, -7615},
    {0x1EA0, 96, 0}, {0x1F00, 8, 8}, {0x1F08, 8, -8}, {0x1F10, 6, 8}, {0x1F18, 6, -8},
    {0x1F20, 8, 8}, {0x1F28, 8, -8}, {0x1F30, 8, 8}, {0x1F38, 8, -8}, {0x1F40, 6, 8},
    {0x1F48, 6, -8}, {0x1F51, 1, 8}, {0x1F53, 1, 8}, {0x1F55, 1, 8}, {0x1F57, 1, 8},
    {0x1F59, 1, -8}, {0x1F5B, 1, -8}, {0x1F5D, 1, -8}, {0x1F5F, 1, -8}, {0x1F60, 8, 8},
    {0x1F68, 8, -8}, {0x1F70, 2, 74}, {0x1F72, 4, 86}, {0x1F76, 2, 100}, {0x1F78, 2, 128},
    {0x1F7A, 2, 112}, {0x1F7C, 2, 126}, {0x1F80, 8, 8}, {0x1F88, 8, -8}, {0x1F90, 8, 8},
    {0x1F98, 8, -8}, {0x1FA0, 8, 8}, {0x1FA8, 8, -8}, {0x1FB0, 2, 8}, {0x1FB3, 1, 9},
    {0x1FB8, 2, -8}, {0x1FBA, 2, -74}, {0x1FBC, 1, -9}, {0x1FBE, 1, -7289}, {0x1FC3, 1, 9},
    {0x1FC8, 4, -86}, {0x1FCC, 1, -9}, {0x1FD0, 2, 8}, {0x1FD8, 2, -8}, {0x1FDA, 2, -100},
    {0x1FE0, 2, 8}, {0x1FE5, 1, 7}, {0x1FE8, 2, -8}, {0x1FEA, 2, -112}, {0x1FEC, 1, -7},
    {0x1FF3, 1, 9}, {0x1FF8, 2, -128}, {0x1FFA, 2, -126}, {0x1FFC, 1, -9}, {0x2126, 1, -7549},
    {0x212A, 1, -8415}, {0x212B, 1, -8294}, {0x2132, 1, 28}, {0x214E, 1, -28}, {0x2160, 16, 16},
    {0x2170, 16, -16}, {0x2183, 1, 1}, {0x2184, 1, -1}, {0x24B6, 26, 26}, {0x24D0, 26, -26},
    {0x2C00, 48, 48}, {0x2C30, 48, -48}, {0x2C60, 1, 1}, {0x2C61, 1, -1}, {0x2C62, 1, -10743},
    {0x2C63, 1, -3814}, {0x2C64, 1, -10727}, {0x2C65, 1, -10795}, {0x2C66, 1, -10792},
    {0x2C67, 6, 0}, {0x2C6D, 1, -10780}, {0x2C6E, 1, -10749}, {0x2C6F, 1, -10783},
    {0x2C70, 1, -10782}, {0x2C72, 1, 1}, {0x2C73, 1, -1}, {0x2C75, 1, 1}, {0x2C76, 1, -1},
    {0x2C7E, 2, -10815}, {0x2C80, 100, 0}, {0x2CEB, 4, 0}, {0x2CF2, 1, 1}, {0x2CF3, 1, -1},
    {0x2D00, 38, -7264}, {0x2D27, 1, -7264}, {0x2D2D, 1, -7264}, {0xA640, 10, 0}, {0xA64A, 1, 1},
    {0xA64B, 1, -35267}, {0xA64C, 34, 0}, {0xA680, 28, 0}, {0xA722, 14, 0}, {0xA732, 62, 0},
    {0xA779, 4, 0}, {0xA77D, 1, -35332}, {0xA77E, 10, 0}, {0xA78B, 1, 1}, {0xA78C, 1, -1},
    {0xA78D, 1, -42280}, {0xA790, 4, 0}, {0xA794, 1, 48}, {0xA796, 20, 0}, {0xA7AA, 1, -42308},
    {0xA7AB, 1, -42319}, {0xA7AC, 1, -42315}, {0xA7AD, 1, -42305}, {0xA7AE, 1, -42308},
    {0xA7B0, 1, -42258}, {0xA7B1, 1, -42282}, {0xA7B2, 1, -42261}, {0xA7B3, 1, 928},
    {0xA7B4, 16, 0}, {0xA7C4, 1, -48}, {0xA7C5, 1, -42307}, {0xA7C6, 1, -35384}, {0xA7C7, 4, 0},
    {0xA7D0, 1, 1}, {0xA7D1, 1, -1}, {0xA7D6, 4, 0}, {0xA7F5, 1, 1}, {0xA7F6, 1, -1},
    {0xAB53, 1, -928}, {0xAB70, 80, -38864}, {0xFF21, 26, 32}, {0xFF41, 26, -32},
    {0x10400, 40, 40}, {0x10428, 40, -40}, {0x104B0, 36, 40}, {0x104D8, 36, -40},
    {0x10570, 11, 39}, {0x1057C, 15, 39}, {0x1058C, 7, 39}, {0x10594, 2, 39}, {0x10597, 11, -39},
    {0x105A3, 15, -39}, {0x105B3, 7, -39}, {0x105BB, 2, -39}, {0x10C80, 51, 64},
    {0x10CC0, 51, -64}, {0x118A0, 32, 32}, {0x118C0, 32, -32}, {0x16E40, 32, 32},
    {0x16E60, 32, -32}, {0x1E900, 34, 34}, {0x1E922, 34, -34}
};
// clang-format on
inline constexpr std::int32_t kMinFold = 0x41;
inline constexpr std::int32_t kMaxFold = 0x1E943;

// The next rune of r's case-folding orbit, r itself when it has none.
inline std::int32_t SimpleFold(std::int32_t r) {
  if (r < kMinFold || r > kMaxFold) return r;
  std::size_t lo = 0, hi = std::size(kFoldRuns);
  while (lo < hi) {  // the first run starting after r
    std::size_t mid = (lo + hi) / 2;
    if (static_cast<std::int32_t>(kFoldRuns[mid].lo) <= r) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == 0) return r;
  const FoldRun& run = kFoldRuns[lo - 1];
  std::int32_t offset = r - static_cast<std::int32_t>(run.lo);
  if (offset >= static_cast<std::int32_t>(run.len)) return r;
  if (run.delta == 0) return (offset & 1) ? r - 1 : r + 1;
  return r + run.delta;
}

// --- Character classes: lists of rune ranges. ---

struct RuneRange {
  std::int32_t lo, hi;
};
using Ranges = std::vector<RuneRange>;

inline void AddRange(Ranges& r, std::int32_t lo, std::int32_t hi) { r.push_back({lo, hi}); }

// Adds [lo, hi] and every rune case-equivalent to one of its runes (Go's appendFoldedRange).
inline void AddFoldedRange(Ranges& r, std::int32_t lo, std::int32_t hi) {
  AddRange(r, lo, hi);
  if (lo <= kMinFold && hi >= kMaxFold) return;  // holds every rune that folds
  // The runs are sorted: start at the first one that does not end before `lo`.
  const FoldRun* run = std::partition_point(
      std::begin(kFoldRuns), std::end(kFoldRuns),
      [lo](const FoldRun& f) { return static_cast<std::int32_t>(f.lo + f.len) <= lo; });
  for (; run != std::end(kFoldRuns) && static_cast<std::int32_t>(run->lo) <= hi; ++run) {
    std::int32_t first = std::max<std::int32_t>(lo, run->lo);
    std::int32_t last = std::min<std::int32_t>(hi, run->lo + run->len - 1);
    for (std::int32_t c = first; c <= last; ++c) {
      for (std::int32_t f = SimpleFold(c); f != c; f = SimpleFold(f)) AddRange(r, f, f);
    }
  }
}

// Adds `c`, with its case-equivalents when `fold`.
inline void AddLiteral(Ranges& r, std::int32_t c, bool fold) {
  if (fold) {
    AddFoldedRange(r, c, c);
  } else {
    AddRange(r, c, c);
  }
}

// Sorts and merges overlapping or adjacent ranges.
inline void Clean(Ranges& r) {
  // A heap sort rather than std::sort: as fast on classes this size, and a fraction of
  // introsort's ~2.5 KB of helpers in every wasm module with a regex. (Equal `lo`s may come out
  // in any order: the merge below keeps the widest.)
  auto by_lo = [](const RuneRange& a, const RuneRange& b) { return a.lo < b.lo; };
  std::make_heap(r.begin(), r.end(), by_lo);
  std::sort_heap(r.begin(), r.end(), by_lo);
  std::size_t out = 0;
  for (const RuneRange& x : r) {
    if (out > 0 && x.lo <= r[out - 1].hi + 1) {
      r[out - 1].hi = std::max(r[out - 1].hi, x.hi);
    } else {
      r[out++] = x;
    }
  }
  r.resize(out);
}

// The complement of a clean class within [0, kMaxRune].
inline Ranges Negate(const Ranges& r) {
  Ranges out;
  std::int32_t next = 0;
  for (const RuneRange& x : r) {
    if (x.lo > next) AddRange(out, next, x.lo - 1);
    next = x.hi + 1;
  }
  if (next <= kMaxRune) AddRange(out, next, kMaxRune);
  return out;
}

// The ASCII classes of Perl (`\d`) and POSIX (`[:alpha:]`): ranges as byte pairs.
struct Group {
  std::string_view name;
  std::string_view ranges;
};
inline constexpr Group kPerlGroups[] = {
    {"d", "09"},
    {"s", "\t\n\f\r  "},
    {"w", "09AZ__az"},
};
inline constexpr Group kPosixGroups[] = {
    {"alnum", "09AZaz"},
    {"alpha", "AZaz"},
    {"ascii", std::string_view("\0\x7f", 2)},
    {"blank", "\t\t  "},
    {"cntrl", std::string_view("\0\x1f\x7f\x7f", 4)},
    {"digit", "09"},
    {"graph", "!~"},
    {"lower", "az"},
    {"print", " ~"},
    {"punct", "!/:@[`{~"},
    {"space", "\t\r  "},
    {"upper", "AZ"},
    {"word", "09AZ__az"},
    {"xdigit", "09AFaf"},
};

// Adds the group's runes (or, when `negate`, all others) to `r`; under (?i) the group is first
// closed under case folding, as Go does (so `(?i)\W` excludes U+017F, which folds to `s`).
inline void AddGroup(Ranges& r, std::string_view group, bool negate, bool fold) {
  Ranges tmp;
  for (std::size_t i = 0; i + 1 < group.size(); i += 2) {
    auto lo = static_cast<unsigned char>(group[i]), hi = static_cast<unsigned char>(group[i + 1]);
    if (fold) {
      AddFoldedRange(tmp, lo, hi);
    } else {
      AddRange(tmp, lo, hi);
    }
  }
  Clean(tmp);
  if (negate) tmp = Negate(tmp);
  r.insert(r.end(), tmp.begin(), tmp.end());
}

inline bool ClassContains(const Ranges& r, std::int32_t c) {
  return std::any_of(r.begin(), r.end(),
                     [c](const RuneRange& x) { return x.lo <= c && c <= x.hi; });
}

// --- The parse tree. ---

// In Go's order: SwapVerticalBar merges the "simpler" class-like operand into the other.
enum class Op : std::uint8_t {
  kNoMatch,
  kEmptyMatch,
  kLiteral,  // a string: Tree::literals[rune_begin, rune_begin + rune_count)
  kCharClass,
  kAnyCharNotNL,
  kAnyChar,
  kBeginLine,
  kEndLine,
  kBeginText,
  kEndText,
  kWordBoundary,
  kNoWordBoundary,
  kCapture,
  kStar,
  kPlus,
  kQuest,
  kRepeat,
  kConcat,
  kAlternate,
  // Pseudo-operators: markers on the parse stack only.
  kLeftParen,
  kVerticalBar,
};

// Parser flags (Go's syntax.Flags subset that varies; ClassNL, PerlX and UnicodeGroups are
// always on, as in regexp.Compile).
inline constexpr std::uint8_t kFoldCase = 1;
inline constexpr std::uint8_t kDotNL = 2;
inline constexpr std::uint8_t kOneLine = 4;
inline constexpr std::uint8_t kNonGreedy = 8;

struct Node {
  Op op = Op::kNoMatch;
  std::uint8_t flags = 0;  // the parser flags when created; for kLeftParen, those to restore
  std::int32_t min = 0;    // repetition bounds (max -1: unbounded); kLeftParen: capture index
  std::int32_t max = 0;
  std::uint32_t height = 1;  // Go's calcHeight and calcSize, kept up to date bottom-up
  std::int64_t size = 1;
  std::uint32_t rune_begin = 0;  // kLiteral
  std::uint32_t rune_count = 0;
  std::vector<std::uint32_t> subs;
  Ranges ranges;  // kCharClass
};

// A parse tree: its nodes, and the runes of its literal strings (kept apart so that a string
// costs no allocation of its own).
struct Tree {
  std::vector<Node> nodes;
  std::vector<std::int32_t> literals;
};

enum class ErrorCode : std::uint8_t {
  kMissingBracket,
  kMissingParen,
  kUnexpectedParen,
  kInvalidEscape,
  kInvalidCharRange,
  kMissingRepeatArgument,
  kInvalidRepeatOp,
  kInvalidRepeatSize,
  kInvalidPerlOp,
  kInvalidNamedCapture,
  kInvalidUTF8,
  kTrailingBackslash,
  kNestingDepth,
  kLarge,
};

inline std::string_view ErrorReason(ErrorCode code) {
  static constexpr std::string_view kReasons[] = {
      "missing closing ]",
      "missing closing )",
      "unexpected )",
      "invalid escape sequence",
      "invalid character class range",
      "missing argument to repetition operator",
      "invalid nested repetition operator",
      "invalid repeat count",
      "invalid or unsupported Perl syntax",
      "invalid named capture",
      "invalid UTF-8",
      "trailing backslash at end of expression",
      "expression nests too deeply",
      "expression too large",
  };
  return kReasons[static_cast<int>(code)];
}

inline bool IsAsciiDigit(std::int32_t c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiAlnum(std::int32_t c) {
  return IsAsciiDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
inline int Unhex(std::int32_t c) {
  if (IsAsciiDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// --- Letters and digits (Go's unicode.IsLetter and unicode.IsDigit), for Expand's names. ---

// The non-ASCII runes of categories L and Nd, as sorted ranges: a `$name` in a replacement
// template runs over them (Go's regexp.Expand), so `$1é` names the group `1é`, not group 1.
// Generated from the Unicode 15.0 character database, the version of Go's tables.
// clang-format off
inline constexpr RuneRange kLettersAndDigits[] = {
    {0xAA, 0xAA}, {0xB5, 0xB5}, {0xBA, 0xBA}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x2C1},
    {0x2C6, 0x2D1}, {0x2E0, 0x2E4}, {0x2EC, 0x2EC}, {0x2EE, 0x2EE}, {0x370, 0x374}, {0x376, 0x377},
    {0x37A, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C}, {0x38E, 0x3A1},
    {0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556}, {0x559, 0x559}, {0x560, 0x588},
    {0x5D0, 0x5EA}, {0x5EF, 0x5F2}, {0x620, 0x64A}, {0x660, 0x669}, {0x66E, 0x66F}, {0x671, 0x6D3},
    {0x6D5, 0x6D5}, {0x6E5, 0x6E6}, {0x6EE, 0x6FC}, {0x6FF, 0x6FF}, {0x710, 0x710}, {0x712, 0x72F},
    {0x74D, 0x7A5}, {0x7B1, 0x7B1}, {0x7C0, 0x7EA}, {0x7F4, 0x7F5}, {0x7FA, 0x7FA}, {0x800, 0x815},
    {0x81A, 0x81A}, {0x824, 0x824}, {0x828, 0x828}, {0x840, 0x858}, {0x860, 0x86A}, {0x870, 0x887},
    {0x889, 0x88E}, {0x8A0, 0x8C9}, {0x904, 0x939}, {0x93D, 0x93D}, {0x950, 0x950}, {0x958, 0x961},
    {0x966, 0x96F}, {0x971, 0x980}, {0x985, 0x98C}, {0x98F, 0x990}, {0x993, 0x9A8}, {0x9AA, 0x9B0},
    {0x9B2, 0x9B2}, {0x9B6, 0x9B9}, {0x9BD, 0x9BD}, {0x9CE, 0x9CE}, {0x9DC, 0x9DD}, {0x9DF, 0x9E1},
    {0x9E6, 0x9F1}, {0x9FC, 0x9FC}, {0xA05, 0xA0A}, {0xA0F, 0xA10}, {0xA13, 0xA28}, {0xA2A, 0xA30},
    {0xA32, 0xA33}, {0xA35, 0xA36}, {0xA38, 0xA39}, {0xA59, 0xA5C}, {0xA5E, 0xA5E}, {0xA66, 0xA6F},
    {0xA72, 0xA74}, {0xA85, 0xA8D}, {0xA8F, 0xA91}, {0xA93, 0xAA8}, {0xAAA, 0xAB0}, {0xAB2, 0xAB3},
    {0xAB5, 0xAB9}, {0xABD, 0xABD}, {0xAD0, 0xAD0}, {0xAE0, 0xAE1}, {0xAE6, 0xAEF}, {0xAF9, 0xAF9},
    {0xB05, 0xB0C}, {0xB0F, 0xB10}, {0xB13, 0xB28}, {0xB2A, 0xB30}, {0xB32, 0xB33}, {0xB35, 0xB39},
    {0xB3D, 0xB3D}, {0xB5C, 0xB5D}, {0xB5F, 0xB61}, {0xB66, 0xB6F}, {0xB71, 0xB71}, {0xB83, 0xB83},
    {0xB85, 0xB8A}, {0xB8E, 0xB90}, {0xB92, 0xB95}, {0xB99, 0xB9A}, {0xB9C, 0xB9C}, {0xB9E, 0xB9F},
    {0xBA3, 0xBA4}, {0xBA8, 0xBAA}, {0xBAE, 0xBB9}, {0xBD0, 0xBD0}, {0xBE6, 0xBEF}, {0xC05, 0xC0C},
    {0xC0E, 0xC10}, {0xC12, 0xC28}, {0xC2A, 0xC39}, {0xC3D, 0xC3D}, {0xC58, 0xC5A}, {0xC5D, 0xC5D},
    {0xC60, 0xC61}, {0xC66, 0xC6F}, {0xC80, 0xC80}, {0xC85, 0xC8C}, {0xC8E, 0xC90}, {0xC92, 0xCA8},
    {0xCAA, 0xCB3}, {0xCB5, 0xCB9}, {0xCBD, 0xCBD}, {0xCDD, 0xCDE}, {0xCE0, 0xCE1}, {0xCE6, 0xCEF},
    {0xCF1, 0xCF2}, {0xD04, 0xD0C}, {0xD0E, 0xD10}, {0xD12, 0xD3A}, {0xD3D, 0xD3D}, {0xD4E, 0xD4E},
    {0xD54, 0xD56}, {0xD5F, 0xD61}, {0xD66, 0xD6F}, {0xD7A, 0xD7F}, {0xD85, 0xD96}, {0xD9A, 0xDB1},
    {0xDB3, 0xDBB}, {0xDBD, 0xDBD}, {0xDC0, 0xDC6}, {0xDE6, 0xDEF}, {0xE01, 0xE30}, {0xE32, 0xE33},
    {0xE40, 0xE46}, {0xE50, 0xE59}, {0xE81, 0xE82}, {0xE84, 0xE84}, {0xE86, 0xE8A}, {0xE8C, 0xEA3},
    {0xEA5, 0xEA5}, {0xEA7, 0xEB0}, {0xEB2, 0xEB3}, {0xEBD, 0xEBD}, {0xEC0, 0xEC4}, {0xEC6, 0xEC6},
    {0xED0, 0xED9}, {0xEDC, 0xEDF}, {0xF00, 0xF00}, {0xF20, 0xF29}, {0xF40, 0xF47}, {0xF49, 0xF6C},
    {0xF88, 0xF8C}, {0x1000, 0x102A}, {0x103F, 0x1049}, {0x1050, 0x1055}, {0x105A, 0x105D},
    {0x1061, 0x1061}, {0x1065, 0x1066}, {0x106E, 0x1070}, {0x1075, 0x1081}, {0x108E, 0x108E},
    {0x1090, 0x1099}, {0x10A0, 0x10C5}, {0x10C7, 0x10C7}, {0x10CD, 0x10CD}, {0x10D0, 0x10FA},
    {0x10FC, 0x1248}, {0x124A, 0x124D}, {0x1250, 0x1256}, {0x1258, 0x1258}, {0x125A, 0x125D},
    {0x1260, 0x1288}, {0x128A, 0x128D}, {0x1290, 0x12B0}, {0x12B2, 0x12B5}, {0x12B8, 0x12BE},
    {0x12C0, 0x12C0}, {0x12C2, 0x12C5}, {0x12C8, 0x12D6}, {0x12D8, 0x1310}, {0x1312, 0x1315},
    {0x1318, 0x135A}, {0x1380, 0x138F}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1401, 0x166C},
    {0x166F, 0x167F}, {0x1681, 0x169A}, {0x16A0, 0x16EA}, {0x16F1, 0x16F8}, {0x1700, 0x1711},
    {0x171F, 0x1731}, {0x1740, 0x1751}, {0x1760, 0x176C}, {0x176E, 0x1770}, {0x1780, 0x17B3},
    {0x17D7, 0x17D7}, {0x17DC, 0x17DC}, {0x17E0, 0x17E9}, {0x1810, 0x1819}, {0x1820, 0x1878},
    {0x1880, 0x1884}, {0x1887, 0x18A8}, {0x18AA, 0x18AA}, {0x18B0, 0x18F5}, {0x1900, 0x191E},
    {0x1946, 0x196D}, {0x1970, 0x1974}, {0x1980, 0x19AB}, {0x19B0, 0x19C9}, {0x19D0, 0x19D9},
    {0x1A00, 0x1A16}, {0x1A20, 0x1A54}, {0x1A80, 0x1A89}, {0x1A90, 0x1A99}, {0x1AA7, 0x1AA7},
    {0x1B05, 0x1B33}, {0x1B45, 0x1B4C}, {0x1B50, 0x1B59}, {0x1B83, 0x1BA0}, {0x1BAE, 0x1BE5},
    {0x1C00, 0x1C23}, {0x1C40, 0x1C49}, {0x1C4D, 0x1C7D}, {0x1C80, 0x1C88}, {0x1C90, 0x1CBA},
    {0x1CBD, 0x1CBF}, {0x1CE9, 0x1CEC}, {0x1CEE, 0x1CF3}, {0x1CF5, 0x1CF6}, {0x1CFA, 0x1CFA},
    {0x1D00, 0x1DBF}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D},
    {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D},
    {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC},
    {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC},
    {0x2071, 0x2071}, {0x207F, 0x207F}, {0x2090, 0x209C}, {0x2102, 0x2102}, {0x2107, 0x2107},
    {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126},
    {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
    {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3},
    {0x2D00, 0x2D25}, {0x2D27, 0x2D27}, {0x2D2D, 0x2D2D}, {0x2D30, 0x2D67}, {0x2D6F, 0x2D6F},
    {0x2D80, 0x2D96}, {0x2DA0, 0x2DA6}, {0x2DA8, 0x2DAE}, {0x2DB0, 0x2DB6}, {0x2DB8, 0x2DBE},
    {0x2DC0, 0x2DC6}, {0x2DC8, 0x2DCE}, {0x2DD0, 0x2DD6}, {0x2DD8, 0x2DDE}, {0x2E2F, 0x2E2F},
    {0x3005, 0x3006}, {0x3031, 0x3035}, {0x303B, 0x303C}, {0x3041, 0x3096}, {0x309D, 0x309F},
    {0x30A1, 0x30FA}, {0x30FC, 0x30FF}, {0x3105, 0x312F}, {0x3131, 0x318E}, {0x31A0, 0x31BF},
    {0x31F0, 0x31FF}, {0x3400, 0x4DBF}, {0x4E00, 0xA48C}, {0xA4D0, 0xA4FD}, {0xA500, 0xA60C},
    {0xA610, 0xA62B}, {0xA640, 0xA66E}, {0xA67F, 0xA69D}, {0xA6A0, 0xA6E5}, {0xA717, 0xA71F},
    {0xA722, 0xA788}, {0xA78B, 0xA7CA}, {0xA7D0, 0xA7D1}, {0xA7D3, 0xA7D3}, {0xA7D5, 0xA7D9},
    {0xA7F2, 0xA801}, {0xA803, 0xA805}, {0xA807, 0xA80A}, {0xA80C, 0xA822}, {0xA840, 0xA873},
    {0xA882, 0xA8B3}, {0xA8D0, 0xA8D9}, {0xA8F2, 0xA8F7}, {0xA8FB, 0xA8FB}, {0xA8FD, 0xA8FE},
    {0xA900, 0xA925}, {0xA930, 0xA946}, {0xA960, 0xA97C}, {0xA984, 0xA9B2}, {0xA9CF, 0xA9D9},
    {0xA9E0, 0xA9E4}, {0xA9E6, 0xA9FE}, {0xAA00, 0xAA28}, {0xAA40, 0xAA42}, {0xAA44, 0xAA4B},
    {0xAA50, 0xAA59}, {0xAA60, 0xAA76}, {0xAA7A, 0xAA7A}, {0xAA7E, 0xAAAF}, {0xAAB1, 0xAAB1},
    {0xAAB5, 0xAAB6}, {0xAAB9, 0xAABD}, {0xAAC0, 0xAAC0}, {0xAAC2, 0xAAC2}, {0xAADB, 0xAADD},
    {0xAAE0, 0xAAEA}, {0xAAF2, 0xAAF4}, {0xAB01, 0xAB06}, {0xAB09, 0xAB0E}, {0xAB11, 0xAB16},
    {0xAB20, 0xAB26}, {0xAB28, 0xAB2E}, {0xAB30, 0xAB5A}, {0xAB5C, 0xAB69}, {0xAB70, 0xABE2},
    {0xABF0, 0xABF9}, {0xAC00, 0xD7A3}, {0xD7B0, 0xD7C6}, {0xD7CB, 0xD7FB}, {0xF900, 0xFA6D},
    {0xFA70, 0xFAD9}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFB1D, 0xFB1D}, {0xFB1F, 0xFB28},
    {0xFB2A, 0xFB36}, {0xFB38, 0xFB3C}, {0xFB3E, 0xFB3E}, {0xFB40, 0xFB41}, {0xFB43, 0xFB44},
    {0xFB46, 0xFBB1}, {0xFBD3, 0xFD3D}, {0xFD50, 0xFD8F}, {0xFD92, 0xFDC7}, {0xFDF0, 0xFDFB},
    {0xFE70, 0xFE74}, {0xFE76, 0xFEFC}, {0xFF10, 0xFF19}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A},
    {0xFF66, 0xFFBE}, {0xFFC2, 0xFFC7}, {0xFFCA, 0xFFCF}, {0xFFD2, 0xFFD7}, {0xFFDA, 0xFFDC},
    {0x10000, 0x1000B}, {0x1000D, 0x10026}, {0x10028, 0x1003A}, {0x1003C, 0x1003D},
    {0x1003F, 0x1004D}, {0x10050, 0x1005D}, {0x10080, 0x100FA}, {0x10280, 0x1029C},
    {0x102A0, 0x102D0}, {0x10300, 0x1031F}, {0x1032D, 0x10340}, {0x10342, 0x10349},
    {0x10350, 0x10375}, {0x10380, 0x1039D}, {0x103A0, 0x103C3}, {0x103C8, 0x103CF},
    {0x10400, 0x1049D}, {0x104A0, 0x104A9}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10500, 0x10527}, {0x10530, 0x10563}, {0x10570, 0x1057A}, {0x1057C, 0x1058A},
    {0x1058C, 0x10592}, {0x10594, 0x10595}, {0x10597, 0x105A1}, {0x105A3, 0x105B1},
    {0x105B3, 0x105B9}, {0x105BB, 0x105BC}, {0x10600, 0x10736}, {0x10740, 0x10755},
    {0x10760, 0x10767}, {0x10780, 0x10785}, {0x10787, 0x107B0}, {0x107B2, 0x107BA},
    {0x10800, 0x10805}, {0x10808, 0x10808}, {0x1080A, 0x10835}, {0x10837, 0x10838},
    {0x1083C, 0x1083C}, {0x1083F, 0x10855}, {0x10860, 0x10876}, {0x10880, 0x1089E},
    {0x108E0, 0x108F2}, {0x108F4, 0x108F5}, {0x10900, 0x10915}, {0x10920, 0x10939},
    {0x10980, 0x109B7}, {0x109BE, 0x109BF}, {0x10A00, 0x10A00}, {0x10A10, 0x10A13},
    {0x10A15, 0x10A17}, {0x10A19, 0x10A35}, {0x10A60, 0x10A7C}, {0x10A80, 0x10A9C},
    {0x10AC0, 0x10AC7}, {0x10AC9, 0x10AE4}, {0x10B00, 0x10B35}, {0x10B40, 0x10B55},
    {0x10B60, 0x10B72}, {0x10B80, 0x10B91}, {0x10C00, 0x10C48}, {0x10C80, 0x10CB2},
    {0x10CC0, 0x10CF2}, {0x10D00, 0x10D23}, {0x10D30, 0x10D39}, {0x10E80, 0x10EA9},
    {0x10EB0, 0x10EB1}, {0x10F00, 0x10F1C}, {0x10F27, 0x10F27}, {0x10F30, 0x10F45},
    {0x10F70, 0x10F81}, {0x10FB0, 0x10FC4}, {0x10FE0, 0x10FF6}, {0x11003, 0x11037},
    {0x11066, 0x1106F}, {0x11071, 0x11072}, {0x11075, 0x11075}, {0x11083, 0x110AF},
    {0x110D0, 0x110E8}, {0x110F0, 0x110F9}, {0x11103, 0x11126}, {0x11136, 0x1113F},
    {0x11144, 0x11144}, {0x11147, 0x11147}, {0x11150, 0x11172}, {0x11176, 0x11176},
    {0x11183, 0x111B2}, {0x111C1, 0x111C4}, {0x111D0, 0x111DA}, {0x111DC, 0x111DC},
    {0x11200, 0x11211}, {0x11213, 0x1122B}, {0x1123F, 0x11240}, {0x11280, 0x11286},
    {0x11288, 0x11288}, {0x1128A, 0x1128D}, {0x1128F, 0x1129D}, {0x1129F, 0x112A8},
    {0x112B0, 0x112DE}, {0x112F0, 0x112F9}, {0x11305, 0x1130C}, {0x1130F, 0x11310},
    {0x11313, 0x11328}, {0x1132A, 0x11330}, {0x11332, 0x11333}, {0x11335, 0x11339},
    {0x1133D, 0x1133D}, {0x11350, 0x11350}, {0x1135D, 0x11361}, {0x11400, 0x11434},
    {0x11447, 0x1144A}, {0x11450, 0x11459}, {0x1145F, 0x11461}, {0x11480, 0x114AF},
    {0x114C4, 0x114C5}, {0x114C7, 0x114C7}, {0x114D0, 0x114D9}, {0x11580, 0x115AE},
    {0x115D8, 0x115DB}, {0x11600, 0x1162F}, {0x11644, 0x11644}, {0x11650, 0x11659},
    {0x11680, 0x116AA}, {0x116B8, 0x116B8}, {0x116C0, 0x116C9}, {0x11700, 0x1171A},
    {0x11730, 0x11739}, {0x11740, 0x11746}, {0x11800, 0x1182B}, {0x118A0, 0x118E9},
    {0x118FF, 0x11906}, {0x11909, 0x11909}, {0x1190C, 0x11913}, {0x11915, 0x11916},
    {0x11918, 0x1192F}, {0x1193F, 0x1193F}, {0x11941, 0x11941}, {0x11950, 0x11959},
    {0x119A0, 0x119A7}, {0x119AA, 0x119D0}, {0x119E1, 0x119E1}, {0x119E3, 0x119E3},
    {0x11A00, 0x11A00}, {0x11A0B, 0x11A32}, {0x11A3A, 0x11A3A}, {0x11A50, 0x11A50},
    {0x11A5C, 0x11A89}, {0x11A9D, 0x11A9D}, {0x11AB0, 0x11AF8}, {0x11C00, 0x11C08},
    {0x11C0A, 0x11C2E}, {0x11C40, 0x11C40}, {0x11C50, 0x11C59}, {0x11C72, 0x11C8F},
    {0x11D00, 0x11D06}, {0x11D08, 0x11D09}, {0x11D0B, 0x11D30}, {0x11D46, 0x11D46},
    {0x11D50, 0x11D59}, {0x11D60, 0x11D65}, {0x11D67, 0x11D68}, {0x11D6A, 0x11D89},
    {0x11D98, 0x11D98}, {0x11DA0, 0x11DA9}, {0x11EE0, 0x11EF2}, {0x11F02, 0x11F02},
    {0x11F04, 0x11F10}, {0x11F12, 0x11F33}, {0x11F50, 0x11F59}, {0x11FB0, 0x11FB0},
    {0x12000, 0x12399}, {0x12480, 0x12543}, {0x12F90, 0x12FF0}, {0x13000, 0x1342F},
    {0x13441, 0x13446}, {0x14400, 0x14646}, {0x16800, 0x16A38}, {0x16A40, 0x16A5E},
    {0x16A60, 0x16A69}, {0x16A70, 0x16ABE}, {0x16AC0, 0x16AC9}, {0x16AD0, 0x16AED},
    {0x16B00, 0x16B2F}, {0x16B40, 0x16B43}, {0x16B50, 0x16B59}, {0x16B63, 0x16B77},
    {0x16B7D, 0x16B8F}, {0x16E40, 0x16E7F}, {0x16F00, 0x16F4A}, {0x16F50, 0x16F50},
    {0x16F93, 0x16F9F}, {0x16FE0, 0x16FE1}, {0x16FE3, 0x16FE3}, {0x17000, 0x187F7},
    {0x18800, 0x18CD5}, {0x18D00, 0x18D08}, {0x1AFF0, 0x1AFF3}, {0x1AFF5, 0x1AFFB},
    {0x1AFFD, 0x1AFFE}, {0x1B000, 0x1B122}, {0x1B132, 0x1B132}, {0x1B150, 0x1B152},
    {0x1B155, 0x1B155}, {0x1B164, 0x1B167}, {0x1B170, 0x1B2FB}, {0x1BC00, 0x1BC6A},
    {0x1BC70, 0x1BC7C}, {0x1BC80, 0x1BC88}, {0x1BC90, 0x1BC99}, {0x1D400, 0x1D454},
    {0x1D456, 0x1D49C}, {0x1D49E, 0x1D49F}, {0x1D4A2, 0x1D4A2}, {0x1D4A5, 0x1D4A6},
    {0x1D4A9, 0x1D4AC}, {0x1D4AE, 0x1D4B9}, {0x1D4BB, 0x1D4BB}, {0x1D4BD, 0x1D4C3},
    {0x1D4C5, 0x1D505}, {0x1D507, 0x1D50A}, {0x1D50D, 0x1D514}, {0x1D516, 0x1D51C},
    {0x1D51E, 0x1D539}, {0x1D53B, 0x1D53E}, {0x1D540, 0x1D544}, {0x1D546, 0x1D546},
    {0x1D54A, 0x1D550}, {0x1D552, 0x1D6A5}, {0x1D6A8, 0x1D6C0}, {0x1D6C2, 0x1D6DA},
    {0x1D6DC, 0x1D6FA}, {0x1D6FC, 0x1D714}, {0x1D716, 0x1D734}, {0x1D736, 0x1D74E},
    {0x1D750, 0x1D76E}, {0x1D770, 0x1D788}, {0x1D78A, 0x1D7A8}, {0x1D7AA, 0x1D7C2},
    {0x1D7C4, 0x1D7CB}, {0x1D7CE, 0x1D7FF}, {0x1DF00, 0x1DF1E}, {0x1DF25, 0x1DF2A},
    {0x1E030, 0x1E06D}, {0x1E100, 0x1E12C}, {0x1E137, 0x1E13D}, {0x1E140, 0x1E149},
    {0x1E14E, 0x1E14E}, {0x1E290, 0x1E2AD}, {0x1E2C0, 0x1E2EB}, {0x1E2F0, 0x1E2F9},
    {0x1E4D0, 0x1E4EB}, {0x1E4F0, 0x1E4F9}, {0x1E7E0, 0x1E7E6}, {0x1E7E8, 0x1E7EB},
    {0x1E7ED, 0x1E7EE}, {0x1E7F0, 0x1E7FE}, {0x1E800, 0x1E8C4}, {0x1E900, 0x1E943},
    {0x1E94B, 0x1E94B}, {0x1E950, 0x1E959}, {0x1EE00, 0x1EE03}, {0x1EE05, 0x1EE1F},
    {0x1EE21, 0x1EE22}, {0x1EE24, 0x1EE24}, {0x1EE27, 0x1EE27}, {0x1EE29, 0x1EE32},
    {0x1EE34, 0x1EE37}, {0x1EE39, 0x1EE39}, {0x1EE3B, 0x1EE3B}, {0x1EE42, 0x1EE42},
    {0x1EE47, 0x1EE47}, {0x1EE49, 0x1EE49}, {0x1EE4B, 0x1EE4B}, {0x1EE4D, 0x1EE4F},
    {0x1EE51, 0x1EE52}, {0x1EE54, 0x1EE54}, {0x1EE57, 0x1EE57}, {0x1EE59, 0x1EE59},
    {0x1EE5B, 0x1EE5B}, {0x1EE5D, 0x1EE5D}, {0x1EE5F, 0x1EE5F}, {0x1EE61, 0x1EE62},
    {0x1EE64, 0x1EE64}, {0x1EE67, 0x1EE6A}, {0x1EE6C, 0x1EE72}, {0x1EE74, 0x1EE77},
    {0x1EE79, 0x1EE7C}, {0x1EE7E, 0x1EE7E}, {0x1EE80, 0x1EE89}, {0x1EE8B, 0x1EE9B},
    {0x1EEA1, 0x1EEA3}, {0x1EEA5, 0x1EEA9}, {0x1EEAB, 0x1EEBB}, {0x1FBF0, 0x1FBF9},
    {0x20000, 0x2A6DF}, {0x2A700, 0x2B739}, {0x2B740, 0x2B81D}, {0x2B820, 0x2CEA1},
    {0x2CEB0, 0x2EBE0}, {0x2F800, 0x2FA1D}, {0x30000, 0x3134A}, {0x31350, 0x323AF}
};
// clang-format on

inline bool IsLetterOrDigit(std::int32_t r) {
  if (r < 0x80) return IsAsciiAlnum(r);
  const RuneRange* it = std::partition_point(
      std::begin(kLettersAndDigits), std::end(kLettersAndDigits),
      [r](const RuneRange& x) { return x.hi < r; });
  return it != std::end(kLettersAndDigits) && it->lo <= r;
}

// Go's parser (regexp/syntax), rebuilt: a stack of finished subexpressions and pseudo-operator
// markers that `|` and `)` reduce. The stack discipline is what decides Go's errors (e.g. a
// repetition whose operand is a marker), so it is kept; Go's tree simplifications that cannot
// change a match are not.
class Parser {
 public:
  explicit Parser(std::string_view pattern) : s_(pattern) {
    nodes_.reserve(pattern.size() + 4);
    literals_.reserve(pattern.size());
  }

  // Parses the whole pattern; false on a syntax error (see Error()).
  bool Parse() {
    const std::size_t n = s_.size();
    std::size_t pos = 0;
    std::size_t last_repeat = kNone;  // where the previous item's repetition operator began
    while (pos < n) {
      std::size_t repeat = kNone;
      switch (s_[pos]) {
        case '(':
          if (pos + 1 < n && s_[pos + 1] == '?') {
            if (!ParsePerlFlags(pos)) return false;
            break;
          }
          if (!PushCapture({})) return false;
          ++pos;
          break;
        case '|':
          if (!ParseVerticalBar()) return false;
          ++pos;
          break;
        case ')':
          if (!ParseRightParen()) return false;
          ++pos;
          break;
        case '^':
          if (!PushOp((flags_ & kOneLine) ? Op::kBeginText : Op::kBeginLine)) return false;
          ++pos;
          break;
        case '$':
          if (!PushOp((flags_ & kOneLine) ? Op::kEndText : Op::kEndLine)) return false;
          ++pos;
          break;
        case '.':
          if (!PushOp((flags_ & kDotNL) ? Op::kAnyChar : Op::kAnyCharNotNL)) return false;
          ++pos;
          break;
        case '[':
          if (!ParseClass(pos)) return false;
          break;
        case '*':
        case '+':
        case '?': {
          char c = s_[pos];
          Op op = c == '*' ? Op::kStar : c == '+' ? Op::kPlus : Op::kQuest;
          repeat = pos++;
          if (!Repeat(op, 0, 0, repeat, pos, last_repeat)) return false;
          break;
        }
        case '{': {
          int min = 0, max = 0;
          std::size_t after = pos;
          if (!ParseRepeat(after, min, max)) {
            // Not a repetition: a literal `{`.
            if (!PushLiteral('{')) return false;
            ++pos;
            break;
          }
          if (min < 0 || min > kMaxRepeat || max > kMaxRepeat || (max >= 0 && min > max)) {
            return Fail(ErrorCode::kInvalidRepeatSize, pos, after);
          }
          repeat = pos;
          pos = after;
          if (!Repeat(Op::kRepeat, min, max, repeat, pos, last_repeat)) return false;
          break;
        }
        case '\\':
          if (!ParseBackslash(pos)) return false;
          break;
        default: {
          std::int32_t r;
          if (!NextRune(pos, n, r)) return false;
          if (!PushLiteral(r)) return false;
          break;
        }
      }
      last_repeat = repeat;
    }
    if (!Concat()) return false;
    if (SwapVerticalBar()) stack_.pop_back();
    if (!Alternate()) return false;
    if (stack_.size() != 1) return Fail(ErrorCode::kMissingParen, 0, n);
    return true;
  }

  // Go's message for the syntax error found by Parse().
  std::string Error() const {
    std::string out = "error parsing regexp: ";
    out.append(ErrorReason(error_code_)).append(": `").append(error_expr_).append("`");
    return out;
  }

  const Tree& tree() const { return tree_; }
  std::uint32_t root() const { return stack_[0]; }
  // The group names by group number, "" for unnamed groups and for the whole match (0).
  std::vector<std::string>& names() { return names_; }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  bool Fail(ErrorCode code, std::size_t begin, std::size_t end) {
    error_code_ = code;
    error_expr_ = s_.substr(begin, end - begin);
    return false;
  }

  // Decodes the rune at `pos` (< end) into `r` and advances; invalid UTF-8 is an error whose
  // fragment runs to `end`, as Go's.
  bool NextRune(std::size_t& pos, std::size_t end, std::int32_t& r) {
    DecodedRune d = DecodeRune(s_.data() + pos, end - pos);
    if (d.rune == kRuneError && d.width == 1) return Fail(ErrorCode::kInvalidUTF8, pos, end);
    r = d.rune;
    pos += d.width;
    return true;
  }
  bool CheckUtf8(std::size_t pos, std::size_t end) {
    std::int32_t r;
    while (pos < end) {
      if (!NextRune(pos, end, r)) return false;
    }
    return true;
  }

  std::uint32_t NewNode(Op op) {
    Node& node = nodes_.emplace_back();
    node.op = op;
    node.flags = flags_;
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  // Recomputes the height and size of node `id` from its subexpressions and applies Go's
  // limits.
  bool CheckLimits(std::uint32_t id) {
    Node& node = nodes_[id];
    std::uint32_t height = 1;
    std::int64_t size = 0;
    for (std::uint32_t sub : node.subs) {
      height = std::max(height, nodes_[sub].height + 1);
      size += nodes_[sub].size;
    }
    std::int64_t sub = node.subs.empty() ? 0 : nodes_[node.subs[0]].size;
    switch (node.op) {
      case Op::kLiteral:
        size = node.rune_count;
        break;
      case Op::kCapture:
      case Op::kStar:
        size = 2 + sub;
        break;
      case Op::kPlus:
      case Op::kQuest:
        size = 1 + sub;
        break;
      case Op::kConcat:
        break;
      case Op::kAlternate:
        size += static_cast<std::int64_t>(node.subs.size()) - 1;
        break;
      case Op::kRepeat:
        if (node.max == -1) {
          size = node.min == 0 ? 2 + sub : 1 + node.min * sub;
        } else {
          size = node.max * sub + (node.max - node.min);
        }
        break;
      default:
        size = 1;
        break;
    }
    node.height = height;
    node.size = std::max<std::int64_t>(size, 1);
    if (num_runes_ > kMaxRunes || node.size > kMaxSize) {
      return Fail(ErrorCode::kLarge, 0, s_.size());
    }
    if (height > kMaxHeight) return Fail(ErrorCode::kNestingDepth, 0, s_.size());
    return true;
  }

  bool Push(std::uint32_t id) {
    if (!CheckLimits(id)) return false;
    stack_.push_back(id);
    return true;
  }
  bool PushOp(Op op) { return Push(NewNode(op)); }
  bool PushMarker(Op op, int cap) {
    std::uint32_t id = NewNode(op);
    nodes_[id].min = cap;
    return Push(id);
  }
  // Opens capture group number names_.size() (Go numbers groups by their left parenthesis).
  bool PushCapture(std::string_view name) {
    names_.emplace_back(name);
    return PushMarker(Op::kLeftParen, static_cast<int>(names_.size() - 1));
  }
  bool PushLiteral(std::int32_t r) {
    std::uint32_t id = NewNode(Op::kLiteral);
    nodes_[id].rune_begin = static_cast<std::uint32_t>(literals_.size());
    nodes_[id].rune_count = 1;
    literals_.push_back(r);
    num_runes_ += 1;
    return Push(id);
  }
  bool PushClass(Ranges&& ranges) {
    std::uint32_t id = NewNode(Op::kCharClass);
    Clean(ranges);
    num_runes_ += 2 * static_cast<std::int64_t>(ranges.size());
    nodes_[id].ranges = std::move(ranges);
    return Push(id);
  }
  bool IsMarker(std::uint32_t id) const { return nodes_[id].op >= Op::kLeftParen; }

  // Applies a repetition operator to the top of the stack. `before` is where the operator
  // begins; `after` where it ends, moved past a lazy `?`.
  bool Repeat(Op op, int min, int max, std::size_t before, std::size_t& after,
              std::size_t last_repeat) {
    std::uint8_t flags = flags_;
    if (after < s_.size() && s_[after] == '?') {
      ++after;
      flags ^= kNonGreedy;
    }
    // Stacked operators (`a**`, `a+?*`) are an error in Perl mode, not a double repetition.
    if (last_repeat != kNone) return Fail(ErrorCode::kInvalidRepeatOp, last_repeat, after);
    if (stack_.empty() || IsMarker(stack_.back())) {
      return Fail(ErrorCode::kMissingRepeatArgument, before, after);
    }
    std::uint32_t id = NewNode(op);
    Node& node = nodes_[id];
    node.flags = flags;
    node.min = min;
    node.max = max;
    node.subs.push_back(stack_.back());
    stack_.back() = id;
    if (!CheckLimits(id)) return false;
    if (op == Op::kRepeat && (min >= 2 || max >= 2) && !RepeatIsValid(id, kMaxRepeat)) {
      return Fail(ErrorCode::kInvalidRepeatSize, before, after);
    }
    return true;
  }

  // Whether nested counted repetitions stay within `n` copies of the innermost expression
  // (`(a{10}){200}` does not).
  bool RepeatIsValid(std::uint32_t id, int n) const {
    const Node& node = nodes_[id];
    if (node.op == Op::kRepeat) {
      int m = node.max;
      if (m == 0) return true;
      if (m < 0) m = node.min;
      if (m > n) return false;
      if (m > 0) n /= m;
    }
    for (std::uint32_t sub : node.subs) {
      if (!RepeatIsValid(sub, n)) return false;
    }
    return true;
  }

  // Parses `{n}`, `{n,}` or `{n,m}` at `pos`, moving it past the `}`; false when the text is
  // not a repetition (it is then a literal `{`). A count of 10^8 or more reads as -1.
  bool ParseRepeat(std::size_t& pos, int& min, int& max) const {
    const std::size_t n = s_.size();
    std::size_t p = pos + 1;
    if (!ParseInt(p, min) || p >= n) return false;
    if (s_[p] != ',') {
      max = min;
    } else {
      ++p;
      if (p >= n) return false;
      if (s_[p] == '}') {
        max = -1;
      } else if (!ParseInt(p, max)) {
        return false;
      } else if (max < 0) {
        min = -1;
      }
    }
    if (p >= n || s_[p] != '}') return false;
    pos = p + 1;
    return true;
  }
  bool ParseInt(std::size_t& p, int& value) const {
    const std::size_t n = s_.size();
    if (p >= n || !IsAsciiDigit(s_[p])) return false;
    if (p + 1 < n && s_[p] == '0' && IsAsciiDigit(s_[p + 1])) return false;  // no leading 0
    value = 0;
    for (; p < n && IsAsciiDigit(s_[p]); ++p) {
      if (value >= 100000000) {
        value = -1;
      } else if (value >= 0) {
        value = value * 10 + (s_[p] - '0');
      }
    }
    return true;
  }

  // `(?` at `pos`: a named group, a non-capturing group or flags.
  bool ParsePerlFlags(std::size_t& pos) {
    const std::size_t n = s_.size();
    std::string_view t = s_.substr(pos);
    bool starts_with_p = t.size() > 4 && t[2] == 'P' && t[3] == '<';
    bool starts_with_name = t.size() > 3 && t[2] == '<';
    if (starts_with_p || starts_with_name) {
      std::size_t name_begin = pos + (starts_with_p ? 4 : 3);
      std::size_t end = s_.find('>', pos);
      if (end == std::string_view::npos) {
        if (!CheckUtf8(pos, n)) return false;
        return Fail(ErrorCode::kInvalidNamedCapture, pos, n);
      }
      if (!CheckUtf8(name_begin, end)) return false;
      bool valid = end > name_begin;
      for (std::size_t i = name_begin; i < end; ++i) {
        valid = valid && (s_[i] == '_' || IsAsciiAlnum(s_[i]));
      }
      if (!valid) return Fail(ErrorCode::kInvalidNamedCapture, pos, end + 1);
      if (!PushCapture(s_.substr(name_begin, end - name_begin))) return false;
      pos = end + 1;
      return true;
    }

    std::uint8_t flags = flags_;
    bool negated = false, saw_flag = false;
    std::size_t p = pos + 2;
    while (p < n) {
      std::int32_t c;
      if (!NextRune(p, n, c)) return false;
      std::uint8_t flag = 0;
      switch (c) {
        case 'i':
          flag = kFoldCase;
          break;
        case 'm':
          flag = kOneLine;  // (?m) clears OneLine
          break;
        case 's':
          flag = kDotNL;
          break;
        case 'U':
          flag = kNonGreedy;
          break;
        case '-':
          if (negated) return Fail(ErrorCode::kInvalidPerlOp, pos, p);
          negated = true;
          saw_flag = false;
          continue;
        case ':':
        case ')':
          if (negated && !saw_flag) return Fail(ErrorCode::kInvalidPerlOp, pos, p);
          if (c == ':' && !PushMarker(Op::kLeftParen, 0)) return false;  // keeps old flags
          flags_ = flags;
          pos = p;
          return true;
        default:
          return Fail(ErrorCode::kInvalidPerlOp, pos, p);
      }
      bool set = negated == (flag == kOneLine);
      flags = set ? (flags | flag) : (flags & ~flag);
      saw_flag = true;
    }
    return Fail(ErrorCode::kInvalidPerlOp, pos, p);
  }

  // `\` at `pos` outside a class.
  bool ParseBackslash(std::size_t& pos) {
    const std::size_t n = s_.size();
    if (pos + 1 < n) {
      Op op = Op::kNoMatch;
      switch (s_[pos + 1]) {
        case 'A':
          op = Op::kBeginText;
          break;
        case 'b':
          op = Op::kWordBoundary;
          break;
        case 'B':
          op = Op::kNoWordBoundary;
          break;
        case 'z':
          op = Op::kEndText;
          break;
        case 'C':  // any byte: not supported
          return Fail(ErrorCode::kInvalidEscape, pos, pos + 2);
        case 'Q': {  // literal text up to \E or the end
          std::size_t end = s_.find("\\E", pos + 2);
          std::size_t lit_end = end == std::string_view::npos ? n : end;
          for (std::size_t p = pos + 2; p < lit_end;) {
            std::int32_t r;
            if (!NextRune(p, lit_end, r) || !PushLiteral(r)) return false;
          }
          pos = end == std::string_view::npos ? n : end + 2;
          return true;
        }
        default:
          break;
      }
      if (op != Op::kNoMatch) {
        pos += 2;
        return PushOp(op);
      }
      Ranges ranges;
      if (s_[pos + 1] == 'p' || s_[pos + 1] == 'P') {
        return ParseUnicodeClass(pos, ranges) && PushClass(std::move(ranges));
      }
      if (ParsePerlClass(pos, ranges)) return PushClass(std::move(ranges));
    }
    std::int32_t r;
    return ParseEscape(pos, r) && PushLiteral(r);
  }

  // `\d`, `\S`... at `pos`: adds the class to `r` and advances; false when not one.
  bool ParsePerlClass(std::size_t& pos, Ranges& r) {
    if (pos + 1 >= s_.size() || s_[pos] != '\\') return false;
    char c = s_[pos + 1];
    char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    for (const Group& g : kPerlGroups) {
      if (g.name[0] == lower) {
        AddGroup(r, g.ranges, c != lower, flags_ & kFoldCase);
        pos += 2;
        return true;
      }
    }
    return false;
  }

  // `\p` or `\P` at `pos`. Only `Any` is known (see the header comment); any other name is
  // Go's error for an unknown class.
  bool ParseUnicodeClass(std::size_t& pos, Ranges& r) {
    const std::size_t n = s_.size();
    bool negate = s_[pos + 1] == 'P';
    std::size_t p = pos + 2;
    std::int32_t c = -1;
    if (p < n && !NextRune(p, n, c)) return false;
    std::size_t seq_end = p;
    std::string_view name = s_.substr(pos + 2, p - (pos + 2));
    if (c == '{') {
      std::size_t end = s_.find('}', pos);
      if (end == std::string_view::npos) {
        if (!CheckUtf8(pos, n)) return false;
        return Fail(ErrorCode::kInvalidCharRange, pos, n);
      }
      seq_end = end + 1;
      name = s_.substr(pos + 3, end - (pos + 3));
      if (!CheckUtf8(pos + 3, end)) return false;
    }
    if (!name.empty() && name[0] == '^') {
      negate = !negate;
      name.remove_prefix(1);
    }
    if (name != "Any") return Fail(ErrorCode::kInvalidCharRange, pos, seq_end);
    if (!negate) AddRange(r, 0, kMaxRune);
    pos = seq_end;
    return true;
  }

  // An escape sequence at `pos` standing for one rune.
  bool ParseEscape(std::size_t& pos, std::int32_t& out) {
    const std::size_t n = s_.size();
    std::size_t begin = pos, p = pos + 1;
    if (p >= n) return Fail(ErrorCode::kTrailingBackslash, n, n);
    std::int32_t c;
    if (!NextRune(p, n, c)) return false;
    auto accept = [&](std::int32_t r) {
      out = r;
      pos = p;
      return true;
    };
    switch (c) {
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
        // A single non-zero digit would be a backreference, which RE2 does not have.
        if (p >= n || s_[p] < '0' || s_[p] > '7') break;
        [[fallthrough]];
      case '0': {  // up to three octal digits
        std::int32_t r = c - '0';
        for (int i = 1; i < 3 && p < n && s_[p] >= '0' && s_[p] <= '7'; ++i) {
          r = r * 8 + (s_[p++] - '0');
        }
        return accept(r);
      }
      case 'x': {
        if (p >= n) break;
        if (!NextRune(p, n, c)) return false;
        if (c == '{') {  // one or more hex digits in braces
          std::int32_t r = 0;
          int digits = 0;
          while (true) {
            if (p >= n) return Fail(ErrorCode::kInvalidEscape, begin, p);
            if (!NextRune(p, n, c)) return false;
            if (c == '}') break;
            int v = Unhex(c);
            if (v < 0) return Fail(ErrorCode::kInvalidEscape, begin, p);
            r = r * 16 + v;
            if (r > kMaxRune) return Fail(ErrorCode::kInvalidEscape, begin, p);
            ++digits;
          }
          if (digits == 0) break;
          return accept(r);
        }
        int x = Unhex(c);  // exactly two hex digits
        std::int32_t c2 = -1;
        if (p < n && !NextRune(p, n, c2)) return false;
        int y = Unhex(c2);
        if (x < 0 || y < 0) break;
        return accept(x * 16 + y);
      }
      // No \b: it is a word boundary outside classes and invalid inside them.
      case 'a':
        return accept('\a');
      case 'f':
        return accept('\f');
      case 'n':
        return accept('\n');
      case 'r':
        return accept('\r');
      case 't':
        return accept('\t');
      case 'v':
        return accept('\v');
      default:
        // Escaped punctuation stands for itself; other letters and digits are reserved.
        if (c < 0x80 && !IsAsciiAlnum(c)) return accept(c);
        break;
    }
    return Fail(ErrorCode::kInvalidEscape, begin, p);
  }

  // `[` at `pos`: a bracketed class up to its `]`.
  bool ParseClass(std::size_t& pos) {
    const std::size_t n = s_.size();
    const std::size_t whole = pos;  // a missing `]` reports from here to the end
    const bool fold = flags_ & kFoldCase;
    std::size_t t = pos + 1;
    Ranges ranges;
    bool negate = false;
    if (t < n && s_[t] == '^') {
      negate = true;
      ++t;
    }
    bool first = true;  // `]` and `-` are literal first
    while (t >= n || s_[t] != ']' || first) {
      first = false;
      if (n - t > 2 && s_[t] == '[' && s_[t + 1] == ':') {
        std::size_t end = s_.find(":]", t + 2);
        if (end != std::string_view::npos) {
          std::string_view name = s_.substr(t + 2, end - (t + 2));
          bool negated = !name.empty() && name[0] == '^';
          if (negated) name.remove_prefix(1);
          const Group* group = nullptr;
          for (const Group& g : kPosixGroups) {
            if (g.name == name) group = &g;
          }
          if (group == nullptr) return Fail(ErrorCode::kInvalidCharRange, t, end + 2);
          AddGroup(ranges, group->ranges, negated, fold);
          t = end + 2;
          continue;
        }
      }
      if (n - t >= 2 && s_[t] == '\\' && (s_[t + 1] == 'p' || s_[t + 1] == 'P')) {
        if (!ParseUnicodeClass(t, ranges)) return false;
        continue;
      }
      if (ParsePerlClass(t, ranges)) continue;

      std::size_t range_begin = t;
      std::int32_t lo, hi;
      if (!ParseClassChar(t, whole, lo)) return false;
      hi = lo;
      if (n - t >= 2 && s_[t] == '-' && s_[t + 1] != ']') {  // `a-]` is `a` and `-`
        ++t;
        if (!ParseClassChar(t, whole, hi)) return false;
        if (hi < lo) return Fail(ErrorCode::kInvalidCharRange, range_begin, t);
      }
      if (fold) {
        AddFoldedRange(ranges, lo, hi);
      } else {
        AddRange(ranges, lo, hi);
      }
    }
    pos = t + 1;
    if (negate) {
      Clean(ranges);
      ranges = Negate(ranges);
    }
    return PushClass(std::move(ranges));
  }
  bool ParseClassChar(std::size_t& t, std::size_t whole, std::int32_t& r) {
    if (t >= s_.size()) return Fail(ErrorCode::kMissingBracket, whole, s_.size());
    if (s_[t] == '\\') return ParseEscape(t, r);
    return NextRune(t, s_.size(), r);
  }

  bool ParseVerticalBar() {
    if (!Concat()) return false;
    // The branch just finished sits above a `|` marker: swap it below, where the branches
    // collect; otherwise this is the first `|` of the group.
    return SwapVerticalBar() || PushMarker(Op::kVerticalBar, 0);
  }

  bool ParseRightParen() {
    if (!Concat()) return false;
    if (SwapVerticalBar()) stack_.pop_back();
    if (!Alternate()) return false;
    std::size_t n = stack_.size();
    if (n < 2) return Fail(ErrorCode::kUnexpectedParen, 0, s_.size());
    std::uint32_t inner = stack_[n - 1], paren = stack_[n - 2];
    stack_.resize(n - 2);
    if (nodes_[paren].op != Op::kLeftParen) return Fail(ErrorCode::kUnexpectedParen, 0, s_.size());
    flags_ = nodes_[paren].flags;
    if (nodes_[paren].min == 0) return Push(inner);  // grouping only
    nodes_[paren].op = Op::kCapture;
    nodes_[paren].subs.push_back(inner);
    return Push(paren);
  }

  // The index of the first stack entry above the topmost marker.
  std::size_t AboveMarker() const {
    std::size_t i = stack_.size();
    while (i > 0 && !IsMarker(stack_[i - 1])) --i;
    return i;
  }

  // Replaces the entries above the topmost marker by their concatenation.
  bool Concat() {
    std::size_t i = AboveMarker();
    if (i == stack_.size()) return PushOp(Op::kEmptyMatch);
    return Push(Collapse(i, Op::kConcat));
  }

  // Replaces the branches above the topmost marker (a `(`) by their alternation.
  bool Alternate() {
    std::size_t i = AboveMarker();
    if (i == stack_.size()) return PushOp(Op::kNoMatch);
    return Push(Collapse(i, Op::kAlternate));
  }

  // Pops stack_[i..] into one `op` node, flattening nested nodes of the same op and, in a
  // concatenation, joining adjacent literals into one string (the tree shape Go measures).
  std::uint32_t Collapse(std::size_t i, Op op) {
    std::vector<std::uint32_t>& subs = scratch_;  // reused: most collapses end in one node
    subs.clear();
    for (std::size_t k = i; k < stack_.size(); ++k) {
      std::uint32_t id = stack_[k];
      const std::vector<std::uint32_t>* from = nodes_[id].op == op ? &nodes_[id].subs : nullptr;
      std::size_t count = from ? from->size() : 1;
      for (std::size_t j = 0; j < count; ++j) {
        std::uint32_t sub = from ? (*from)[j] : id;
        Node& node = nodes_[sub];
        if (op == Op::kConcat && !subs.empty() && node.op == Op::kLiteral) {
          Node& prev = nodes_[subs.back()];
          if (prev.op == Op::kLiteral && (prev.flags & kFoldCase) == (node.flags & kFoldCase)) {
            JoinLiterals(prev, node);
            continue;
          }
        }
        subs.push_back(sub);
      }
    }
    stack_.resize(i);
    if (subs.size() == 1) return subs[0];
    std::uint32_t id = NewNode(op);
    nodes_[id].subs.assign(subs.begin(), subs.end());
    return id;
  }

  static bool IsClassLike(const Node& node) {
    return (node.op == Op::kLiteral && node.rune_count == 1) || node.op == Op::kCharClass ||
           node.op == Op::kAnyCharNotNL || node.op == Op::kAnyChar;
  }

  // With a branch on top of a `|` marker: moves the branch below the marker and returns true.
  // Single-rune branches are merged into a class right away, as Go does (`a|b` is `[ab]`).
  bool SwapVerticalBar() {
    std::size_t n = stack_.size();
    if (n >= 3 && nodes_[stack_[n - 2]].op == Op::kVerticalBar &&
        IsClassLike(nodes_[stack_[n - 1]]) && IsClassLike(nodes_[stack_[n - 3]])) {
      std::uint32_t src = stack_[n - 1], dst = stack_[n - 3];
      if (nodes_[src].op > nodes_[dst].op) std::swap(src, dst);  // dst: the more general one
      MergeClass(nodes_[dst], nodes_[src]);
      stack_[n - 3] = dst;
      stack_.pop_back();
      return true;
    }
    if (n >= 2 && nodes_[stack_[n - 2]].op == Op::kVerticalBar) {
      std::swap(stack_[n - 1], stack_[n - 2]);
      return true;
    }
    return false;
  }

  // Appends the string of `next` to that of `prev`: in place when it follows it in literals_,
  // as when both were just parsed.
  void JoinLiterals(Node& prev, const Node& next) {
    if (prev.rune_begin + prev.rune_count != next.rune_begin) {
      auto begin = static_cast<std::uint32_t>(literals_.size());
      for (std::uint32_t i = 0; i < prev.rune_count; ++i) {
        literals_.push_back(literals_[prev.rune_begin + i]);
      }
      for (std::uint32_t i = 0; i < next.rune_count; ++i) {
        literals_.push_back(literals_[next.rune_begin + i]);
      }
      prev.rune_begin = begin;
    }
    prev.rune_count += next.rune_count;
    prev.size = prev.rune_count;
  }

  void MergeClass(Node& dst, const Node& src) {
    // Literals merged here have one rune.
    const bool is_literal = src.op == Op::kLiteral;
    const std::int32_t src_rune = is_literal ? literals_[src.rune_begin] : -1;
    switch (dst.op) {
      case Op::kAnyCharNotNL: {
        bool has_nl = src.op == Op::kAnyChar || src_rune == '\n' ||
                      (src.op == Op::kCharClass && ClassContains(src.ranges, '\n'));
        if (has_nl) dst.op = Op::kAnyChar;
        break;
      }
      case Op::kCharClass:
        if (is_literal) {
          AddLiteral(dst.ranges, src_rune, src.flags & kFoldCase);
        } else {
          dst.ranges.insert(dst.ranges.end(), src.ranges.begin(), src.ranges.end());
        }
        Clean(dst.ranges);
        break;
      case Op::kLiteral: {
        std::int32_t r = literals_[dst.rune_begin];
        if (r == src_rune && (dst.flags & kFoldCase) == (src.flags & kFoldCase)) break;
        dst.op = Op::kCharClass;
        AddLiteral(dst.ranges, r, dst.flags & kFoldCase);
        AddLiteral(dst.ranges, src_rune, src.flags & kFoldCase);
        Clean(dst.ranges);
        break;
      }
      default:  // kAnyChar: nothing to add
        break;
    }
  }

  std::string_view s_;
  Tree tree_;
  std::vector<Node>& nodes_ = tree_.nodes;
  std::vector<std::int32_t>& literals_ = tree_.literals;
  std::vector<std::uint32_t> stack_;
  std::vector<std::uint32_t> scratch_;
  std::uint8_t flags_ = kOneLine;
  std::vector<std::string> names_ = {std::string()};
  std::int64_t num_runes_ = 0;
  ErrorCode error_code_ = ErrorCode::kMissingParen;
  std::string_view error_expr_;
};

// --- The program: a Thompson NFA over runes. ---

enum class InstOp : std::uint8_t {
  kFail,
  kMatch,
  kNop,
  kSplit,  // continue at `out` (preferred) and at `arg`
  kEmpty,  // continue at `out` when the context has the `cond` bit
  kRune,   // consume the rune `arg`
  kClass,  // consume a rune of class `arg`
  kAnyNotNL,
  kAny,
  kSave,  // record the offset in capture slot `arg` (2n: group n begins, 2n+1: it ends)
};

// Empty-width conditions: what holds between the previous and the next byte.
inline constexpr std::uint8_t kCondBeginLine = 1;
inline constexpr std::uint8_t kCondEndLine = 2;
inline constexpr std::uint8_t kCondBeginText = 4;
inline constexpr std::uint8_t kCondEndText = 8;
inline constexpr std::uint8_t kCondWordBoundary = 16;
inline constexpr std::uint8_t kCondNoWordBoundary = 32;

struct Inst {
  InstOp op;
  std::uint8_t cond;
  std::uint32_t out;
  std::uint32_t arg;
};

struct ClassInfo {
  std::uint32_t ascii[4];    // bitmap of the runes below 128
  std::uint32_t begin, end;  // its ranges in Prog::ranges
};

struct Prog {
  std::vector<Inst> inst;  // inst[0] is kFail
  std::vector<ClassInfo> classes;
  Ranges ranges;
  std::uint32_t start = 0;
  bool anchored = false;   // every match starts at offset 0 (the pattern begins with \A or ^)
  bool has_empty = false;  // some kEmpty: the matcher must track the context
};

// Whether every match of node `id` must start at the beginning of the text.
inline bool AnchoredAtStart(const std::vector<Node>& nodes, std::uint32_t id) {
  const Node& node = nodes[id];
  switch (node.op) {
    case Op::kBeginText:
      return true;
    case Op::kCapture:
    case Op::kConcat:
      return AnchoredAtStart(nodes, node.subs[0]);
    case Op::kAlternate:
      return std::all_of(node.subs.begin(), node.subs.end(),
                         [&nodes](std::uint32_t sub) { return AnchoredAtStart(nodes, sub); });
    default:
      return false;
  }
}

// Compiles a parse tree into a Prog, expanding counted repetitions the way Go's simplifier
// does (x{2,4} = xx(x(x)?)?), which fixes the preference order of lazy and greedy operators.
class Compiler {
 public:
  // `groups`: with the kSave instructions that record where the groups begin and end, for the
  // Machine<Mode::kGroups>; the other machines run a program without them.
  Compiler(const Tree& tree, Prog& prog, bool groups)
      : nodes_(tree.nodes),
        literals_(tree.literals),
        prog_(prog),
        groups_(groups),
        first_class_(nodes_.size()) {
    prog_.inst.push_back({InstOp::kFail, 0, 0, 0});
  }

  void Build(std::uint32_t root) {
    // Go's size estimate bounds the instruction count: reserving it avoids the regrowth copies,
    // which would double the peak memory of the largest programs.
    prog_.inst.reserve(static_cast<std::size_t>(nodes_[root].size + 2));
    Frag f = Compile(root);
    std::uint32_t match = Emit(InstOp::kMatch, 0, 0);
    Patch(Holes(f), match);
    prog_.start = Start(f);
    prog_.anchored = AnchoredAtStart(nodes_, root);
  }

 private:
  // A compiled fragment: its first instruction (0: it never matches), the list of its dangling
  // exits ("holes", see HoleField) and whether it can match the empty string. Packed into 64
  // bits so that the recursive Compile passes it in registers: wasm32 passes structs through
  // the 64 KB linear-memory stack, and the recursion may be 1000 deep.
  using Frag = std::uint64_t;
  static Frag MakeFrag(std::uint32_t start, std::uint32_t holes, bool nullable) {
    return start | (static_cast<std::uint64_t>(holes) << 32) |
           (static_cast<std::uint64_t>(nullable) << 63);
  }
  static std::uint32_t Start(Frag f) { return static_cast<std::uint32_t>(f); }
  static std::uint32_t Holes(Frag f) { return static_cast<std::uint32_t>(f >> 32) & 0x7FFFFFFF; }
  static bool Nullable(Frag f) { return f >> 63; }

  // A hole is an unset exit: (instruction << 1) | (0 for `out`, 1 for `arg`). Until patched,
  // the field holds the next hole of its list (0 ends it: instruction 0 is never a hole).
  std::uint32_t& HoleField(std::uint32_t hole) {
    Inst& inst = prog_.inst[hole >> 1];
    return (hole & 1) ? inst.arg : inst.out;
  }
  void Patch(std::uint32_t holes, std::uint32_t target) {
    while (holes != 0) {
      std::uint32_t& field = HoleField(holes);
      holes = field;
      field = target;
    }
  }
  // Joins two hole lists, walking the second: it is the new, short one at every call site.
  std::uint32_t Append(std::uint32_t a, std::uint32_t b) {
    if (b == 0) return a;
    std::uint32_t last = b;
    while (HoleField(last) != 0) last = HoleField(last);
    HoleField(last) = a;
    return b;
  }

  std::uint32_t Emit(InstOp op, std::uint8_t cond, std::uint32_t arg) {
    prog_.inst.push_back({op, cond, 0, arg});
    return static_cast<std::uint32_t>(prog_.inst.size() - 1);
  }
  Frag Single(InstOp op, std::uint8_t cond, std::uint32_t arg, bool nullable) {
    std::uint32_t i = Emit(op, cond, arg);
    return MakeFrag(i, i << 1, nullable);
  }
  Frag Nop() { return Single(InstOp::kNop, 0, 0, true); }

  Frag Cat(Frag a, Frag b) {
    if (Start(a) == 0 || Start(b) == 0) return 0;
    Patch(Holes(a), Start(b));
    return MakeFrag(Start(a), Holes(b), Nullable(a) && Nullable(b));
  }
  Frag Alt(Frag a, Frag b) {
    if (Start(a) == 0) return b;
    if (Start(b) == 0) return a;
    std::uint32_t i = Emit(InstOp::kSplit, 0, Start(b));
    prog_.inst[i].out = Start(a);
    return MakeFrag(i, Append(Holes(a), Holes(b)), Nullable(a) || Nullable(b));
  }
  // A split entering `a` or skipping it (lazy: skipping first). Returns the split and its
  // skipping exit.
  Frag Split(Frag a, bool lazy) {
    std::uint32_t i = Emit(InstOp::kSplit, 0, 0);
    if (lazy) {
      prog_.inst[i].arg = Start(a);
      return MakeFrag(i, i << 1, true);
    }
    prog_.inst[i].out = Start(a);
    return MakeFrag(i, (i << 1) | 1, true);
  }
  Frag Quest(Frag a, bool lazy) {
    if (Start(a) == 0) return Nop();
    Frag split = Split(a, lazy);
    return MakeFrag(Start(split), Append(Holes(a), Holes(split)), true);
  }
  Frag Loop(Frag a, bool lazy) {
    Frag split = Split(a, lazy);
    Patch(Holes(a), Start(split));
    return split;
  }
  Frag Plus(Frag a, bool lazy) {
    if (Start(a) == 0) return 0;
    return MakeFrag(Start(a), Holes(Loop(a, lazy)), Nullable(a));
  }
  Frag Star(Frag a, bool lazy) {
    if (Start(a) == 0) return Nop();
    // x* with a nullable x is (x+)?, which gives Go's match priorities (golang.org/issue/46123).
    if (Nullable(a)) return Quest(Plus(a, lazy), lazy);
    return Loop(a, lazy);
  }

  // A rune-consuming instruction for a clean class. Counted repetitions compile their operand
  // many times, so the classes of a node are built once: the first compilation of node `id`
  // records the index of its first class (a literal under (?i) has one per folding rune, in
  // order), later ones reuse them. Kept out of line: its locals would otherwise sit in every
  // frame of the recursion.
  __attribute__((noinline)) Frag ClassFrag(const Ranges& ranges, std::uint32_t id,
                                           std::uint32_t nth) {
    if (ranges.empty()) return 0;
    if (ranges.size() == 1 && ranges[0].lo == ranges[0].hi) {
      return Single(InstOp::kRune, 0, static_cast<std::uint32_t>(ranges[0].lo), false);
    }
    if (ranges.size() == 1 && ranges[0].lo == 0 && ranges[0].hi == kMaxRune) {
      return Single(InstOp::kAny, 0, 0, false);
    }
    if (ranges.size() == 2 && ranges[0].lo == 0 && ranges[0].hi == '\n' - 1 &&
        ranges[1].lo == '\n' + 1 && ranges[1].hi == kMaxRune) {
      return Single(InstOp::kAnyNotNL, 0, 0, false);
    }
    auto index = static_cast<std::uint32_t>(prog_.classes.size());
    if (first_class_[id] == 0) first_class_[id] = index + 1;
    std::uint32_t wanted = first_class_[id] - 1 + nth;
    if (wanted < index) return Single(InstOp::kClass, 0, wanted, false);  // an earlier copy's
    ClassInfo info{{0, 0, 0, 0},
                   static_cast<std::uint32_t>(prog_.ranges.size()),
                   static_cast<std::uint32_t>(prog_.ranges.size() + ranges.size())};
    for (const RuneRange& r : ranges) {
      for (std::int32_t c = r.lo; c <= r.hi && c < 128; ++c) info.ascii[c >> 5] |= 1u << (c & 31);
    }
    prog_.ranges.insert(prog_.ranges.end(), ranges.begin(), ranges.end());
    prog_.classes.push_back(info);
    return Single(InstOp::kClass, 0, index, false);
  }
  // A literal's rune; under (?i), the class of its case-equivalents when it has any (the
  // `nth` such rune of node `id`).
  __attribute__((noinline)) Frag RuneFrag(std::int32_t c, bool fold, std::uint32_t id,
                                          std::uint32_t& nth) {
    if (!fold || SimpleFold(c) == c) return Single(InstOp::kRune, 0, c, false);
    Ranges orbit;
    if (first_class_[id] != 0 && first_class_[id] - 1 + nth < prog_.classes.size()) {
      orbit.push_back({0, 1});  // built by an earlier copy: any class will do, ClassFrag reuses it
    } else {
      AddFoldedRange(orbit, c, c);
      Clean(orbit);
    }
    return ClassFrag(orbit, id, nth++);
  }
  Frag EmptyFrag(std::uint8_t cond) {
    prog_.has_empty = true;
    return Single(InstOp::kEmpty, cond, 0, true);
  }

  Frag Compile(std::uint32_t id) {
    const Node& node = nodes_[id];
    const bool lazy = node.flags & kNonGreedy;
    switch (node.op) {
      case Op::kNoMatch:
        return 0;
      case Op::kEmptyMatch:
        return Nop();
      case Op::kLiteral: {
        Frag f = 0;
        std::uint32_t folded = 0;
        for (std::uint32_t i = 0; i < node.rune_count; ++i) {
          Frag r = RuneFrag(literals_[node.rune_begin + i], node.flags & kFoldCase, id, folded);
          f = i == 0 ? r : Cat(f, r);
        }
        return f;
      }
      case Op::kCharClass:
        return ClassFrag(node.ranges, id, 0);
      case Op::kAnyCharNotNL:
        return Single(InstOp::kAnyNotNL, 0, 0, false);
      case Op::kAnyChar:
        return Single(InstOp::kAny, 0, 0, false);
      case Op::kBeginLine:
        return EmptyFrag(kCondBeginLine);
      case Op::kEndLine:
        return EmptyFrag(kCondEndLine);
      case Op::kBeginText:
        return EmptyFrag(kCondBeginText);
      case Op::kEndText:
        return EmptyFrag(kCondEndText);
      case Op::kWordBoundary:
        return EmptyFrag(kCondWordBoundary);
      case Op::kNoWordBoundary:
        return EmptyFrag(kCondNoWordBoundary);
      case Op::kCapture: {
        if (!groups_) return Compile(node.subs[0]);
        // Slots 0 and 1, the whole match, are the thread's start and the offset of kMatch.
        auto slot = static_cast<std::uint32_t>(2 * node.min);
        Frag f = Single(InstOp::kSave, 0, slot, true);
        f = Cat(f, Compile(node.subs[0]));
        return Cat(f, Single(InstOp::kSave, 0, slot + 1, true));
      }
      case Op::kStar:
        return Star(Compile(node.subs[0]), lazy);
      case Op::kPlus:
        return Plus(Compile(node.subs[0]), lazy);
      case Op::kQuest:
        return Quest(Compile(node.subs[0]), lazy);
      case Op::kRepeat:
        return CompileRepeat(node.subs[0], node.min, node.max, lazy);
      case Op::kConcat:
      case Op::kAlternate: {
        Frag f = 0;
        for (std::size_t i = 0; i < node.subs.size(); ++i) {
          Frag sub = Compile(node.subs[i]);
          f = i == 0 ? sub : node.op == Op::kConcat ? Cat(f, sub) : Alt(f, sub);
        }
        return f;
      }
      default:  // markers never reach the compiler
        return 0;
    }
  }

  // x{min,max}: min copies of x, then (max-min) nested optional copies; x{min,} ends in x+.
  Frag CompileRepeat(std::uint32_t sub, int min, int max, bool lazy) {
    if (max == -1 && min == 0) return Star(Compile(sub), lazy);
    if (max == 0) return Nop();
    Frag f = 0;
    int copies = max == -1 ? min - 1 : min;
    for (int i = 0; i < copies; ++i) {
      Frag x = Compile(sub);
      f = i == 0 ? x : Cat(f, x);
    }
    Frag tail;
    if (max == -1) {
      tail = Plus(Compile(sub), lazy);
    } else if (max > min) {
      tail = Quest(Compile(sub), lazy);
      for (int i = min + 1; i < max; ++i) tail = Quest(Cat(Compile(sub), tail), lazy);
    } else {
      return f;
    }
    return copies == 0 ? tail : Cat(f, tail);
  }

  const std::vector<Node>& nodes_;
  const std::vector<std::int32_t>& literals_;
  Prog& prog_;
  bool groups_;
  std::vector<std::uint32_t> first_class_;  // per node: 1 + its first class index (ClassFrag)
};

// --- The matcher: a Pike VM. ---

inline bool IsWordByte(char c) { return IsAsciiAlnum(static_cast<unsigned char>(c)) || c == '_'; }

// The empty-width conditions that hold at byte offset `pos`. Bytes suffice: `\n` and the word
// characters are ASCII, and a UTF-8 sequence never contains an ASCII byte.
inline std::uint8_t Context(std::string_view text, std::size_t pos) {
  std::uint8_t ctx = 0;
  bool word_before = false, word_after = false;
  if (pos == 0) {
    ctx |= kCondBeginText | kCondBeginLine;
  } else {
    ctx |= text[pos - 1] == '\n' ? kCondBeginLine : 0;
    word_before = IsWordByte(text[pos - 1]);
  }
  if (pos == text.size()) {
    ctx |= kCondEndText | kCondEndLine;
  } else {
    ctx |= text[pos] == '\n' ? kCondEndLine : 0;
    word_after = IsWordByte(text[pos]);
  }
  ctx |= word_before != word_after ? kCondWordBoundary : kCondNoWordBoundary;
  return ctx;
}

// A capture slot of a group that took no part in the match.
inline constexpr std::uint32_t kNoSlot = 0xFFFFFFFF;

// What a Machine computes: whether there is a match (Match), the leftmost-first match's span
// (Find, Searcher), or the groups of a match already found (Submatches).
enum class Mode : std::uint8_t { kMatch, kSpan, kGroups };

// One simulation of the program over a text: every live thread advances in lockstep, one rune
// at a time, and threads at the same instruction merge (the earlier, higher-priority one
// stays). Hence at most one thread per instruction and O(len × size) time.
//
// kSpan: Run finds the leftmost-first match and its span; threads carry their start offset.
// kMatch: Run only tells whether a match exists and stops at the first one reached.
// kGroups: RunGroups replays the one attempt that begins at the start of a match kSpan found,
// up to the match's end, on the program compiled with kSave instructions; threads carry the
// offsets the kSave on their path recorded, as in Go's Pike VM. Threads merge and rank as in
// kSpan, which ignores the slots, so the replay ends in the same winning thread (attempts that
// begin earlier never match, so their threads only ever hold states from which no match
// follows). Each thread copies its slots, so memory grows with program size × groups: the
// slots are tracked in windows that keep the machine within kGroupBudgetWords, one replay per
// window (the ranking never depends on the slots).
template <Mode kMode>
class Machine {
 public:
  static constexpr bool kSpan = kMode != Mode::kMatch;
  static constexpr bool kGroups = kMode == Mode::kGroups;
  static constexpr std::size_t kGroupBudgetWords = std::size_t{1} << 23;  // 32 MB

  // One allocation holds the marks (zeroed), Add's work list and the two thread lists: 16 bytes
  // per instruction for Match, which keeps the largest programs Go accepts (3.3 million
  // instructions) within a policy's memory. kGroups adds a thread's slots per list entry and,
  // in the work list, the slots to restore.
  Machine(const Prog& prog, std::string_view text, std::uint32_t num_slots = 2)
      : prog_(prog),
        text_(text),
        size_(prog.inst.size()),
        num_slots_(num_slots),
        window_(kGroups ? WindowFor(size_, num_slots) : 0),
        stride_(kGroups ? 1 + window_ : kSpan ? 2 : 1),
        memory_(new std::uint32_t[(kGroups ? 3 : 2) * size_ + 2 + window_ + 2 * Stride() * size_]) {}

  // Searches from byte offset `from` (a rune boundary). The empty-width assertions at `from`
  // still see the text before it, as Go's searches from an offset do (FindAll, Split). One
  // machine serves several searches of its text.
  bool Run(std::pair<std::size_t, std::size_t>* span, std::size_t from = 0) {
    return Simulate(span, from, text_.size(), nullptr);
  }

  // kGroups: fills slots[0 .. num_slots) for the match [begin, end).
  void RunGroups(std::size_t begin, std::size_t end, std::uint32_t* slots) {
    slots[0] = static_cast<std::uint32_t>(begin);
    slots[1] = static_cast<std::uint32_t>(end);
    for (lo_ = 2; lo_ < num_slots_; lo_ += window_) {
      hi_ = std::min(num_slots_, lo_ + window_);
      if (!Simulate(nullptr, begin, end, slots)) {
        std::fill_n(slots + lo_, hi_ - lo_, kNoSlot);  // not reached when [begin, end) matches
      }
    }
  }

 private:
  static constexpr std::uint32_t kRestore = 0x80000000;  // kGroups: a work entry restoring a slot

  // kGroups: slots per thread, all of them when they fit the budget, at least one.
  static std::uint32_t WindowFor(std::size_t size, std::uint32_t num_slots) {
    std::size_t fit = kGroupBudgetWords / (2 * size + 1);
    fit = fit > 4 ? fit - 4 : 1;
    std::size_t wanted = num_slots > 2 ? num_slots - 2 : 1;
    return static_cast<std::uint32_t>(std::max<std::size_t>(1, std::min(fit, wanted)));
  }

  // Run's loop. kGroups: one attempt at `from`, up to `end`, copying the slots [lo_, hi_) of
  // the first thread at kMatch there into `slots`.
  bool Simulate(std::pair<std::size_t, std::size_t>* span, std::size_t from, std::size_t end,
                std::uint32_t* slots) {
    std::fill_n(memory_.get(), size_, 0u);
    const std::size_t n = end;
    std::uint32_t* cur = memory_.get() + (kGroups ? 3 : 2) * size_ + 2;  // kGroups: working slots
    std::uint32_t* clist = cur + window_;
    std::uint32_t* nlist = clist + Stride() * size_;
    std::uint32_t ccount = 0;
    bool matched = false;
    if constexpr (kGroups) {
      std::fill_n(cur, window_, kNoSlot);
      Add(clist, ccount, prog_.start, from, from, Context(text_, from));
    }
    for (std::size_t pos = from;;) {
      // A new attempt starting here ranks below every attempt that started earlier.
      if (!kGroups && !matched && (pos == 0 || !prog_.anchored) &&
          Add(clist, ccount, prog_.start, pos, pos, Context(text_, pos))) {
        return true;
      }
      if (ccount == 0 && (kGroups || matched || prog_.anchored || pos >= n)) break;
      std::int32_t r = -1;
      std::uint32_t width = 1;
      if (pos < n) {
        auto b = static_cast<unsigned char>(text_[pos]);
        if (b < 0x80) {
          r = b;
        } else {
          DecodedRune d = DecodeRune(text_.data() + pos, n - pos);
          r = d.rune;
          width = d.width;
        }
      }
      std::uint8_t next_ctx = prog_.has_empty && pos < n ? Context(text_, pos + width) : 0;
      std::uint32_t ncount = 0;
      for (std::uint32_t i = 0; i < ccount; ++i) {
        const std::uint32_t* thread = clist + Stride() * i;
        const Inst& inst = prog_.inst[thread[0]];
        const std::uint32_t start = kMode == Mode::kSpan ? thread[1] : 0;
        if (inst.op == InstOp::kMatch) {  // (kSpan only) threads after this one rank lower
          if constexpr (kGroups) {
            if (pos != end) break;  // a match ending earlier: Go cuts the threads below it
            std::copy_n(thread + 1, hi_ - lo_, slots + lo_);
            return true;
          } else {
            *span = {start, pos};
            matched = true;
            break;
          }
        }
        bool step = false;
        switch (inst.op) {
          case InstOp::kRune:
            step = r == static_cast<std::int32_t>(inst.arg);
            break;
          case InstOp::kClass:
            step = r >= 0 && ClassHas(inst.arg, r);
            break;
          case InstOp::kAnyNotNL:
            step = r >= 0 && r != '\n';
            break;
          case InstOp::kAny:
            step = r >= 0;
            break;
          default:
            break;
        }
        if (kGroups && step) std::copy_n(thread + 1, window_, cur);
        if (step && Add(nlist, ncount, inst.out, start, pos + width, next_ctx)) return true;
      }
      if (pos >= n) break;
      std::swap(clist, nlist);
      ccount = ncount;
      pos += width;
    }
    return matched;
  }

  // Adds to `list` the threads that reach a rune-consuming instruction (or kMatch) from `pc`
  // without consuming input at offset `pos`, in priority order (a split's `out` first), for
  // an attempt begun at `start`. Instructions already on the list for this offset are skipped,
  // which also ends empty loops. kMatch: returns true as soon as kMatch is reached. kGroups:
  // a kSave records `pos` in the working slots and queues the old value's restoration behind
  // the branches it leads to, so that each branch sees the slots of its own path (Go restores
  // them after its recursive add).
  bool Add(std::uint32_t* list, std::uint32_t& count, std::uint32_t pc, std::size_t start,
           std::size_t pos, std::uint8_t ctx) {
    const auto gen = static_cast<std::uint32_t>(pos + 1);  // mark[pc] == gen: already visited
    constexpr std::uint32_t kEntry = kGroups ? 2 : 1;  // words per pending entry
    std::uint32_t* mark = memory_.get();
    std::uint32_t* pending = mark + size_;  // the second branches of the splits passed
    std::uint32_t* cur = pending + kEntry * (size_ + 1);
    std::uint32_t top = 0;
    pending[kEntry * top++] = pc;
    while (top > 0) {
      pc = pending[kEntry * --top];
      if (kGroups && (pc & kRestore)) {
        cur[pc & ~kRestore] = pending[kEntry * top + 1];
        continue;
      }
      // Follows the preferred edges until a thread is added or the path dies.
      for (bool more = true; more && mark[pc] != gen;) {
        mark[pc] = gen;
        const Inst& inst = prog_.inst[pc];
        switch (inst.op) {
          case InstOp::kSave:
            if constexpr (kGroups) {
              if (inst.arg >= lo_ && inst.arg < hi_) {
                std::uint32_t slot = inst.arg - lo_;
                pending[kEntry * top] = kRestore | slot;
                pending[kEntry * top + 1] = cur[slot];
                ++top;
                cur[slot] = static_cast<std::uint32_t>(pos);
              }
            }
            [[fallthrough]];
          case InstOp::kNop:
            pc = inst.out;
            break;
          case InstOp::kSplit:
            pending[kEntry * top++] = inst.arg;
            pc = inst.out;
            break;
          case InstOp::kEmpty:
            more = inst.cond & ctx;
            pc = inst.out;
            break;
          case InstOp::kFail:
            more = false;
            break;
          case InstOp::kMatch:
            if (!kSpan) return true;
            [[fallthrough]];
          default:
            list[Stride() * count] = pc;
            if (kMode == Mode::kSpan) list[Stride() * count + 1] = static_cast<std::uint32_t>(start);
            if (kGroups) std::copy_n(cur, window_, list + Stride() * count + 1);
            ++count;
            more = false;
            break;
        }
      }
    }
    return false;
  }

  // Words per thread: a constant but for kGroups, which the compiler then folds.
  std::size_t Stride() const { return kGroups ? stride_ : kSpan ? 2 : 1; }

  bool ClassHas(std::uint32_t index, std::int32_t r) const {
    const ClassInfo& c = prog_.classes[index];
    if (r < 128) return (c.ascii[r >> 5] >> (r & 31)) & 1;
    const RuneRange* first = prog_.ranges.data() + c.begin;
    const RuneRange* last = prog_.ranges.data() + c.end;
    const RuneRange* it =
        std::partition_point(first, last, [r](const RuneRange& x) { return x.hi < r; });
    return it != last && it->lo <= r;
  }

  const Prog& prog_;
  std::string_view text_;
  std::size_t size_;
  std::uint32_t num_slots_;
  std::uint32_t window_;  // kGroups: slots per thread
  std::size_t stride_;    // words per thread
  std::uint32_t lo_ = 0, hi_ = 0;  // kGroups: the slots of the current replay
  // marks, pending work, the working slots (kGroups), the two thread lists
  std::unique_ptr<std::uint32_t[]> memory_;
};

}  // namespace internal

// A compiled Go regular expression; see the top of this file.
class Regexp {
 public:
  // Byte offsets [begin, end) of a match.
  using Span = std::pair<std::size_t, std::size_t>;
  // Go's submatch index slice: for group n (0: the whole match), [2n] and [2n+1] are its byte
  // offsets, both -1 when the group took no part in the match.
  using Submatches = std::vector<std::ptrdiff_t>;

  // Compiles `pattern` like Go's regexp.Compile. The error is Go's message,
  // "error parsing regexp: <reason>: `<fragment>`".
  static std::expected<Regexp, std::string> Compile(std::string_view pattern) {
    internal::Parser parser(pattern);
    if (!parser.Parse()) return std::unexpected(parser.Error());
    Regexp re;
    internal::Compiler(parser.tree(), re.prog_, false).Build(parser.root());
    re.names_ = std::move(parser.names());
    if (re.names_.size() > 1) {
      auto group_prog = std::make_shared<internal::Prog>();
      internal::Compiler(parser.tree(), *group_prog, true).Build(parser.root());
      re.group_prog_ = std::move(group_prog);
    }
    return re;
  }

  // Whether some substring of `text` matches (Go's MatchString).
  bool Match(std::string_view text) const {
    return internal::Machine<internal::Mode::kMatch>(prog_, text).Run(nullptr);
  }

  // The byte offsets [begin, end) of the leftmost match, preferring what the pattern prefers
  // (greedy or lazy), as Go's FindStringIndex; nullopt when there is none.
  std::optional<Span> Find(std::string_view text) const { return Searcher(*this, text).Find(0); }

  // The leftmost match and its groups, as Go's FindStringSubmatchIndex: 2 × (NumSubexp() + 1)
  // offsets. A group inside a repetition reports its last iteration, as in Go.
  std::optional<Submatches> FindSubmatchIndex(std::string_view text) const {
    Searcher searcher(*this, text);
    if (!searcher.Find(0)) return std::nullopt;
    return searcher.SubmatchIndex();
  }

  // The number of capture groups (Go's NumSubexp).
  std::size_t NumSubexp() const { return names_.size() - 1; }
  // The groups' names by number, "" for unnamed groups and for the whole match at index 0
  // (Go's SubexpNames). Go allows a name twice.
  const std::vector<std::string>& SubexpNames() const { return names_; }
  // The number of the leftmost group named `name`, -1 when none is (Go's SubexpIndex).
  int SubexpIndex(std::string_view name) const {
    if (name.empty()) return -1;
    auto it = std::find(names_.begin(), names_.end(), name);
    return it == names_.end() ? -1 : static_cast<int>(it - names_.begin());
  }

  // Appends `tmpl` to `dst` with its group references replaced from `match` (submatches of
  // `src`), as Go's ExpandString: `$1` or `${1}` by number, `$name` or `${name}` by name, `$$`
  // for `$`. A reference takes the longest run of letters, digits and `_`, so `$1x` is the
  // group named `1x` (write `${1}x`). A group that does not exist or took no part expands to
  // nothing; a `$` not followed by a valid reference stays as it is.
  void Expand(std::string& dst, std::string_view tmpl, std::string_view src,
              const Submatches& match) const {
    while (!tmpl.empty()) {
      std::size_t dollar = tmpl.find('$');
      if (dollar == std::string_view::npos) break;
      dst.append(tmpl.substr(0, dollar));
      tmpl.remove_prefix(dollar + 1);
      if (!tmpl.empty() && tmpl[0] == '$') {
        dst.push_back('$');
        tmpl.remove_prefix(1);
        continue;
      }
      auto ref = ParseReference(tmpl);
      if (!ref) {
        dst.push_back('$');
        continue;
      }
      tmpl.remove_prefix(ref->length);
      for (std::size_t i = 0; i < names_.size(); ++i) {
        bool named = ref->number >= 0 ? static_cast<std::size_t>(ref->number) == i
                                      : names_[i] == ref->name;
        if (named && 2 * i + 1 < match.size() && match[2 * i] >= 0) {
          auto begin = static_cast<std::size_t>(match[2 * i]);
          dst.append(src.substr(begin, static_cast<std::size_t>(match[2 * i + 1]) - begin));
          break;
        }
      }
    }
    dst.append(tmpl);
  }

  // `src` with every match replaced by `repl` expanded as Expand does (Go's ReplaceAllString).
  // Matches are Searcher::Next's: an empty match right after a match replaces nothing.
  std::string ReplaceAllString(std::string_view src, std::string_view repl) const {
    const bool expand = repl.find('$') != std::string_view::npos;
    return ReplaceAll(src, [&](std::string& out, Searcher& searcher) {
      if (expand) {
        Expand(out, repl, src, searcher.SubmatchIndex());
      } else {
        out.append(repl);
      }
    });
  }

  // `src` with every match replaced by `repl` as it is (Go's ReplaceAllLiteralString).
  std::string ReplaceAllLiteralString(std::string_view src, std::string_view repl) const {
    return ReplaceAll(src, [&](std::string& out, Searcher&) { out.append(repl); });
  }

  // Repeated searches of one text, as Go's FindAll, Split and ReplaceAll make them: each finds
  // the leftmost match at or after an offset, with ^ and \b there still seeing the text before
  // it (which a search of the remaining suffix would get wrong). Each search costs at least
  // the program's size; asking for the groups of a match costs one more pass over the match
  // (with many groups, several). The Regexp and the text must outlive the Searcher.
  class Searcher {
   public:
    Searcher(const Regexp& re, std::string_view text)
        : re_(re), text_(text), machine_(re.prog_, text) {}

    // `from` must be a rune boundary within the text (or its end).
    std::optional<Span> Find(std::size_t from) {
      Span span;
      if (!machine_.Run(&span, from)) return last_ = std::nullopt;
      return last_ = span;
    }

    // The next match of Go's FindAll iteration (allMatches): leftmost-first, not overlapping,
    // and no empty match right after the previous match; nullopt when there are no more. The
    // first call searches from the start of the text.
    std::optional<Span> Next() {
      while (next_ <= text_.size()) {
        auto m = Find(next_);
        if (!m) break;
        bool accept = true;
        if (m->second == next_) {  // empty: step over a rune (or past the end)
          accept = m->first != prev_end_;
          next_ += next_ < text_.size()
                       ? internal::DecodeRune(text_.data() + next_, text_.size() - next_).width
                       : 1;
        } else {
          next_ = m->second;
        }
        prev_end_ = m->second;
        if (accept) return m;
      }
      next_ = text_.size() + 1;
      return last_ = std::nullopt;
    }

    // The groups of the match that Find or Next last returned, as Regexp::FindSubmatchIndex
    // gives them; empty when that call found none.
    Submatches SubmatchIndex() {
      if (!last_) return {};
      const auto num_slots = static_cast<std::uint32_t>(2 * re_.names_.size());
      std::vector<std::uint32_t> slots(num_slots, internal::kNoSlot);
      slots[0] = static_cast<std::uint32_t>(last_->first);
      slots[1] = static_cast<std::uint32_t>(last_->second);
      if (num_slots > 2) {
        if (!groups_) {
          groups_ = std::make_unique<internal::Machine<internal::Mode::kGroups>>(
              *re_.group_prog_, text_, num_slots);
        }
        groups_->RunGroups(last_->first, last_->second, slots.data());
      }
      Regexp::Submatches out(num_slots);
      for (std::uint32_t i = 0; i < num_slots; ++i) {
        out[i] = slots[i] == internal::kNoSlot ? -1 : static_cast<std::ptrdiff_t>(slots[i]);
      }
      return out;
    }

   private:
    const Regexp& re_;
    std::string_view text_;
    internal::Machine<internal::Mode::kSpan> machine_;
    // made by the first SubmatchIndex() of a pattern with groups
    std::unique_ptr<internal::Machine<internal::Mode::kGroups>> groups_;
    std::optional<Span> last_;
    std::size_t next_ = 0;                                        // where Next searches
    std::size_t prev_end_ = static_cast<std::size_t>(-1);         // the end of its last match
  };

  // The number of instructions of the compiled program (a search's cost per text byte).
  std::size_t program_size() const { return prog_.inst.size(); }

 private:
  Regexp() = default;

  // A `name` or `{name}` after a `$` (Go's extract): the name, its number when it is a decimal
  // without leading zeros below 10^8 (else -1), and the length consumed.
  struct Reference {
    std::string_view name;
    std::int64_t number;
    std::size_t length;
  };
  static std::optional<Reference> ParseReference(std::string_view s) {
    const bool brace = !s.empty() && s[0] == '{';
    std::size_t begin = brace ? 1 : 0, i = begin;
    while (i < s.size()) {
      internal::DecodedRune d = internal::DecodeRune(s.data() + i, s.size() - i);
      if (d.rune != '_' && !internal::IsLetterOrDigit(d.rune)) break;
      i += d.width;
    }
    if (i == begin) return std::nullopt;
    Reference ref{s.substr(begin, i - begin), 0, i};
    if (brace) {
      if (i >= s.size() || s[i] != '}') return std::nullopt;
      ref.length = i + 1;
    }
    for (char c : ref.name) {
      if (c < '0' || c > '9' || ref.number >= 100000000) {
        ref.number = -1;
        break;
      }
      ref.number = ref.number * 10 + (c - '0');
    }
    if (ref.name[0] == '0' && ref.name.size() > 1) ref.number = -1;
    return ref;
  }

  // Go's replaceAll: the text between matches as it is, each match as `replace` appends it.
  template <typename Replace>
  std::string ReplaceAll(std::string_view src, Replace replace) const {
    std::string out;
    Searcher searcher(*this, src);
    std::size_t copied = 0;
    while (auto m = searcher.Next()) {
      out.append(src.substr(copied, m->first - copied));
      replace(out, searcher);
      copied = m->second;
    }
    out.append(src.substr(copied));
    return out;
  }

  internal::Prog prog_;  // without kSave: what Match and the searches run
  // With kSave, for the groups of a match; null when the pattern has none. Held by pointer so
  // that the Regexp stays cheap to move.
  std::shared_ptr<const internal::Prog> group_prog_;
  std::vector<std::string> names_;  // by group number; [0] is the whole match's ""
};

}  // namespace goregex

#endif  // GOREGEX_REGEX_H_
