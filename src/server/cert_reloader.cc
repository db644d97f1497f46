#include "server/cert_reloader.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

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

namespace kw::server {
namespace {

// Files rewritten in place, or replaced (the inode goes away: IN_IGNORED follows).
constexpr std::uint32_t kFileEvents = IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF;
// Files written, renamed in (editors, Kubernetes' `..data` swap), created (symlinks).
constexpr std::uint32_t kDirectoryEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE;

// What a path resolves to. A file counts as changed when this differs from when it was loaded.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t modified_ns = 0;
  std::int64_t changed_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

std::int64_t Nanoseconds(const timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// nullopt while the path resolves to nothing (mid-replacement, say).
std::optional<FileIdentity> Identify(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino, st.st_size, Nanoseconds(st.st_mtim),
                      Nanoseconds(st.st_ctim)};
}

std::string DirectoryOf(const std::filesystem::path& path) {
  std::filesystem::path parent = path.parent_path();
  return parent.empty() ? "." : parent.string();
}

using Identities = std::vector<std::optional<FileIdentity>>;

}  // namespace

class CertReloader::Watcher {
 public:
  Watcher(TlsMaterial loaded, std::shared_ptr<TlsContextHolder> holder, int inotify_fd,
          int stop_fd)
      : loaded_(std::move(loaded)),
        holder_(std::move(holder)),
        inotify_fd_(inotify_fd),
        stop_fd_(stop_fd) {
    paths_ = {loaded_.files.cert_file, loaded_.files.key_file};
    paths_.insert(paths_.end(), loaded_.files.client_ca_files.begin(),
                  loaded_.files.client_ca_files.end());
    for (const std::string& path : paths_) loaded_ids_.push_back(Identify(path));
    Rewatch();
    thread_ = std::thread([this] { Run(); });
  }

  ~Watcher() {
    std::uint64_t one = 1;
    (void)::write(stop_fd_, &one, sizeof one);
    thread_.join();
    ::close(inotify_fd_);
    ::close(stop_fd_);
  }

 private:
  static constexpr std::size_t kCert = 0;
  static constexpr std::size_t kKey = 1;
  static constexpr std::size_t kFirstCa = 2;

  void Run() {
    using Clock = std::chrono::steady_clock;
    // A directory that never stays quiet (the files live in a busy /tmp) must not postpone the
    // look forever.
    constexpr auto kMaxDelay = std::chrono::seconds(1);
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    std::optional<Clock::time_point> first_event;  // of the burst not looked at yet
    Clock::time_point last_event;
    auto due = [&] { return std::min(last_event + kSettleTime, *first_event + kMaxDelay); };
    for (;;) {
      int timeout = -1;
      if (first_event) {
        timeout = static_cast<int>(std::max<std::int64_t>(
            0, std::chrono::ceil<std::chrono::milliseconds>(due() - Clock::now()).count()));
      }
      if (::poll(fds, 2, timeout) < 0) {
        if (errno == EINTR) continue;
        spdlog::error("certificate hot reload stopped: poll: {}", std::strerror(errno));
        return;
      }
      if (fds[1].revents != 0) return;
      if (fds[0].revents != 0) {
        Drain();
        last_event = Clock::now();
        if (!first_event) first_event = last_event;
      }
      if (first_event && Clock::now() >= due()) {
        first_event.reset();
        Rewatch();
        Rescan();
      }
    }
  }

  // Every event only prompts a look at the files, so their details do not matter.
  void Drain() {
    alignas(inotify_event) char buffer[16 * 1024];
    while (::read(inotify_fd_, buffer, sizeof buffer) > 0) {
    }
  }

  // Watches the files where they are now: after a replacement the file watch is on an inode
  // that is gone, and a symlink may point into another directory.
  void Rewatch() {
    std::map<std::string, std::uint32_t> wanted;
    for (const std::string& path : paths_) {
      wanted[DirectoryOf(path)] = kDirectoryEvents;
      std::error_code ec;
      std::filesystem::path real = std::filesystem::canonical(path, ec);
      if (ec) continue;  // missing for now; the directory watch sees it come back
      wanted[real.string()] = kFileEvents;
      wanted[DirectoryOf(real)] = kDirectoryEvents;
    }
    std::set<int> watches;
    for (const auto& [path, events] : wanted) {
      int wd = ::inotify_add_watch(inotify_fd_, path.c_str(), events);
      if (wd >= 0) watches.insert(wd);
    }
    for (int wd : watches_) {
      if (!watches.contains(wd)) ::inotify_rm_watch(inotify_fd_, wd);
    }
    watches_ = std::move(watches);
  }

  void Rescan() {
    Identities now;
    for (const std::string& path : paths_) now.push_back(Identify(path));
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
  int inotify_fd_;
  int stop_fd_;
  std::vector<std::string> paths_;  // kCert, kKey, then the client CA files
  Identities loaded_ids_;           // of paths_, when what is in use was read
  // The files as they were when a reload failed (or a lone change was logged): not tried (or
  // logged) again until they change once more.
  Identities failed_cas_;
  Identities failed_pair_;
  Identities announced_pair_;
  std::set<int> watches_;
  std::thread thread_;
};

std::unique_ptr<CertReloader> CertReloader::Start(TlsMaterial loaded,
                                                  std::shared_ptr<TlsContextHolder> holder) {
  int inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  int stop_fd = inotify_fd < 0 ? -1 : ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    spdlog::warn("cannot watch the TLS files ({}): certificate changes need a restart",
                 std::strerror(errno));
    if (inotify_fd >= 0) ::close(inotify_fd);
    return nullptr;
  }
  auto watcher = std::make_unique<Watcher>(std::move(loaded), std::move(holder), inotify_fd, stop_fd);
  return std::unique_ptr<CertReloader>(new CertReloader(std::move(watcher)));
}

CertReloader::CertReloader(std::unique_ptr<Watcher> watcher) : watcher_(std::move(watcher)) {}

CertReloader::~CertReloader() = default;

}  // namespace kw::server
