// Writing the WebAssembly binary encoding: LEB128 integers, names and sections. Shared by the
// module rewriters (wasm_binary.cc) and the module writers of tests and fuzzers.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace kw::wasm {

// Unsigned LEB128 (u32, and the u64 counts test writers use).
inline void PutU32(std::vector<std::uint8_t>& out, std::uint64_t v) {
  do {
    std::uint8_t b = v & 0x7f;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out.push_back(b);
  } while (v != 0);
}

// Signed LEB128 (the immediates of i32.const and friends).
inline void PutS32(std::vector<std::uint8_t>& out, std::int64_t v) {
  while (true) {
    std::uint8_t b = v & 0x7f;
    v >>= 7;
    bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    out.push_back(done ? b : (b | 0x80));
    if (done) return;
  }
}

inline void PutName(std::vector<std::uint8_t>& out, std::string_view s) {
  PutU32(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

inline void PutSection(std::vector<std::uint8_t>& out, std::uint8_t id,
                       const std::vector<std::uint8_t>& body) {
  out.push_back(id);
  PutU32(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

}  // namespace kw::wasm
