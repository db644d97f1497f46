// cel-go's ext.Encoders: base64.encode(bytes) -> string, base64.decode(string) -> bytes. Decoding
// accepts padded and unpadded standard base64 (cel-go tries both); errors are Go's
// "illegal base64 data at input byte N".
#include "cel/libraries.h"
#include "cel/text.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;

int Sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

Value IllegalAt(std::size_t at) { return Value::Error("illegal base64 data at input byte " + std::to_string(at)); }

// Go's base64.StdEncoding, falling back to RawStdEncoding when the input has no padding.
Value Decode(std::string_view s) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] != '='; ++i) {
    int v = Sextet(s[i]);
    if (v < 0) return IllegalAt(i);
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  std::size_t data = i;
  std::size_t rem = data % 4;
  if (rem == 1) return IllegalAt(data == s.size() ? data - 1 : data);
  if (i < s.size()) {
    // Padding: exactly what completes the last quantum, and nothing after it.
    std::size_t pad = rem == 0 ? 0 : 4 - rem;
    if (pad == 0) return IllegalAt(i);
    for (std::size_t k = 0; k < pad; ++k, ++i)
      if (i >= s.size() || s[i] != '=') return IllegalAt(i >= s.size() ? s.size() : i);
    if (i < s.size()) return IllegalAt(i);
  }
  // Go (strict off) still refuses non-zero trailing bits only in strict mode: accept them.
  return Value::Bytes(std::move(out));
}

}  // namespace

void RegisterEncodersLibrary(FunctionRegistry& r) {
  AddOverload(r, "base64.encode", false, "(bytes) -> string", [](Args a, CallContext& ctx) {
    std::size_t size = (a[0].text().size() + 2) / 3 * 4;
    if (size > ctx.max_string_bytes()) return CallContext::SizeExceeded("string");
    if (!ctx.Charge(TraversalCost(size))) return CallContext::CostExceeded();
    return Value::String(Base64Encode(a[0].text()));
  });
  AddOverload(r, "base64.decode", false, "(string) -> bytes", [](Args a, CallContext& ctx) {
    if (!ctx.Charge(TraversalCost(a[0].text().size()))) return CallContext::CostExceeded();
    return Decode(a[0].text());
  });
}

}  // namespace kw::cel
