#include "capabilities/capabilities.h"

#include <memory>

#include "capabilities/crypto.h"
#include "capabilities/rego_context.h"
#include "capabilities/session.h"

namespace kw::capabilities {

host::DispatcherSharedPtr MakeDispatcher(DispatcherOptions options) {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  // A replay reads no cluster, as upstream builds no client then.
  std::shared_ptr<Cluster> cluster = options.cluster && !options.replayer
                                         ? options.cluster
                                         : std::make_shared<Cluster>(nullptr);
  if (options.replayer) {
    // The real providers are not built: the session answers in their place.
    RegisterReplay(*dispatcher, options.replayer);
  } else {
    RegisterNet(*dispatcher, std::move(options.net));
    RegisterCrypto(*dispatcher);
    RegisterOci(*dispatcher, std::move(options.oci));
    RegisterKubernetes(*dispatcher, cluster);
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
