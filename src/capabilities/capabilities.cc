#include "capabilities/capabilities.h"

#include <memory>

#include "capabilities/crypto.h"
#include "capabilities/net.h"

namespace kw::capabilities {

host::DispatcherSharedPtr MakeDispatcher() {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  RegisterNet(*dispatcher);
  RegisterCrypto(*dispatcher);
  return dispatcher;
}

}  // namespace kw::capabilities
