// A client's `traceparent` header (tracing/span.h): whatever is accepted has non-zero ids and
// writes back to a header that parses to the same context.
#include <cstdint>
#include <string>
#include <string_view>

#include "tracing/span.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto context = kw::tracing::ParseTraceparent(header);
  if (!context) return 0;
  const std::string written = "00-" + kw::tracing::Hex(context->trace_id) + "-" +
                              kw::tracing::Hex(context->span_id) +
                              (context->sampled ? "-01" : "-00");
  const auto again = kw::tracing::ParseTraceparent(written);
  if (!again || again->trace_id != context->trace_id || again->span_id != context->span_id ||
      again->sampled != context->sampled) {
    __builtin_trap();
  }
  return 0;
}
