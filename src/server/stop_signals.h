// How a server process waits for its end: SIGTERM and SIGINT are blocked in every thread (call
// StopSignals before starting any, so that they all inherit the mask) and taken by one sigwait
// on the main thread, where shutting down in order is safe. SIGPIPE is ignored: a broken
// connection is an error on its socket, not the end of the process.
#pragma once

#include <signal.h>

#include <string>

namespace kw::server {

class StopSignals {
 public:
  StopSignals();  // blocks SIGTERM and SIGINT, ignores SIGPIPE
  // Waits for one of them; its name ("TERM", "INT").
  std::string Wait() const;

 private:
  sigset_t signals_;
};

}  // namespace kw::server
