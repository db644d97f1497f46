#include "capabilities/capabilities.h"

#include <memory>

#include "capabilities/crypto.h"
#include "capabilities/net.h"
#include "capabilities/rego_context.h"

namespace kw::capabilities {

host::DispatcherSharedPtr MakeDispatcher(std::shared_ptr<Cluster> cluster) {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  RegisterNet(*dispatcher);
  RegisterCrypto(*dispatcher);
  if (!cluster) cluster = std::make_shared<Cluster>(nullptr);
  RegisterKubernetes(*dispatcher, cluster);
  dispatcher->SetRegoContext(std::make_shared<ClusterRegoContext>(std::move(cluster)));
  return dispatcher;
}

}  // namespace kw::capabilities
