// The host capabilities this build serves, assembled into one dispatcher: what policy-server and
// kwctl give their policies. Each namespace lives in a file of its own (net.h, crypto.h, oci.h);
// the gate (HostCapabilities, deny by default) stays the dispatcher's (host/host.h).
//
// Served: tracing/log, net/v1/dns_lookup_host, crypto/v1/is_certificate_trusted,
// oci/v1/{manifest_digest, oci_manifest, oci_manifest_config, verify}, oci/v2/verify. Not yet:
// kubernetes/* (its calls answer "unknown namespace").
#pragma once

#include "capabilities/net.h"
#include "capabilities/oci.h"
#include "host/host.h"

namespace kw::capabilities {

// What the providers need from the binary's configuration. The defaults suit a binary without
// any: anonymous registry access, no Sigstore trust root.
struct CapabilitiesOptions {
  NetOptions net;
  OciCapabilityOptions oci;  // kwctl and policy-server pass their fetch settings (OciOptionsFrom)
};

// A dispatcher with every provider registered, immutable from here on.
host::DispatcherSharedPtr MakeDispatcher(CapabilitiesOptions options = {});

}  // namespace kw::capabilities
