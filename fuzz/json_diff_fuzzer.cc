// The host's JSON patch diff of a policy's mutated object (admission/json_patch.h): the text
// walk of DiffParsedJson against the DOM diff it must agree with. The input is the original
// text, a NUL byte, then the mutated text (no NUL: the input diffed against itself, and a
// variant of it with its whitespace changed). Whenever Diff accepts the two texts,
// DiffParsedJson must give its patch byte for byte; otherwise it must merely not crash.
#include <cstdint>
#include <string>
#include <string_view>

#include "admission/json_patch.h"

namespace {

void Check(std::string_view from, std::string_view to) {
  const auto expected = kw::admission::Diff(from, to);
  const auto actual = kw::admission::DiffParsedJson(from, to);
  if (expected && (!actual || *actual != *expected)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = text.find('\0');
  if (nul != std::string_view::npos) {
    Check(text.substr(0, nul), text.substr(nul + 1));
    return 0;
  }
  Check(text, text);
  std::string spaced(text);
  for (char& c : spaced) {
    if (c == '\n') c = ' ';
  }
  Check(text, spaced);
  return 0;
}
