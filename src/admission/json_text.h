// Finding where values are in JSON text that a validating parser has already accepted.
//
// A DOM parser (simdjson's, in request.cc) says what a document holds but not where each value's
// bytes are. These functions find the bytes, so that large values can be copied verbatim instead
// of being re-serialized. They rely on the text being well-formed JSON to stay small and fast:
// numbers and literals are delimited, not checked, and strings are only scanned for their
// closing quote. They are still memory-safe on any input: no read ever goes outside `text`, and
// text that is not well-formed gives kNoPos/nullopt rather than a crash (the answer is then
// meaningless, and callers treat it as an internal error).
//
// Containers are skipped 64 bytes at a time with bit masks (quotes, backslashes and brackets,
// found with SSE2 where available), in the manner of simdjson's first stage: a string's inside
// is a prefix XOR of its unescaped quotes, and a block whose closing brackets cannot bring the
// depth to zero is passed over with two popcounts.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace kw::admission {

inline constexpr std::size_t kNoPos = std::string_view::npos;

// The first position from `pos` on that is not JSON whitespace (text.size() when none).
std::size_t SkipJsonSpace(std::string_view text, std::size_t pos);

// One past the last byte of the value that starts at `text[pos]`; kNoPos when the text ends
// first.
std::size_t SkipJsonValue(std::string_view text, std::size_t pos);

// `text[pos]` is the opening quote of a string: one past its closing quote (kNoPos when the
// text ends first), and whether the string has an escape (its raw bytes are then not its value).
std::size_t SkipJsonString(std::string_view text, std::size_t pos, bool& escaped);

// `text` without the JSON whitespace around it: the value itself, when `text` is one value.
std::string_view TrimJsonSpace(std::string_view text);

// Where the objects and arrays of a text end, for a walk that skips containers at every level of
// nesting and would otherwise scan the innermost bytes once per level. The first lookup of a
// container scans it (the same 64-byte blocks as SkipJsonValue) and records the end of every
// container inside it, so that each byte is scanned once however deep the walk goes.
class ContainerEnds {
 public:
  // `text` must outlive this object.
  explicit ContainerEnds(std::string_view text) : text_(text) {}

  // SkipJsonValue(text, pos) for a container opening at `text[pos]`: one past its matching
  // bracket; kNoPos when no container opens there or it is not closed.
  std::size_t End(std::size_t pos);

 private:
  struct Span {
    std::uint32_t open;
    std::uint32_t end;  // kNotClosed when the text ends first
  };
  static constexpr std::uint32_t kNotClosed = 0xffffffff;

  std::string_view text_;
  std::vector<Span> spans_;  // of the containers scanned so far, by opening bracket
  std::vector<Span> scanned_;  // those of the last scan (a buffer kept between scans)
};

// A forward-only cursor over the members of an object's text. Member number i of the text is
// member number i of a DOM iteration that keeps document order and duplicates (simdjson's).
class JsonObjectText {
 public:
  // `text[open]` is the object's '{'. `text` may go on after the object.
  JsonObjectText(std::string_view text, std::size_t open) : text_(text), pos_(open + 1) {}

  // Where the value of member number `index` starts, or nullopt when the object has no such
  // member. `index` may not be below that of an earlier call.
  std::optional<std::size_t> ValueStart(std::size_t index);

  // The text of member number `index`'s value; same rules.
  std::optional<std::string_view> Value(std::size_t index);

 private:
  std::string_view text_;
  std::size_t pos_;
  bool at_value_ = false;  // pos_ is at the start of member member_'s value
  std::size_t member_ = 0;
  std::size_t next_member_ = 0;
};

}  // namespace kw::admission
