#include "capabilities/capabilities.h"

#include <memory>

#include "capabilities/crypto.h"

namespace kw::capabilities {

host::DispatcherSharedPtr MakeDispatcher(CapabilitiesOptions options) {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  RegisterNet(*dispatcher, std::move(options.net));
  RegisterCrypto(*dispatcher);
  RegisterOci(*dispatcher, std::move(options.oci));
  return dispatcher;
}

}  // namespace kw::capabilities
