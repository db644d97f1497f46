// Certificate hot reload (policy-server.md §1.2, Linux only, as upstream): watches the
// certificate, key and client CA files and replaces the context new connections get
// (TlsContextHolder) when they change:
//   - a changed client CA file rebuilds the client verifier (with the certificate in use);
//   - the certificate and key are reloaded only once *both* have changed since the pair in use
//     was loaded, since they are rewritten one after the other and a new certificate does not
//     match the old key;
//   - a reload that fails (a file unreadable, not PEM, a key that does not match) keeps the
//     context in use and logs an error; the next change of either file tries again.
// Connections already open keep the context they were accepted with.
//
// Changes are seen as file_watcher.h describes (in place, by rename, by a Secret's `..data`
// symlink switch); a file counts as changed when what its path resolves to now differs from what
// was loaded. Bursts of events are coalesced (kSettleTime) so that a certificate and key written
// back to back are seen together.
//
// The watcher is a thread of its own; destroying the CertReloader stops and joins it.
#pragma once

#include <chrono>
#include <memory>

#include "server/tls.h"

namespace kw::server {

class CertReloader {
 public:
  // How long the files must stay quiet after an event before they are looked at.
  static constexpr std::chrono::milliseconds kSettleTime{100};

  // Watches the files of `loaded` (what `holder` currently serves). Returns nullptr, with a
  // warning logged, when the files cannot be watched (no inotify): the server then keeps its
  // certificates until restarted.
  static std::unique_ptr<CertReloader> Start(TlsMaterial loaded,
                                             std::shared_ptr<TlsContextHolder> holder);
  ~CertReloader();
  CertReloader(const CertReloader&) = delete;
  CertReloader& operator=(const CertReloader&) = delete;

 private:
  class Watcher;
  explicit CertReloader(std::unique_ptr<Watcher> watcher);
  std::unique_ptr<Watcher> watcher_;
};

}  // namespace kw::server
