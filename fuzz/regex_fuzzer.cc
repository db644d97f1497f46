// The Go-compatible regular expressions of the policy SDK and the OPA builtins (lib/goregex),
// built natively. The input is a pattern, a NUL byte and a text. Whatever the pattern, Compile
// must return a program or Go's "error parsing regexp: " message, and matching must agree with
// itself: Match finds a match exactly when Find does, inside the text and on rune boundaries;
// FindSubmatchIndex finds Find's span, with each group inside it or -1; the FindAll iteration
// moves forward; ReplaceAllString with a template of group references terminates.
#include <cstdint>
#include <string>
#include <string_view>

#include "goregex/regex.h"

namespace {

// Patterns are operator input and texts attacker input; both stay short here so that a large
// (but legal) program times a long text stays within the fuzzer's time limit.
constexpr std::size_t kMaxPattern = 512;
constexpr std::size_t kMaxText = 512;

bool IsContinuationByte(std::string_view text, std::size_t i) {
  return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nul = input.find('\0');
  std::string_view pattern = input.substr(0, nul);
  std::string_view text = nul == std::string_view::npos ? "" : input.substr(nul + 1);
  if (pattern.size() > kMaxPattern || text.size() > kMaxText) return 0;

  auto re = goregex::Regexp::Compile(pattern);
  if (!re) {
    if (!re.error().starts_with("error parsing regexp: ")) __builtin_trap();
    return 0;
  }
  bool matched = re->Match(text);
  auto span = re->Find(text);
  if (matched != span.has_value()) __builtin_trap();
  if (span) {
    if (span->first > span->second || span->second > text.size()) __builtin_trap();
    // A valid UTF-8 text is walked rune by rune: no match starts inside a rune.
    bool valid = true;
    for (std::size_t i = 0; i < text.size() && valid;) {
      auto d = goregex::internal::DecodeRune(text.data() + i, text.size() - i);
      valid = !(d.rune == goregex::internal::kRuneError && d.width == 1);
      i += d.width;
    }
    if (valid && IsContinuationByte(text, span->first)) __builtin_trap();
  }

  auto groups = re->FindSubmatchIndex(text);
  if (groups.has_value() != span.has_value()) __builtin_trap();
  if (groups) {
    const goregex::Regexp::Submatches& m = *groups;
    if (m.size() != 2 * (re->NumSubexp() + 1)) __builtin_trap();
    if (m[0] != static_cast<std::ptrdiff_t>(span->first) ||
        m[1] != static_cast<std::ptrdiff_t>(span->second)) {
      __builtin_trap();
    }
    for (std::size_t i = 2; i < m.size(); i += 2) {
      if ((m[i] < 0) != (m[i + 1] < 0)) __builtin_trap();
      if (m[i] >= 0 && (m[i] > m[i + 1] || m[i] < m[0] || m[i + 1] > m[1])) __builtin_trap();
    }
  }
  goregex::Regexp::Searcher searcher(*re, text);
  std::size_t last_end = 0;
  while (auto m = searcher.Next()) {
    if (m->first < last_end || m->second > text.size()) __builtin_trap();
    last_end = m->second;
    if (searcher.SubmatchIndex().empty()) __builtin_trap();
  }
  (void)re->ReplaceAllString(text, "<$0|${1}|$name|$$>");
  return 0;
}
