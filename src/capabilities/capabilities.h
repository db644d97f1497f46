// The host capabilities this build serves, assembled into one dispatcher: what policy-server and
// kwctl give their policies. Each namespace lives in a file of its own (net.h, crypto.h, oci.h,
// kubernetes.h); the gate (HostCapabilities, deny by default) stays the dispatcher's
// (host/host.h), and the kubernetes resources gate (contextAwareResources) wraps whatever answers
// the kubernetes namespace, so it holds for recorded and replayed sessions too.
//
// Served: tracing/log, net/v1/dns_lookup_host, crypto/v1/is_certificate_trusted,
// oci/v1/{manifest_digest, oci_manifest, oci_manifest_config, verify}, oci/v2/verify and
// kubernetes/{list_resources_by_namespace, list_resources_all, get_resource, can_i}.
//
// kwctl can record what the providers answer, or replay a recorded session instead of them
// (session.h): DispatcherOptions.
#pragma once

#include <memory>

#include "capabilities/kubernetes.h"
#include "capabilities/net.h"
#include "capabilities/oci.h"
#include "host/host.h"

namespace kw::capabilities {

class SessionRecorder;
class SessionReplayer;

// What the providers need from the binary's configuration. The defaults suit a binary without
// any: no cluster, anonymous registry access, no Sigstore trust root.
struct DispatcherOptions {
  // What the kubernetes capabilities and the Rego context documents read; nullptr: no cluster
  // (they answer kube::kNoClientMessage).
  std::shared_ptr<Cluster> cluster;
  NetOptions net;
  OciCapabilityOptions oci;  // kwctl and policy-server pass their fetch settings (OciOptionsFrom)
  // Every answer of a provider is recorded here after the provider ran.
  std::shared_ptr<SessionRecorder> recorder;
  // The oci, net, crypto and kubernetes calls are answered from this session, and the real
  // providers are not built at all (no cluster is read). Wins over `recorder`.
  std::shared_ptr<SessionReplayer> replayer;
};

// A dispatcher with every provider registered, immutable from here on.
host::DispatcherSharedPtr MakeDispatcher(DispatcherOptions options = {});

}  // namespace kw::capabilities
