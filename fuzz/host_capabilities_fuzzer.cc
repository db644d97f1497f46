// The host-capability payload decoders over hostile payloads: a policy chooses every byte it
// hands `__host_call` / `host.call`. Each input is tried as a net/v1/dns_lookup_host payload and
// as a crypto/v1/is_certificate_trusted one; a certificate request that decodes is also checked,
// so the certificate bytes reach OpenSSL's PEM and DER parsers and its chain verification.
// (The DNS resolver is not called: lookups would depend on the network, not on the input.)
// The same bytes go to the four kubernetes operations through the dispatcher, with no cluster
// configured: decoding and the contextAwareResources gate run, then the "no client" answer.
// Whatever the bytes, decoding and checking must fail cleanly or succeed, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "capabilities/capabilities.h"
#include "capabilities/crypto.h"
#include "capabilities/net.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  (void)kw::capabilities::DecodeDnsLookupHost(payload);
  if (auto request = kw::capabilities::DecodeCertificateTrustRequest(payload)) {
    (void)kw::capabilities::CheckCertificateTrust(*request);
  }
  static const auto dispatcher = kw::capabilities::MakeDispatcher();
  static const auto capabilities = [] {
    auto all = kw::host::HostCapabilities::AllowAll();
    all.SetKubernetesResources({{"v1", "Pod"}, {"apps/v1", "Deployment"}});
    return all;
  }();
  kw::host::CallContext context{"fuzz", &capabilities, std::nullopt};
  for (std::string_view operation :
       {"list_resources_by_namespace", "list_resources_all", "get_resource", "can_i"}) {
    (void)dispatcher->Call(context, "kubewarden", "kubernetes", operation, payload);
  }
  return 0;
}
