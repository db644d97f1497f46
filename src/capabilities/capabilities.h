// The host capabilities this build serves, assembled into one dispatcher: what policy-server and
// kwctl give their policies. Each namespace lives in a file of its own (net.h, crypto.h,
// kubernetes.h); the gate (HostCapabilities, deny by default) stays the dispatcher's
// (host/host.h), and the kubernetes resources gate (contextAwareResources) wraps whatever answers
// the kubernetes namespace, so it holds for recorded and replayed sessions too.
//
// Served: tracing/log, net/v1/dns_lookup_host, crypto/v1/is_certificate_trusted, kubernetes/*.
// Not yet: oci/* (its calls answer "unknown namespace").
//
// kwctl can record what the providers answer, or replay a recorded session instead of them
// (session.h): DispatcherOptions. A replay serves every namespace of the capability tree, the
// ones not implemented yet included, from the session.
#pragma once

#include <memory>

#include "capabilities/kubernetes.h"
#include "host/host.h"

namespace kw::capabilities {

class SessionRecorder;
class SessionReplayer;

struct DispatcherOptions {
  // What the kubernetes capabilities and the Rego context documents read; nullptr: no cluster
  // (they answer kube::kNoClientMessage).
  std::shared_ptr<Cluster> cluster;
  // Every answer of a provider is recorded here after the provider ran.
  std::shared_ptr<SessionRecorder> recorder;
  // The oci, net, crypto and kubernetes calls are answered from this session, and the real
  // providers are not built at all (no cluster is read). Wins over `recorder`.
  std::shared_ptr<SessionReplayer> replayer;
};

// A dispatcher with every provider registered, immutable from here on.
host::DispatcherSharedPtr MakeDispatcher(const DispatcherOptions& options = {});

}  // namespace kw::capabilities
