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
// that replacing it (certificate hot reload, cert_reloader.h) needs no change to the server.
// Contexts are built from TlsMaterial, the files' contents read once, so that a reload can
// combine what is in use (the certificate) with what changed (the client CAs).
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

// The PEM text of TlsFiles.
struct TlsMaterial {
  TlsFiles files;  // where each part was read from, for error messages
  std::string cert_pem;
  std::string key_pem;
  std::vector<std::string> client_ca_pems;  // one per files.client_ca_files
};

using TlsContextSharedPtr = std::shared_ptr<boost::asio::ssl::context>;

// Reads one PEM file (at most 16 MiB). Errors (kNotFound, kIo, kInvalidArgument) name the file.
Result<std::string> ReadPemFile(const std::string& path);
// Reads client CA files, in order.
Result<std::vector<std::string>> ReadClientCaFiles(const std::vector<std::string>& paths);
// Reads every file of `files`.
Result<TlsMaterial> ReadTlsMaterial(const TlsFiles& files);

// Builds a server context. Errors (kInvalidArgument) name the file the bad part came from and
// say what is wrong with it.
Result<TlsContextSharedPtr> BuildTlsContext(const TlsMaterial& material);

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
