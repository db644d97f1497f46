// uuid.rfc4122 and rand.intn: random, but fixed per evaluation for the same arguments (OPA's
// guarantee, kept in BuiltinContext::drawn).
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "runtime/opa/builtins_internal.h"

namespace kw::runtime::opa::internal {
namespace {

// Bounds what one evaluation may keep drawn: each entry is one distinct call.
constexpr std::size_t kMaxDrawn = 100'000;

template <typename Draw>
Result<json::value> Memoized(std::string_view builtin, const BuiltinContext& context,
                             std::string key, Draw draw) {
  if (auto it = context.drawn.find(key); it != context.drawn.end()) return it->second;
  if (context.drawn.size() >= kMaxDrawn) {
    return std::unexpected(BuiltinError(builtin, "too many distinct calls in one evaluation"));
  }
  json::value value = draw();
  context.drawn.emplace(std::move(key), value);
  return value;
}

std::uint64_t RandomWord() {
  std::uint64_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) std::abort();
  return v;
}

// A version 4 (random) UUID, RFC 4122 §4.4.
std::string RandomUuid() {
  std::array<unsigned char, 16> b;
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) std::abort();
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  std::string hex = HexText(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Result<json::value> UuidRfc4122(const BuiltinContext& context, std::span<const json::value> args) {
  static constexpr std::string_view kName = "uuid.rfc4122";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view key, StringOperand(kName, args, 1));
  return Memoized(kName, context, std::string(kName) + '\0' + std::string(key),
                  [] { return json::value(json::string(RandomUuid())); });
}

Result<json::value> RandIntn(const BuiltinContext& context, std::span<const json::value> args) {
  static constexpr std::string_view kName = "rand.intn";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view key, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::int64_t n, IntOperand(kName, args, 2));
  if (n == 0) return json::value(std::int64_t{0});
  // OPA draws from [0, |n|).
  std::uint64_t bound = n < 0 ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
  return Memoized(kName, context, std::string(kName) + '\0' + std::string(key) + '\0' + std::to_string(n),
                  [bound] {
                    // Rejection sampling keeps every value equally likely.
                    std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
                    std::uint64_t v;
                    do v = RandomWord(); while (v >= limit);
                    return json::value(static_cast<std::int64_t>(v % bound));
                  });
}

constexpr BuiltinEntry kBuiltins[] = {
    {"rand.intn", RandIntn},
    {"uuid.rfc4122", UuidRfc4122},
};

}  // namespace

std::span<const BuiltinEntry> RandomBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
