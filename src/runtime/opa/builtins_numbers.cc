// numbers.range_step: the integers from a to b (both ends included when the step lands on them)
// by a positive step, counting down when b < a, as OPA's topdown generates them.
#include <cstdint>

#include "runtime/opa/builtins_internal.h"

namespace kw::runtime::opa::internal {
namespace {

// OPA builds whatever range it is asked for; the host bounds it by what a guest could hold.
constexpr std::uint64_t kMaxRangeLength = 1'000'000;

Result<json::value> RangeStep(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "numbers.range_step";
  KW_TRY(CheckArity(kName, args, 3));
  KW_ASSIGN_OR_RETURN(std::int64_t from, IntOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::int64_t to, IntOperand(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::int64_t step, IntOperand(kName, args, 3));
  if (step <= 0) return std::unexpected(BuiltinError(kName, "step must be a positive number above zero"));
  // In unsigned arithmetic the distance cannot overflow, whatever the ends.
  const bool up = from <= to;
  const std::uint64_t distance = up ? static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from)
                                    : static_cast<std::uint64_t>(from) - static_cast<std::uint64_t>(to);
  const std::uint64_t steps = distance / static_cast<std::uint64_t>(step);
  if (steps >= kMaxRangeLength) {
    return std::unexpected(BuiltinError(
        kName, "the range has more than " + std::to_string(kMaxRangeLength) + " elements"));
  }
  const std::uint64_t length = steps + 1;
  json::array out;
  out.reserve(length);
  for (std::uint64_t i = 0; i < length; ++i) {
    const std::uint64_t offset = i * static_cast<std::uint64_t>(step);
    const std::uint64_t value = up ? static_cast<std::uint64_t>(from) + offset
                                   : static_cast<std::uint64_t>(from) - offset;
    out.emplace_back(static_cast<std::int64_t>(value));
  }
  return json::value(std::move(out));
}

constexpr BuiltinEntry kBuiltins[] = {
    {"numbers.range_step", RangeStep},
};

}  // namespace

std::span<const BuiltinEntry> NumbersBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
