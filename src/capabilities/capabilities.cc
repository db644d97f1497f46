#include "capabilities/capabilities.h"

#include <memory>

#include "capabilities/crypto.h"
#include "capabilities/net.h"
#include "capabilities/session.h"

namespace kw::capabilities {
namespace {

// Every real provider of this build: what is recorded, or left unbuilt by a replay.
void RegisterProviders(host::Dispatcher& dispatcher) {
  RegisterNet(dispatcher);
  RegisterCrypto(dispatcher);
}

}  // namespace

host::DispatcherSharedPtr MakeDispatcher(const DispatcherOptions& options) {
  auto dispatcher = std::make_shared<host::Dispatcher>();
  if (options.replayer) {
    RegisterReplay(*dispatcher, options.replayer);
    return dispatcher;
  }
  RegisterProviders(*dispatcher);
  if (options.recorder) {
    dispatcher->WrapProviders([&](const std::string& ns, host::Provider real) {
      return RecordingProvider(ns, std::move(real), options.recorder);
    });
  }
  return dispatcher;
}

}  // namespace kw::capabilities
