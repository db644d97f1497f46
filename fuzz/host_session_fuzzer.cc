// Host-capability session files (kwctl --replay-host-capabilities-interactions): whatever the
// parser accepts must write back (ExchangeToYaml) into a session that parses to the same
// exchanges, and each request must survive the host call round trip.
#include <cstdint>
#include <string>
#include <string_view>

#include "capabilities/session.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto session = kw::capabilities::ParseSession(text, "fuzz.yml");
  if (!session) return 0;
  std::string written;
  for (const auto& exchange : *session) {
    written += kw::capabilities::ExchangeToYaml(exchange);
    auto call = kw::capabilities::HostCallFromRequest(exchange.request);
    auto again = kw::capabilities::RequestFromHostCall(call.ns, call.operation, call.payload);
    if (!again || !(*again == exchange.request)) __builtin_trap();
  }
  if (session->empty()) return 0;
  auto reread = kw::capabilities::ParseSession(written, "written.yml");
  if (!reread || reread->size() != session->size()) __builtin_trap();
  for (std::size_t i = 0; i < session->size(); ++i) {
    const auto& a = (*session)[i];
    const auto& b = (*reread)[i];
    if (!(a.request == b.request) || a.response.has_value() != b.response.has_value()) {
      __builtin_trap();
    }
    if (a.response ? *a.response != *b.response
                   : a.response.error().message != b.response.error().message) {
      __builtin_trap();
    }
  }
  return 0;
}
