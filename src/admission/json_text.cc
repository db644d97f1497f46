#include "admission/json_text.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "admission/json_text_blocks.h"

namespace kw::admission {
namespace json_text_internal {
namespace {

// Defined here, wrapped below, so that SkipContainer can inline them.
inline BlockMasks ScanBytewise(const char* block) {
  BlockMasks m;
  for (int i = 0; i < 64; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    switch (block[i]) {
      case '"':
        m.quote |= bit;
        break;
      case '\\':
        m.backslash |= bit;
        break;
      case '{':
      case '[':
        m.open |= bit;
        break;
      case '}':
      case ']':
        m.close |= bit;
        break;
      default:
        break;
    }
  }
  return m;
}

#if defined(__SSE2__)
inline BlockMasks Scan(const char* block) {
  // Setting bit 5 folds '[' onto '{' and ']' onto '}', and no other byte onto either.
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i open = _mm_set1_epi8('{');
  const __m128i close = _mm_set1_epi8('}');
  const __m128i bit5 = _mm_set1_epi8(0x20);
  BlockMasks m;
  for (int i = 0; i < 4; ++i) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * i));
    const __m128i folded = _mm_or_si128(bytes, bit5);
    const auto mask = [i](__m128i equal) {
      return static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(equal)))
             << (16 * i);
    };
    m.quote |= mask(_mm_cmpeq_epi8(bytes, quote));
    m.backslash |= mask(_mm_cmpeq_epi8(bytes, backslash));
    m.open |= mask(_mm_cmpeq_epi8(folded, open));
    m.close |= mask(_mm_cmpeq_epi8(folded, close));
  }
  return m;
}
#else
inline BlockMasks Scan(const char* block) { return ScanBytewise(block); }
#endif

}  // namespace

BlockMasks ScanBlockBytewise(const char* block) { return ScanBytewise(block); }
BlockMasks ScanBlock(const char* block) { return Scan(block); }

namespace {
// Bit i is the XOR of bits 0..i: from an opening quote (included) to its closing quote (not).
constexpr std::uint64_t PrefixXor(std::uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}
}  // namespace

void BracketMasksPortable(const char* data, std::size_t blocks, StringState& state,
                          std::uint64_t* opens, std::uint64_t* closes) {
  for (std::size_t b = 0; b < blocks; ++b) {
    const BlockMasks m = Scan(data + 64 * b);
    const std::uint64_t quotes = m.quote & ~EscapedBytes(m.backslash, state.escape_carry);
    const std::uint64_t inside = InsideStrings(PrefixXor(quotes), state);
    opens[b] = m.open & ~inside;
    closes[b] = m.close & ~inside;
  }
}

bool HasWideBracketKernel() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
#else
  return false;
#endif
}

BracketKernel BestBracketKernel() {
#if defined(__x86_64__)
  if (HasWideBracketKernel()) return BracketMasksAvx2;
#endif
  return BracketMasksPortable;
}

}  // namespace json_text_internal

namespace {

using json_text_internal::BlockMasks;

constexpr bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The bytes of `word` equal to `c`, flagged by their high bit ("has zero byte" trick). Only
// the lowest flag is exact (a borrow may flag a byte above a match), and it is all we use.
constexpr std::uint64_t MatchBytes(std::uint64_t word, char c) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHighs = 0x8080808080808080;
  const std::uint64_t x = word ^ (kOnes * static_cast<unsigned char>(c));
  return (x - kOnes) & ~x & kHighs;
}

// The position of the next quote or backslash from `pos` on (text.size() when none), eight
// bytes at a time while they fit.
std::size_t NextStringStop(std::string_view text, std::size_t pos) {
  if constexpr (std::endian::native == std::endian::little) {
    while (pos + 8 <= text.size()) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + pos, sizeof word);
      const std::uint64_t stops = MatchBytes(word, '"') | MatchBytes(word, '\\');
      if (stops != 0) return pos + static_cast<std::size_t>(std::countr_zero(stops)) / 8;
      pos += 8;
    }
  }
  while (pos < text.size() && text[pos] != '"' && text[pos] != '\\') ++pos;
  return pos;
}

// `text[pos]` is the opening quote of a string: one past its closing quote.
std::size_t SkipString(std::string_view text, std::size_t pos, bool& escaped) {
  ++pos;
  while (true) {
    pos = NextStringStop(text, pos);
    if (pos >= text.size()) return kNoPos;
    if (text[pos] == '"') return pos + 1;
    escaped = true;
    pos += 2;  // a backslash: the escaped byte is never a delimiter (\uXXXX's digits are plain)
  }
}
std::size_t SkipString(std::string_view text, std::size_t pos) {
  bool escaped = false;
  return SkipString(text, pos, escaped);
}

// std::popcount compiles to a libgcc call without -mpopcnt; this is the inline equivalent.
constexpr std::size_t PopCount(std::uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555);
  x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f;
  return static_cast<std::size_t>((x * 0x0101010101010101) >> 56);
}

// The brackets outside strings of the text from `pos` on, 64 bytes at a time: for each block,
// `visit(base, opens, closes)` gets the block's offset in the text and the masks of its opening
// and closing brackets, and returns whether to go on. The kernel scans a run of blocks per call,
// one block first and twice as many each time after (most values skipped are short), up to
// kMaxRun.
template <typename Visit>
void ForEachBracketBlock(std::string_view text, std::size_t pos, Visit visit) {
  static const json_text_internal::BracketKernel kernel = json_text_internal::BestBracketKernel();
  constexpr std::size_t kMaxRun = 16;
  std::uint64_t opens[kMaxRun], closes[kMaxRun];
  json_text_internal::StringState state;
  std::size_t run = 1;
  for (std::size_t base = pos; base < text.size();) {
    const char* data = text.data() + base;
    std::size_t blocks = std::min((text.size() - base) / 64, run);
    std::array<char, 64> tail;
    if (blocks == 0) {
      // The last block: copied out, padded with spaces, so nothing past the text is read.
      tail.fill(' ');
      std::memcpy(tail.data(), data, text.size() - base);
      data = tail.data();
      blocks = 1;
    }
    kernel(data, blocks, state, opens, closes);
    for (std::size_t i = 0; i < blocks; ++i) {
      if (!visit(base + 64 * i, opens[i], closes[i])) return;
    }
    base += 64 * blocks;
    run = std::min(2 * run, kMaxRun);
  }
}

// `text[pos]` is a '{' or '[': one past its matching bracket.
std::size_t SkipContainer(std::string_view text, std::size_t pos) {
  std::size_t depth = 0;
  std::size_t end = kNoPos;
  ForEachBracketBlock(text, pos, [&](std::size_t base, std::uint64_t opens,
                                     std::uint64_t closes) {
    const std::size_t close_count = PopCount(closes);
    if (close_count < depth) {
      // The depth stays above zero throughout the block.
      depth = depth + PopCount(opens) - close_count;
      return true;
    }
    for (std::uint64_t brackets = opens | closes; brackets != 0; brackets &= brackets - 1) {
      const int bit = std::countr_zero(brackets);
      if ((opens >> bit) & 1) {
        ++depth;
      } else if (depth == 0 || --depth == 0) {
        // (A close at depth zero is not well-formed JSON: stop there rather than wrap around.)
        end = base + static_cast<std::size_t>(bit) + 1;
        return false;
      }
    }
    return true;
  });
  return end;
}

}  // namespace

std::size_t SkipJsonSpace(std::string_view text, std::size_t pos) {
  while (pos < text.size() && IsJsonSpace(text[pos])) ++pos;
  return pos;
}

std::size_t SkipJsonValue(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return kNoPos;
  const char first = text[pos];
  if (first == '"') return SkipString(text, pos);
  if (first == '{' || first == '[') return SkipContainer(text, pos);
  // A number or a literal: it runs to the next delimiter (or the end of the text).
  while (pos < text.size()) {
    const char c = text[pos];
    if (IsJsonSpace(c) || c == ',' || c == '}' || c == ']') break;
    ++pos;
  }
  return pos;
}

std::size_t SkipJsonString(std::string_view text, std::size_t pos, bool& escaped) {
  escaped = false;
  if (pos >= text.size() || text[pos] != '"') return kNoPos;
  return SkipString(text, pos, escaped);
}

// Containers nested deeper than this are not scanned (End says kNoPos): the DOM parsers
// accepting the text refuse much less (kMaxJsonDepth).
constexpr std::size_t kMaxDepthScanned = 1024;

std::size_t ContainerEnds::End(std::size_t pos) {
  if (pos >= text_.size() || (text_[pos] != '{' && text_[pos] != '[')) return kNoPos;
  // Offsets are 32 bits: a longer text is scanned at every lookup, as SkipJsonValue does.
  if (text_.size() >= kNotClosed) return SkipContainer(text_, pos);
  const auto by_open = [](const Span& s, std::size_t p) { return s.open < p; };
  auto at = std::lower_bound(spans_.begin(), spans_.end(), pos, by_open);
  if (at == spans_.end() || at->open != pos) {
    // Not scanned yet: this container and every one inside it, in the order they open.
    scanned_.clear();
    std::uint32_t open[kMaxDepthScanned];  // indices in scanned_ of those not closed yet
    std::size_t depth = 0;
    ForEachBracketBlock(text_, pos, [&](std::size_t base, std::uint64_t opens,
                                        std::uint64_t closes) {
      for (std::uint64_t brackets = opens | closes; brackets != 0; brackets &= brackets - 1) {
        const int bit = std::countr_zero(brackets);
        const auto offset = static_cast<std::uint32_t>(base + static_cast<std::size_t>(bit));
        if ((opens >> bit) & 1) {
          if (depth == kMaxDepthScanned) return false;  // deeper than any JSON parser accepts
          open[depth++] = static_cast<std::uint32_t>(scanned_.size());
          scanned_.push_back({offset, kNotClosed});
        } else if (depth == 0) {
          return false;  // a close at depth zero: not well-formed
        } else {
          scanned_[open[--depth]].end = offset + 1;
          if (depth == 0) return false;  // the container closed
        }
      }
      return true;
    });
    if (scanned_.empty()) return kNoPos;
    // Containers inside this one that an earlier lookup scanned are in scanned_ again.
    const std::size_t last = scanned_.front().end == kNotClosed ? text_.size() : scanned_.front().end;
    auto inside = at;
    while (inside != spans_.end() && inside->open < last) ++inside;
    at = spans_.erase(at, inside);
    at = spans_.insert(at, scanned_.begin(), scanned_.end());
  }
  return at->end == kNotClosed ? kNoPos : at->end;
}

std::string_view TrimJsonSpace(std::string_view text) {
  const std::size_t start = SkipJsonSpace(text, 0);
  std::size_t end = text.size();
  while (end > start && IsJsonSpace(text[end - 1])) --end;
  return text.substr(start, end - start);
}

std::optional<std::size_t> JsonObjectText::ValueStart(std::size_t index) {
  while (true) {
    if (at_value_) {
      if (member_ == index) return pos_;
      pos_ = SkipJsonValue(text_, pos_);
      if (pos_ == kNoPos) return std::nullopt;
      at_value_ = false;
    }
    std::size_t p = SkipJsonSpace(text_, pos_);
    if (p < text_.size() && text_[p] == ',') p = SkipJsonSpace(text_, p + 1);
    if (p >= text_.size() || text_[p] != '"') return std::nullopt;
    p = SkipString(text_, p);
    if (p == kNoPos) return std::nullopt;
    p = SkipJsonSpace(text_, p);
    if (p >= text_.size() || text_[p] != ':') return std::nullopt;
    pos_ = SkipJsonSpace(text_, p + 1);
    member_ = next_member_++;
    at_value_ = true;
    if (member_ > index) return std::nullopt;  // `index` was passed already
  }
}

std::optional<std::string_view> JsonObjectText::Value(std::size_t index) {
  const std::optional<std::size_t> start = ValueStart(index);
  if (!start) return std::nullopt;
  const std::size_t end = SkipJsonValue(text_, *start);
  if (end == kNoPos) return std::nullopt;
  pos_ = end;
  at_value_ = false;
  return text_.substr(*start, end - *start);
}

}  // namespace kw::admission
