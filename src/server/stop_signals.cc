#include "server/stop_signals.h"

#include <pthread.h>

#include <cstring>

namespace kw::server {

StopSignals::StopSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::string StopSignals::Wait() const {
  int signal_number = 0;
  while (sigwait(&signals_, &signal_number) != 0) {
  }
  const char* name = sigabbrev_np(signal_number);
  return name != nullptr ? name : "a signal";
}

}  // namespace kw::server
