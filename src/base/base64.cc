#include "base/base64.h"

#include <array>
#include <cstdint>

namespace kw {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> MakeDecodeTable() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

void Base64EncodeAppend(std::string_view bytes, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + (bytes.size() + 2) / 3 * 4);
  char* dst = out.data() + start;
  const auto* src = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{src[i]} << 16) | (std::uint32_t{src[i + 1]} << 8) |
                            std::uint32_t{src[i + 2]};
    *dst++ = kAlphabet[(v >> 18) & 0x3f];
    *dst++ = kAlphabet[(v >> 12) & 0x3f];
    *dst++ = kAlphabet[(v >> 6) & 0x3f];
    *dst++ = kAlphabet[v & 0x3f];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{src[i]} << 16;
    *dst++ = kAlphabet[(v >> 18) & 0x3f];
    *dst++ = kAlphabet[(v >> 12) & 0x3f];
    *dst++ = '=';
    *dst++ = '=';
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{src[i]} << 16) | (std::uint32_t{src[i + 1]} << 8);
    *dst++ = kAlphabet[(v >> 18) & 0x3f];
    *dst++ = kAlphabet[(v >> 12) & 0x3f];
    *dst++ = kAlphabet[(v >> 6) & 0x3f];
    *dst++ = '=';
  }
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  Base64EncodeAppend(bytes, out);
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Fail(
        ErrorKind::kInvalidArgument,
        "invalid base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
  }
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    padding = text[text.size() - 2] == '=' ? 2 : 1;
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  const std::size_t data_len = text.size() - padding;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < data_len; ++i) {
    const std::uint8_t d = kDecode[static_cast<unsigned char>(text[i])];
    if (d == kInvalid) {
      return Fail(ErrorKind::kInvalidArgument,
                  "invalid base64: invalid symbol at offset " + std::to_string(i));
    }
    acc = (acc << 6) | d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits belong to no output byte; a canonical encoder leaves them zero, and accepting
  // non-zero ones would give two encodings for the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return Fail(ErrorKind::kInvalidArgument, "invalid base64: non-zero trailing bits");
  }
  return out;
}

}  // namespace kw
