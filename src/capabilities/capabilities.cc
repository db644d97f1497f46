#include "capabilities/capabilities.h"

#include <memory>

#include "capabilities/crypto.h"
#include "capabilities/net.h"
#include "capabilities/rego_context.h"
#include "capabilities/session.h"

namespace kw::capabilities {
namespace {

// Every real provider of this build: what is recorded, or left unbuilt by a replay.
void RegisterProviders(host::Dispatcher& dispatcher, const std::shared_ptr<Cluster>& cluster) {
  RegisterNet(dispatcher);
  RegisterCrypto(dispatcher);
  RegisterKubernetes(dispatcher, cluster);
}

}  // namespace

host::DispatcherSharedPtr MakeDispatcher(const DispatcherOptions& options) {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  // A replay reads no cluster, as upstream builds no client then.
  std::shared_ptr<Cluster> cluster = options.cluster && !options.replayer
                                         ? options.cluster
                                         : std::make_shared<Cluster>(nullptr);
  if (options.replayer) {
    RegisterReplay(*dispatcher, options.replayer);
  } else {
    RegisterProviders(*dispatcher, cluster);
    if (options.recorder) {
      dispatcher->WrapProviders([&](const std::string& ns, host::Provider real) {
        return RecordingProvider(ns, std::move(real), options.recorder);
      });
    }
  }
  // Outermost, so that a call the policy was not granted is neither recorded nor replayed, as
  // upstream refuses it before its callback handler.
  dispatcher->WrapProviders([](const std::string& ns, host::Provider provider) {
    return ns == "kubernetes" ? GateKubernetesResources(std::move(provider)) : provider;
  });
  dispatcher->SetRegoContext(std::make_shared<ClusterRegoContext>(std::move(cluster)));
  return dispatcher;
}

}  // namespace kw::capabilities
