// The double's HTTPS front: TLS (optionally verifying client certificates), authentication,
// the /double/ control endpoints, faults, request counting, and the writing of responses and
// watch streams (chunked, one event per line, flushed as it happens).
//
// Asio with C++20 coroutines: `threads` threads run one io_context; each connection is one
// coroutine on its own strand, keep-alive, one request at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/error.h"
#include "kube_apiserver/api.h"
#include "kube_apiserver/auth.h"
#include "kube_apiserver/control.h"

namespace kw::kube_double {

struct ServerOptions {
  std::string cert_file, key_file, client_ca_file;  // client_ca_file "" = no certificates
  TokenTable tokens;
  std::uint16_t port = 0;
  unsigned threads = 2;
  std::chrono::milliseconds bookmark_interval{1000};
};

class Server {
 public:
  Server(ServerOptions options, Api& api);
  ~Server();
  // Binds 127.0.0.1:port; the bound port.
  Result<std::uint16_t> Listen();
  // Serves until the process ends.
  void Run();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kw::kube_double
