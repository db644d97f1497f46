// Watches files for changes, as Kubernetes and people change them (Linux only: inotify), and
// calls back on a thread of its own. The certificate reloader and the policies reloader use it.
//
// How a change is seen. Watching a file for IN_CLOSE_WRITE sees it rewritten in place but not
// replaced: editors and most tools write a temporary file and rename it over the original, and
// Kubernetes updates a mounted ConfigMap or Secret by pointing the volume's `..data` symlink at a
// new directory, so the inode being watched never changes. We therefore also watch the directory
// each path is in (which sees renames and the symlink swap) and the directory of the file it
// resolves to, and re-aim the watches after every look. Events only prompt a look: the callback
// decides what changed (IdentifyFile, files.h). Bursts of events are coalesced: the callback runs
// once the files have been quiet for `settle_time`, and at least once a second while they never
// are (a busy /tmp must not postpone it forever). A callback that finds the files still being
// written returns false, and is called again a settle time later, events or not.
//
// The callback runs on the watcher's thread, one call at a time; destroying the FileWatcher
// stops and joins it (after the call in progress returns).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kw::server {

class FileWatcher {
 public:
  // Returns nullptr, with a warning naming `what` logged, when the files cannot be watched (no
  // inotify): changes then need a restart.
  static std::unique_ptr<FileWatcher> Start(std::vector<std::string> paths,
                                            std::chrono::milliseconds settle_time,
                                            std::function<bool()> on_change,
                                            std::string_view what);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

 private:
  class Thread;
  explicit FileWatcher(std::unique_ptr<Thread> thread);
  std::unique_ptr<Thread> thread_;
};

}  // namespace kw::server
