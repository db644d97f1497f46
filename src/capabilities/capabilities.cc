#include "capabilities/capabilities.h"

#include <memory>

#include "capabilities/crypto.h"
#include "capabilities/net.h"

namespace kw::capabilities {

host::DispatcherSharedPtr MakeDispatcher(std::shared_ptr<Cluster> cluster) {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  RegisterNet(*dispatcher);
  RegisterCrypto(*dispatcher);
  RegisterKubernetes(*dispatcher, cluster ? std::move(cluster) : std::make_shared<Cluster>(nullptr));
  return dispatcher;
}

}  // namespace kw::capabilities
