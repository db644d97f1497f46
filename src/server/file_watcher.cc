#include "server/file_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

namespace kw::server {
namespace {

// Files rewritten in place, or replaced (the inode goes away: IN_IGNORED follows).
constexpr std::uint32_t kFileEvents = IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF;
// Files written, renamed in (editors, Kubernetes' `..data` swap), created (symlinks).
constexpr std::uint32_t kDirectoryEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE;

std::string DirectoryOf(const std::filesystem::path& path) {
  std::filesystem::path parent = path.parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

class FileWatcher::Thread {
 public:
  Thread(std::vector<std::string> paths, std::chrono::milliseconds settle_time,
         std::function<bool()> on_change, int inotify_fd, int stop_fd)
      : paths_(std::move(paths)),
        settle_time_(settle_time),
        on_change_(std::move(on_change)),
        inotify_fd_(inotify_fd),
        stop_fd_(stop_fd) {
    Rewatch();
    thread_ = std::thread([this] { Run(); });
  }

  ~Thread() {
    std::uint64_t one = 1;
    (void)::write(stop_fd_, &one, sizeof one);
    thread_.join();
    ::close(inotify_fd_);
    ::close(stop_fd_);
  }

 private:
  void Run() {
    using Clock = std::chrono::steady_clock;
    constexpr auto kMaxDelay = std::chrono::seconds(1);
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    bool pending = false;            // events (or a retry) not looked at yet
    Clock::time_point first_event;   // of the pending burst
    Clock::time_point last_event;
    auto due = [&] { return std::min(last_event + settle_time_, first_event + kMaxDelay); };
    for (;;) {
      int timeout = -1;
      if (pending) {
        timeout = static_cast<int>(std::max<std::int64_t>(
            0, std::chrono::ceil<std::chrono::milliseconds>(due() - Clock::now()).count()));
      }
      if (::poll(fds, 2, timeout) < 0) {
        if (errno == EINTR) continue;
        spdlog::error("watching {} stopped: poll: {}", paths_.front(), std::strerror(errno));
        return;
      }
      if (fds[1].revents != 0) return;
      if (fds[0].revents != 0) {
        Drain();
        last_event = Clock::now();
        if (!pending) first_event = last_event;
        pending = true;
      }
      if (pending && Clock::now() >= due()) {
        pending = false;
        Rewatch();
        if (!on_change_()) {  // look again later
          first_event = last_event = Clock::now();
          pending = true;
        }
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

  const std::vector<std::string> paths_;
  const std::chrono::milliseconds settle_time_;
  const std::function<bool()> on_change_;
  int inotify_fd_;
  int stop_fd_;
  std::set<int> watches_;
  std::thread thread_;
};

std::unique_ptr<FileWatcher> FileWatcher::Start(std::vector<std::string> paths,
                                                std::chrono::milliseconds settle_time,
                                                std::function<bool()> on_change,
                                                std::string_view what) {
  int inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  int stop_fd = inotify_fd < 0 ? -1 : ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    spdlog::warn("cannot watch the {} ({}): changes need a restart", what, std::strerror(errno));
    if (inotify_fd >= 0) ::close(inotify_fd);
    return nullptr;
  }
  auto thread = std::make_unique<Thread>(std::move(paths), settle_time, std::move(on_change),
                                         inotify_fd, stop_fd);
  return std::unique_ptr<FileWatcher>(new FileWatcher(std::move(thread)));
}

FileWatcher::FileWatcher(std::unique_ptr<Thread> thread) : thread_(std::move(thread)) {}

FileWatcher::~FileWatcher() = default;

}  // namespace kw::server
