// UTF-8 validation for text that crosses from a guest into the host.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kw {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

// The well-formed UTF-8 sequence at the start of `s`: its code point and its length in bytes
// (1-4). nullopt when `s` is empty or does not start with one (a stray continuation byte, a
// truncated sequence, an overlong, a surrogate or a code point past U+10FFFF).
struct Utf8Sequence {
  char32_t code_point;
  std::size_t length;
};
std::optional<Utf8Sequence> DecodeUtf8(std::string_view s);

// The sequence at the start of non-empty `s` as Go reads strings (utf8.DecodeRuneInString):
// DecodeUtf8's, or U+FFFD one byte long when `s` does not start with a well-formed sequence.
// For code that walks text as Go does (the OPA builtins); DecodeUtf8 tells such a stray byte
// from an encoded U+FFFD.
Utf8Sequence DecodeUtf8OrReplacement(std::string_view s);

// The number of runes in `s` as Go counts them (utf8.RuneCountInString): a byte that starts no
// well-formed sequence counts as one.
std::size_t CountRunes(std::string_view s);

// `s` with every byte that does not start a well-formed sequence replaced by U+FFFD, as Go's
// encoding/json writes strings that hold arbitrary bytes.
std::string ToValidUtf8(std::string_view s);

// `s` with every byte that does not start a well-formed sequence read as a Latin-1 character
// (U+0080 to U+00FF) and encoded as UTF-8: yaml-cpp 0.7 decodes the YAML escapes `\N` and `\_`
// (U+0085, U+00A0) to such single bytes.
std::string Latin1StraysToUtf8(std::string_view s);

}  // namespace kw
