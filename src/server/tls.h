// TLS for the API listener (policy-server.md §1.2): the server certificate and key, and optional
// client authentication (mTLS).
//
// As upstream: the certificate file must hold exactly one PEM certificate (no chain) and the key
// file exactly one PEM private key; `client_ca_files` (from the comma-separated
// --client-ca-file) are PEM files whose certificates all go into one trust store, and when there
// are any, every client must present a certificate that chains to one of them. TLS 1.2 and 1.3
// only; HTTP/1.1 only (no ALPN).
//
// A context is immutable once built and shared by the connections accepted with it.
// TlsContextHolder is where the listener picks the current context for each new connection, so
// that replacing it (certificate hot reload) needs no change to the server.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "base/error.h"

namespace kw::server {

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::vector<std::string> client_ca_files;  // empty = no client authentication
};

using TlsContextSharedPtr = std::shared_ptr<boost::asio::ssl::context>;

// Reads the files and builds a server context. Errors (kInvalidArgument, kNotFound, kIo) name
// the file and say what is wrong with it.
Result<TlsContextSharedPtr> BuildTlsContext(const TlsFiles& files);

// The context new connections use. Thread-safe.
class TlsContextHolder {
 public:
  explicit TlsContextHolder(TlsContextSharedPtr context) : context_(std::move(context)) {}
  TlsContextSharedPtr Get() const { return context_.load(); }
  void Set(TlsContextSharedPtr context) { context_.store(std::move(context)); }

 private:
  std::atomic<TlsContextSharedPtr> context_;
};

}  // namespace kw::server
