// Kubernetes quantities (src/crd/quantity.h), as users write them in PolicyServer limits. What
// parses must compare consistently: equal to itself, antisymmetric against fixed values; its
// canonical text must mean the same and be canonical itself.
#include <cstdint>
#include <string_view>

#include "crd/quantity.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto q = kw::crd::Quantity::Parse(text);
  if (!q) {
    Check(q.error().kind == kw::ErrorKind::kInvalidArgument);
    return 0;
  }
  Check(q->Compare(*q) == 0);
  for (std::string_view fixed : {"0", "-1m", "1Ki", "1e3", "999999999999E"}) {
    auto other = kw::crd::Quantity::Parse(fixed);
    Check(other.has_value());
    int a = q->Compare(*other);
    int b = other->Compare(*q);
    Check((a < 0 && b > 0) || (a > 0 && b < 0) || (a == 0 && b == 0));
  }
  Check(q->IsZero() ? !q->IsNegative() : true);
  // The canonical text means the same value and is its own canonical text, as the API server
  // writes back what it wrote.
  if (const auto& canonical = q->canonical()) {
    auto again = kw::crd::Quantity::Parse(*canonical);
    Check(again.has_value() && again->Compare(*q) == 0);
    Check(again->canonical() == canonical);
  }
  return 0;
}
