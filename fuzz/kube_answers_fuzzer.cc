// What a Kubernetes API server sends back, over hostile bytes: the watch stream (split into
// chunks where the first byte says, so events straddle reads), discovery documents and Status
// error bodies. An API server, or whatever answers in its place, must never crash the client.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/watch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  kw::kube::WatchDecoder decoder(4096);
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    auto fed = decoder.Feed(input.substr(at, chunk), [](kw::kube::WatchEvent& event) {
      return event.type != kw::kube::WatchEvent::Type::kError;
    });
    if (!fed || *fed) break;
  }
  (void)kw::kube::ParseApiResourceList("apps/v1", input);
  (void)kw::kube::StatusError(500, input);
  return 0;
}
