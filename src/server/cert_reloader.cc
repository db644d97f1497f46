#include "server/cert_reloader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "base/files.h"
#include "server/file_watcher.h"

namespace kw::server {
namespace {

using Identities = std::vector<std::optional<FileIdentity>>;

}  // namespace

class CertReloader::Watcher {
 public:
  Watcher(TlsMaterial loaded, std::shared_ptr<TlsContextHolder> holder)
      : loaded_(std::move(loaded)), holder_(std::move(holder)) {
    paths_ = {loaded_.files.cert_file, loaded_.files.key_file};
    paths_.insert(paths_.end(), loaded_.files.client_ca_files.begin(),
                  loaded_.files.client_ca_files.end());
    for (const std::string& path : paths_) loaded_ids_.push_back(IdentifyFile(path));
  }

  // False when the files cannot be watched.
  bool Watch() {
    files_ = FileWatcher::Start(paths_, kSettleTime, [this] {
      Rescan();
      return true;
    }, "TLS files");
    return files_ != nullptr;
  }

 private:
  static constexpr std::size_t kCert = 0;
  static constexpr std::size_t kKey = 1;
  static constexpr std::size_t kFirstCa = 2;

  void Rescan() {
    Identities now;
    for (const std::string& path : paths_) now.push_back(IdentifyFile(path));
    auto changed = [&](std::size_t i) { return now[i] && now[i] != loaded_ids_[i]; };

    bool cas_changed = false;
    for (std::size_t i = kFirstCa; i < paths_.size(); ++i) cas_changed |= changed(i);
    Identities cas(now.begin() + kFirstCa, now.end());
    if (cas_changed && cas != failed_cas_) ReloadClientCas(now);

    bool cert_changed = changed(kCert);
    bool key_changed = changed(kKey);
    Identities pair = {now[kCert], now[kKey]};
    if (cert_changed && key_changed) {
      if (pair != failed_pair_) ReloadCertificate(now);
    } else if ((cert_changed || key_changed) && pair != announced_pair_) {
      announced_pair_ = pair;
      spdlog::info("TLS {} file {} changed; the certificate and key are reloaded once both have "
                   "changed",
                   cert_changed ? "certificate" : "key", paths_[cert_changed ? kCert : kKey]);
    }
  }

  void ReloadClientCas(const Identities& now) {
    TlsMaterial next = loaded_;
    Result<TlsContextSharedPtr> context = [&]() -> Result<TlsContextSharedPtr> {
      KW_ASSIGN_OR_RETURN(next.client_ca_pems, ReadClientCaFiles(next.files.client_ca_files));
      return BuildTlsContext(next);
    }();
    if (!context) {
      failed_cas_.assign(now.begin() + kFirstCa, now.end());
      spdlog::error("cannot reload the TLS client CAs: {}; new connections are still verified "
                    "against the previous ones",
                    context.error().message);
      return;
    }
    Install(std::move(next), *context, now, kFirstCa, paths_.size());
    std::string files;
    for (const std::string& path : loaded_.files.client_ca_files) {
      files += (files.empty() ? "" : ", ") + path;
    }
    spdlog::info("reloaded the TLS client CAs from {}", files);
  }

  void ReloadCertificate(const Identities& now) {
    TlsMaterial next = loaded_;
    Result<TlsContextSharedPtr> context = [&]() -> Result<TlsContextSharedPtr> {
      KW_ASSIGN_OR_RETURN(next.cert_pem, ReadPemFile(next.files.cert_file));
      KW_ASSIGN_OR_RETURN(next.key_pem, ReadPemFile(next.files.key_file));
      return BuildTlsContext(next);
    }();
    if (!context) {
      failed_pair_ = {now[kCert], now[kKey]};
      spdlog::error("cannot reload the TLS certificate and key: {}; new connections still get "
                    "the previous ones",
                    context.error().message);
      return;
    }
    Install(std::move(next), *context, now, kCert, kKey + 1);
    spdlog::info("reloaded the TLS certificate and key from {} and {}", paths_[kCert],
                 paths_[kKey]);
  }

  // Serves `context`, built from `next`, whose files [first, last) were read at `now`.
  void Install(TlsMaterial next, TlsContextSharedPtr context, const Identities& now,
               std::size_t first, std::size_t last) {
    holder_->Set(std::move(context));
    loaded_ = std::move(next);
    for (std::size_t i = first; i < last; ++i) loaded_ids_[i] = now[i];
  }

  TlsMaterial loaded_;  // what the context in use was built from
  std::shared_ptr<TlsContextHolder> holder_;
  std::vector<std::string> paths_;  // kCert, kKey, then the client CA files
  Identities loaded_ids_;           // of paths_, when what is in use was read
  // The files as they were when a reload failed (or a lone change was logged): not tried (or
  // logged) again until they change once more.
  Identities failed_cas_;
  Identities failed_pair_;
  Identities announced_pair_;
  // Last: stopped first, while the state its callback uses is still there.
  std::unique_ptr<FileWatcher> files_;
};

std::unique_ptr<CertReloader> CertReloader::Start(TlsMaterial loaded,
                                                  std::shared_ptr<TlsContextHolder> holder) {
  auto watcher = std::make_unique<Watcher>(std::move(loaded), std::move(holder));
  if (!watcher->Watch()) return nullptr;
  return std::unique_ptr<CertReloader>(new CertReloader(std::move(watcher)));
}

CertReloader::CertReloader(std::unique_ptr<Watcher> watcher) : watcher_(std::move(watcher)) {}

CertReloader::~CertReloader() = default;

}  // namespace kw::server
