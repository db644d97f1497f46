// The host capabilities this build serves, assembled into one dispatcher: what policy-server and
// kwctl give their policies. Each namespace lives in a file of its own (net.h, crypto.h); the
// gate (HostCapabilities, deny by default) stays the dispatcher's (host/host.h).
//
// Served: tracing/log, net/v1/dns_lookup_host, crypto/v1/is_certificate_trusted, kubernetes/*.
// Not yet: oci/* (its calls answer "unknown namespace").
#pragma once

#include <memory>

#include "capabilities/kubernetes.h"
#include "host/host.h"

namespace kw::capabilities {

// A dispatcher with every provider registered, immutable from here on. `cluster` is what the
// kubernetes capabilities read; nullptr: no cluster (they answer kube::kNoClientMessage).
host::DispatcherSharedPtr MakeDispatcher(std::shared_ptr<Cluster> cluster = nullptr);

}  // namespace kw::capabilities
