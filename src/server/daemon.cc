#include "server/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

#include "cli/log_format.h"

namespace kw::server {
namespace {

// The report's first byte: kReady, or kFailed followed by the message.
constexpr char kReady = 'R';
constexpr char kFailed = 'F';

std::string Errno() { return std::strerror(errno); }

Result<int> OpenOutput(const std::optional<std::string>& path, std::string_view flag) {
  const char* target = path ? path->c_str() : "/dev/null";
  int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Fail(ErrorKind::kIo, "cannot open " + std::string(flag) + " '" + target + "': " + Errno());
  }
  return fd;
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// The original process: waits for the daemon's report and exits with it.
[[noreturn]] void AwaitReport(int report_fd, pid_t child) {
  std::string report;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(report_fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buffer, static_cast<std::size_t>(n));
  }
  // The intermediate child exits as soon as it has forked the daemon.
  waitpid(child, nullptr, 0);
  if (!report.empty() && report[0] == kReady) std::exit(0);
  if (!report.empty() && report[0] == kFailed) {
    cli::PrintError(report.substr(1));
  } else {
    cli::PrintError("the daemon exited before it was ready");
  }
  std::exit(1);
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemonize(const DaemonOptions& options) {
  // Everything that can fail for a user's reason fails here, before forking, so the error goes
  // to the terminal.
  const int pid_fd = open(options.pid_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (pid_fd < 0) {
    return Fail(ErrorKind::kIo, "cannot open the pid file '" + options.pid_file + "': " + Errno());
  }
  KW_ASSIGN_OR_RETURN(const int out_fd, OpenOutput(options.stdout_file, "--daemon-stdout-file"));
  KW_ASSIGN_OR_RETURN(const int err_fd, OpenOutput(options.stderr_file, "--daemon-stderr-file"));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2];
  if (null_fd < 0 || pipe2(report, O_CLOEXEC) != 0) {
    return Fail(ErrorKind::kIo, "cannot daemonize: " + Errno());
  }
  std::cout.flush();
  std::cerr.flush();

  const pid_t child = fork();
  if (child < 0) return Fail(ErrorKind::kIo, "cannot fork: " + Errno());
  if (child > 0) {
    close(report[1]);
    AwaitReport(report[0], child);
  }
  close(report[0]);
  setsid();
  const pid_t daemon = fork();
  if (daemon < 0) _exit(1);  // the original process reports that the daemon died
  if (daemon > 0) _exit(0);

  // The daemon. A pid file still locked belongs to a daemon that runs.
  if (flock(pid_fd, LOCK_EX | LOCK_NB) != 0) {
    std::string message = "the pid file '" + options.pid_file +
                          "' is locked: another policy-server daemon is running";
    WriteAll(report[1], std::string(1, kFailed) + message);
    _exit(1);
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(pid_fd, 0) != 0 || pwrite(pid_fd, pid.data(), pid.size(), 0) < 0) {
    WriteAll(report[1], std::string(1, kFailed) + "cannot write the pid file '" +
                            options.pid_file + "': " + Errno());
    _exit(1);
  }
  dup2(null_fd, STDIN_FILENO);
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  close(null_fd);
  close(out_fd);
  close(err_fd);
  return std::make_unique<Daemon>(report[1], pid_fd, options.pid_file);
}

Daemon::~Daemon() {
  if (report_fd_ >= 0) close(report_fd_);
  RemovePidFile();
  close(pid_fd_);  // releases the lock
}

void Daemon::RemovePidFile() {
  if (pid_file_removed_) return;
  unlink(pid_file_.c_str());
  pid_file_removed_ = true;
}

void Daemon::ReportReady() { Report(std::string(1, kReady)); }

void Daemon::ReportFailure(std::string_view message) {
  // Before the report: the command returns as soon as it reads it, and its user may then look
  // for the pid file (or start another daemon, whose pid file our exit must not remove).
  RemovePidFile();
  Report(std::string(1, kFailed) + std::string(message));
}

void Daemon::Report(std::string_view message) {
  if (report_fd_ < 0) return;
  WriteAll(report_fd_, message);
  close(report_fd_);
  report_fd_ = -1;
}

}  // namespace kw::server
