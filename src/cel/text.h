// cel/text.h: the text helpers CEL needs that must also build for wasm32 (src/base is
// host-only): UTF-8 checks and encoding, base64, and Go's number formatting.
#ifndef KW_CEL_TEXT_H_
#define KW_CEL_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kw::cel {

bool IsValidUtf8(std::string_view s);
// Code points in valid UTF-8 (what CEL's size() of a string counts).
std::size_t CountCodePoints(std::string_view s);
// Appends the UTF-8 encoding of `code_point` (<= 0x10FFFF, not a surrogate).
void AppendUtf8(std::string& out, std::uint32_t code_point);
// The byte offset of code point `index` in valid UTF-8 (s.size() when index == count).
std::size_t CodePointOffset(std::string_view s, std::size_t index);

std::string Base64Encode(std::string_view bytes);

// Go's net.IP.String() of a 16-byte IPv6 address (`bytes`: 16 bytes): lower-case hex groups
// without leading zeros, the first longest run of two or more zero groups written "::"
// (RFC 5952). IPv4-mapped addresses are the caller's to print as IPv4.
std::string FormatIPv6(std::string_view bytes);

// A double as Go's strconv.FormatFloat(d, 'g', -1, 64) writes it ("1.5", "1e+06", "NaN",
// "+Inf"), which is how cel-go's string(double) reads.
std::string FormatDouble(double d);

// A finite double as Go's encoding/json writes a float64: fixed notation for 1e-6 <= |d| < 1e21
// ("1000000", "0.5"), exponent form otherwise ("1e+21", "1e-7").
std::string FormatJsonDouble(double d);

// A string literal in double quotes with CEL escapes (for DebugString): bytes quote every
// non-printable byte as \xHH, strings keep printable UTF-8.
std::string QuoteString(std::string_view s, bool bytes);

}  // namespace kw::cel

#endif  // KW_CEL_TEXT_H_
