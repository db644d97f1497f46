#include "capabilities/capabilities.h"

#include <memory>

#include "capabilities/net.h"

namespace kw::capabilities {

host::DispatcherSharedPtr MakeDispatcher() {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  RegisterNet(*dispatcher);
  return dispatcher;
}

}  // namespace kw::capabilities
