// SHA-256 (FIPS 180-4), through OpenSSL's libcrypto. Thread-safe.
//
// For content addressing: compiled-code cache keys and checksums today, OCI digests later.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;  // OpenSSL's, kept out of this header

namespace kw {

using Sha256Digest = std::array<std::uint8_t, 32>;

// The digest of the concatenation of `parts` (so callers can hash a header and a body without
// copying them together first).
Sha256Digest Sha256(std::initializer_list<std::span<const std::uint8_t>> parts);
Sha256Digest Sha256(std::span<const std::uint8_t> bytes);

// The digest of bytes that arrive in pieces (a stream too large to hold at once).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void Update(std::span<const std::uint8_t> bytes);
  // The digest of everything given so far; the stream is not to be used afterwards.
  Sha256Digest Finish();

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// As 64 lower-case hex digits.
std::string Sha256Hex(const Sha256Digest& digest);

// `text` as bytes, for the functions above.
inline std::span<const std::uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace kw
