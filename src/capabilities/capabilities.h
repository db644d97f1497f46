// The host capabilities this build serves, assembled into one dispatcher: what policy-server and
// kwctl give their policies. Each namespace lives in a file of its own (net.h, crypto.h); the
// gate (HostCapabilities, deny by default) stays the dispatcher's (host/host.h).
//
// Served: tracing/log, net/v1/dns_lookup_host, crypto/v1/is_certificate_trusted. Not yet:
// kubernetes/*, oci/* (their calls answer "unknown namespace").
//
// kwctl can record what the providers answer, or replay a recorded session instead of them
// (session.h): DispatcherOptions. A replay serves every namespace of the capability tree, the
// ones not implemented yet included, from the session.
#pragma once

#include <memory>

#include "host/host.h"

namespace kw::capabilities {

class SessionRecorder;
class SessionReplayer;

struct DispatcherOptions {
  // Every answer of a provider is recorded here after the provider ran.
  std::shared_ptr<SessionRecorder> recorder;
  // The oci, net, crypto and kubernetes calls are answered from this session, and the real
  // providers are not built at all. Wins over `recorder`.
  std::shared_ptr<SessionReplayer> replayer;
};

// A dispatcher with every provider registered, immutable from here on.
host::DispatcherSharedPtr MakeDispatcher(const DispatcherOptions& options = {});

}  // namespace kw::capabilities
