// Host capabilities: what a policy may ask of the host, through one deny-by-default dispatcher.
//
// A guest's host call (waPC `__host_call`, WASI `host.call`) arrives as
// (binding, namespace, operation, payload). The Dispatcher checks, in upstream's order:
//   1. binding == "kubewarden", else `unknown binding: <b>`;
//   2. unless namespace == "tracing", that the policy was granted `<namespace>/<operation>`
//      (its HostCapabilities), else the upstream "has not been granted access" error;
//   3. that a provider serves the namespace and operation (`unknown namespace` / `unknown
//      operation`).
// Then the provider answers with bytes or an error message, which goes back to the guest.
//
// Providers are registered once at start-up; afterwards the Dispatcher is immutable and
// thread-safe. `tracing/log` is always available.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace kw::host {

// The capabilities granted to one policy: upstream's `hostCapabilities` patterns.
//   "*"          everything;
//   "a/b/*"      every capability under a/b/;
//   "a/b/c"      exactly that capability.
// An empty list grants nothing (only tracing/log works). Immutable and thread-safe.
class HostCapabilities {
 public:
  // Validates the patterns against the known capability tree: a `*` only as a whole trailing
  // segment, every segment known, exact paths ending at a leaf, no blank strings.
  static Result<HostCapabilities> Parse(const std::vector<std::string>& patterns);
  static HostCapabilities AllowAll();
  static HostCapabilities DenyAll() { return HostCapabilities(); }

  bool Allows(std::string_view capability_path) const;
  const std::vector<std::string>& patterns() const { return patterns_; }

  // The Kubernetes resources the policy may read with kubernetes/list_* and get_resource: its
  // `contextAwareResources`, (apiVersion, kind) pairs matched exactly. None by default.
  using KubernetesResource = std::pair<std::string, std::string>;
  void SetKubernetesResources(std::vector<KubernetesResource> resources);
  bool AllowsKubernetesResource(std::string_view api_version, std::string_view kind) const;
  const std::vector<KubernetesResource>& kubernetes_resources() const {
    return kubernetes_resources_;
  }

  // Every capability path the host knows, e.g. "oci/v1/verify".
  static const std::vector<std::string_view>& KnownCapabilities();

 private:
  std::vector<std::string> patterns_;
  std::vector<KubernetesResource> kubernetes_resources_;  // sorted
};

// Who is calling, for gating and for logs, and until when.
struct CallContext {
  std::string_view policy_id;
  const HostCapabilities* capabilities = nullptr;  // nullptr = deny all
  // The deadline of the guest call under way (nullopt: none). The watchdog cannot interrupt a
  // guest while it waits in the host, so a provider that may block (a DNS lookup) gives up by
  // then instead of holding the worker.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// Answers one operation of a namespace: the payload in, the response bytes or an error message
// (returned to the guest as a host error) out.
using Provider = std::function<Result<std::string>(const CallContext& ctx,
                                                   std::string_view operation,
                                                   std::string_view payload)>;

// The documents Rego policies read the cluster through (policy-server.md §4.e.2), built from the
// same watch caches as the kubernetes capabilities.
class RegoContext {
 public:
  virtual ~RegoContext() = default;

  enum class Shape {
    kOpa,         // {<plural>: {<namespace>: {<name>: obj}}}, or {<plural>: {<name>: obj}}
    kGatekeeper,  // {"cluster": {<apiVersion>: {<Kind>: {<name>: obj}}},
                  //  "namespace": {<ns>: {<apiVersion>: {<Kind>: {<name>: obj}}}}}
  };
  // The inventory of `capabilities.kubernetes_resources()` as JSON text. The same pointer is
  // returned for as long as nothing in it changed, so a caller can skip reloading it.
  virtual Result<std::shared_ptr<const std::string>> Inventory(
      const HostCapabilities& capabilities, Shape shape,
      std::optional<std::chrono::steady_clock::time_point> deadline) const = 0;
};

class Dispatcher {
 public:
  // A dispatcher serving `tracing` only.
  Dispatcher();

  // Registers the provider of `ns` (replacing any). Not thread-safe: call during start-up.
  void Register(std::string ns, std::vector<std::string> operations, Provider provider);

  // Sets what builds Rego policies' context documents. Start-up only, like Register.
  void SetRegoContext(std::shared_ptr<const RegoContext> context) {
    rego_context_ = std::move(context);
  }
  // nullptr: Rego policies get no cluster documents.
  const RegoContext* rego_context() const { return rego_context_.get(); }
  // Replaces every provider but tracing's with `wrap(namespace, provider)`, keeping its
  // operations: how kwctl records what the providers answer (capabilities/session.h) without
  // each provider knowing. Not thread-safe: call during start-up, after registering.
  void WrapProviders(const std::function<Provider(const std::string& ns, Provider)>& wrap);

  // Dispatches one host call. Errors are kHostError with the message the guest should see.
  // Under a detailed span (tracing/span.h), each call but tracing's is a "host_call" event of
  // it: `binding`, `namespace`, `operation`, `outcome` ("ok" or "error"), `error`, and
  // `duration_us`.
  Result<std::string> Call(const CallContext& ctx, std::string_view binding, std::string_view ns,
                           std::string_view operation, std::string_view payload) const;

 private:
  Result<std::string> Dispatch(const CallContext& ctx, std::string_view binding,
                               std::string_view ns, std::string_view operation,
                               std::string_view payload) const;

  struct Entry {
    std::vector<std::string> operations;
    Provider provider;
  };
  std::map<std::string, Entry, std::less<>> providers_;
  std::shared_ptr<const RegoContext> rego_context_;
};

using DispatcherSharedPtr = std::shared_ptr<const Dispatcher>;

}  // namespace kw::host
