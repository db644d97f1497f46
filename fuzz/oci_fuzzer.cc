// What registries, proxies and users hand the OCI client: pulled manifests (PickWasmLayer),
// policy URIs and references, Location headers resolved against a URL, proxy URLs and no_proxy
// lists. The first byte picks the parser, the rest is its input (split on the first NUL where a
// parser takes two strings). Whatever the bytes, each must answer or fail cleanly; a few
// properties that must hold for any input are checked too.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/http_client.h"
#include "net/proxy.h"
#include "oci/artifact.h"
#include "oci/reference.h"

namespace {

std::pair<std::string_view, std::string_view> SplitOnNul(std::string_view text) {
  const std::size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return {text, {}};
  return {text.substr(0, nul), text.substr(nul + 1)};
}

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {
      // A manifest from a registry: a descriptor is only ever returned within the cap, with a
      // valid digest.
      auto layer = kw::oci::PickWasmLayer(input, 1 << 20);
      if (layer) Check(layer->size <= (1 << 20) && kw::oci::IsValidDigest(layer->digest));
      break;
    }
    case 1: {
      // A policy URI or reference typed by a user: normalisation is idempotent.
      auto uri = kw::oci::ParsePolicyUri(input);
      if (uri && uri->scheme == kw::oci::Scheme::kRegistry) {
        auto again = kw::oci::ParsePolicyUri(uri->uri);
        Check(again.has_value() && again->uri == uri->uri);
      }
      auto ref = kw::oci::ParseReference(input);
      if (ref) {
        auto again = kw::oci::ParseReference(ref->Whole());
        Check(again.has_value() && *again == *ref);
      }
      break;
    }
    case 2: {
      // A Location header from a server, against the URL that answered.
      const auto [base, location] = SplitOnNul(input);
      if (auto url = kw::net::ParseHttpUrl(base)) {
        if (auto next = kw::net::ResolveLocation(*url, location)) {
          // What we would connect to next must itself be a URL we accept.
          Check(kw::net::ParseHttpUrl(next->ToString()).has_value());
        }
      }
      break;
    }
    case 3: {
      // A proxy URL from the environment or sources.yaml: the display form never carries the
      // credentials.
      auto proxy = kw::net::ParseProxyUrl(input);
      if (proxy) Check(proxy->display.find('@') == std::string::npos);
      break;
    }
    case 4: {
      // A no_proxy list against a host and port.
      const auto [list, target] = SplitOnNul(input);
      const auto [host, port] = SplitOnNul(target);
      kw::net::NoProxyMatches(list, host, port);
      if (list == "*") Check(kw::net::NoProxyMatches(list, host, port));
      break;
    }
  }
  return 0;
}
