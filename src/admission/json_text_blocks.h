// The scan under json_text.cc's container skipping: where the brackets outside strings are in
// 64-byte blocks of JSON text, one bit per byte (simdjson's stage 1, reduced to what finding a
// container's end needs). Internal to json_text*.cc and their tests.
//
// Two kernels compute the same masks: a portable one (SSE2 where the target has it, else byte
// by byte), and one with AVX2 and carry-less multiplication, compiled on its own
// (json_text_avx2.cc) and chosen at run time when the processor has both.
#ifndef KW_ADMISSION_JSON_TEXT_BLOCKS_H_
#define KW_ADMISSION_JSON_TEXT_BLOCKS_H_

#include <cstddef>
#include <cstdint>

namespace kw::admission::json_text_internal {

// Bit i of each mask is set when byte i of a 64-byte block is a quote, a backslash, '{' or '[',
// '}' or ']'.
struct BlockMasks {
  std::uint64_t quote = 0;
  std::uint64_t backslash = 0;
  std::uint64_t open = 0;
  std::uint64_t close = 0;
};

// The masks of the 64 bytes at `block`, one byte at a time, and the same with SSE2 when the
// target has it (otherwise the same function). Exposed so that tests can compare them.
BlockMasks ScanBlockBytewise(const char* block);
BlockMasks ScanBlock(const char* block);

// What a block's scan needs from the blocks before it.
struct StringState {
  std::uint64_t in_string = 0;  // all ones when the previous block ended inside a string
  bool escape_carry = false;    // the previous block ended with an unescaped backslash
};

// For `blocks` consecutive blocks at `data` (64 * blocks readable bytes): the brackets outside
// strings, opening ones in `opens[i]` and closing ones in `closes[i]` for block i. `state` is
// that of the first block, and is left as the next block's.
using BracketKernel = void (*)(const char* data, std::size_t blocks, StringState& state,
                               std::uint64_t* opens, std::uint64_t* closes);
void BracketMasksPortable(const char* data, std::size_t blocks, StringState& state,
                          std::uint64_t* opens, std::uint64_t* closes);
#if defined(__x86_64__)
// Needs AVX2 and PCLMULQDQ (see HasWideBracketKernel).
void BracketMasksAvx2(const char* data, std::size_t blocks, StringState& state,
                      std::uint64_t* opens, std::uint64_t* closes);
#endif
// Whether this processor runs BracketMasksAvx2.
bool HasWideBracketKernel();
// The fastest kernel this processor runs.
BracketKernel BestBracketKernel();

// Shared by the kernels: defined here with internal linkage, so that the AVX2 translation unit
// gets its own copy rather than lending one compiled for AVX2 to the rest of the program.
namespace {

// The bytes escaped by the backslashes of a block: each backslash that is not itself escaped
// escapes the next byte. `carry` says whether the block's first byte is escaped (by a backslash
// ending the previous block), and is set for the next block. Backslashes are rare outside
// annotations, so a loop over them is cheaper than simdjson's branchless arithmetic.
inline std::uint64_t EscapedBytes(std::uint64_t backslash, bool& carry) {
  std::uint64_t escaped = 0;
  if (carry) {
    escaped = 1;
    backslash &= ~std::uint64_t{1};
  }
  carry = false;
  while (backslash != 0) {
    const int bit = __builtin_ctzll(backslash);
    if (bit == 63) {
      carry = true;
      break;
    }
    escaped |= std::uint64_t{1} << (bit + 1);
    backslash &= ~(std::uint64_t{3} << bit);  // this backslash and the byte it escapes
  }
  return escaped;
}

// Bit i of the result says whether byte i is inside a string (from an opening quote, included,
// to its closing quote, not), given the block's unescaped quotes and the state before it; the
// state is updated. `inside_quotes` is the prefix XOR of `quotes` (bit i = XOR of bits 0..i).
inline std::uint64_t InsideStrings(std::uint64_t inside_quotes, StringState& state) {
  const std::uint64_t inside = inside_quotes ^ state.in_string;
  state.in_string = static_cast<std::uint64_t>(static_cast<std::int64_t>(inside) >> 63);
  return inside;
}

}  // namespace
}  // namespace kw::admission::json_text_internal

#endif  // KW_ADMISSION_JSON_TEXT_BLOCKS_H_
