// --daemon (policy-server.md §2.5): detach from the terminal and run in the background.
//
// Daemonize() forks twice (with setsid in between, so the daemon leads no session and can never
// acquire a controlling terminal), points stdin at /dev/null and stdout/stderr at the given
// files (truncated; /dev/null when not given), and writes the daemon's pid to the pid file,
// which it keeps locked (flock) while it runs, so a second daemon on the same pid file refuses
// to start. The working directory is kept, so relative paths on the command line (the default
// policies.yml) still resolve.
//
// The command does not return to the shell before the daemon knows how its start-up went: the
// original process waits for the daemon to call ReportReady (it exits 0) or ReportFailure (it
// prints the error on its own stderr and exits 1), so `policy-server --daemon && next-step`
// works. If the daemon dies before reporting, the original process exits 1 as well.
//
// Call before any thread exists: only the calling thread survives fork.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace kw::server {

struct DaemonOptions {
  std::string pid_file;
  std::optional<std::string> stdout_file;
  std::optional<std::string> stderr_file;
};

// The daemon's side of the start-up report, and the owner of the pid file (removed, and
// unlocked, when destroyed).
class Daemon {
 public:
  Daemon(int report_fd, int pid_fd, std::string pid_file)
      : report_fd_(report_fd), pid_fd_(pid_fd), pid_file_(std::move(pid_file)) {}
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  void ReportReady();
  void ReportFailure(std::string_view message);

 private:
  void Report(std::string_view message);
  void RemovePidFile();  // once

  int report_fd_;
  int pid_fd_;
  std::string pid_file_;
  bool pid_file_removed_ = false;
};

// Returns in the daemon only; the original process waits for the report and exits. Errors
// (unwritable files, a pid file locked by a running daemon) are returned before forking, in the
// original process.
Result<std::unique_ptr<Daemon>> Daemonize(const DaemonOptions& options);

}  // namespace kw::server
