// BracketMasksAvx2 (json_text_blocks.h): this file alone is compiled with -mavx2 -mpclmul, and
// holds nothing else, so that no code compiled for those instructions runs unless the processor
// was checked to have them (HasWideBracketKernel).
#include "admission/json_text_blocks.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace kw::admission::json_text_internal {

void BracketMasksAvx2(const char* data, std::size_t blocks, StringState& state,
                      std::uint64_t* opens, std::uint64_t* closes) {
  // Setting bit 5 folds '[' onto '{' and ']' onto '}', and no other byte onto either.
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i backslash = _mm256_set1_epi8('\\');
  const __m256i open = _mm256_set1_epi8('{');
  const __m256i close = _mm256_set1_epi8('}');
  const __m256i bit5 = _mm256_set1_epi8(0x20);
  const __m128i all_ones = _mm_set1_epi8(static_cast<char>(0xFF));
  for (std::size_t b = 0; b < blocks; ++b) {
    const char* block = data + 64 * b;
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32));
    const auto mask = [](__m256i equal_lo, __m256i equal_hi) {
      return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(equal_lo))) |
             static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(equal_hi)))
                 << 32;
    };
    const std::uint64_t quotes =
        mask(_mm256_cmpeq_epi8(lo, quote), _mm256_cmpeq_epi8(hi, quote)) &
        ~EscapedBytes(mask(_mm256_cmpeq_epi8(lo, backslash), _mm256_cmpeq_epi8(hi, backslash)),
                      state.escape_carry);
    // The prefix XOR of the quotes: a carry-less multiplication by all ones.
    const std::uint64_t prefix = static_cast<std::uint64_t>(_mm_cvtsi128_si64(
        _mm_clmulepi64_si128(_mm_cvtsi64_si128(static_cast<long long>(quotes)), all_ones, 0)));
    const std::uint64_t inside = InsideStrings(prefix, state);
    const __m256i folded_lo = _mm256_or_si256(lo, bit5), folded_hi = _mm256_or_si256(hi, bit5);
    opens[b] = mask(_mm256_cmpeq_epi8(folded_lo, open), _mm256_cmpeq_epi8(folded_hi, open)) & ~inside;
    closes[b] = mask(_mm256_cmpeq_epi8(folded_lo, close), _mm256_cmpeq_epi8(folded_hi, close)) & ~inside;
  }
}

}  // namespace kw::admission::json_text_internal
#endif
