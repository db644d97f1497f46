// A WASI preview1 host, for one guest instance at a time.
//
// It provides every `wasi_snapshot_preview1` function (and the same set under the older
// `wasi_unstable` name) to a HostFunctionTable. What a policy gets:
//   - args and environment from the configuration (waPC policies get none);
//   - clocks, random bytes, sched_yield, proc_exit;
//   - fd 0 reads from an in-memory stdin, fds 1 and 2 write to bounded in-memory buffers (or,
//     when `forward_output` is set, to the host's stderr, line by line);
//   - poll_oneoff: stdin/stdout/stderr are always ready (stdin reads never block: past its end a
//     read returns 0 bytes, end of file); a poll on clocks only sleeps until the earliest one
//     fires, and one that would outlast the call's deadline (`set_deadline`) ends the call with
//     kTimeout at the deadline, since the watchdog cannot interrupt a guest blocked in the host;
//   - fd_fdstat_set_flags on stdio is accepted and remembered (Go's wasip1 runtime toggles
//     O_NONBLOCK and reads it back with fd_fdstat_get);
//   - no filesystem and no sockets: there are no preopened directories, and every path_*, sock_*
//     or unknown-fd call fails with the errno a real system would give (EBADF, ENOTSOCK, ...).
// Every guest pointer is bounds-checked; a bad one yields EFAULT, as a kernel would.
//
// Thread-compatible: one WasiHost per instance, used on that instance's thread. It must outlive
// the HostFunctionTable it was added to.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace kw::runtime::wasi {

struct WasiConfig {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=value"
  // Bytes kept from stdout and from stderr; further output is dropped (and
  // `output_truncated()` is set).
  std::size_t max_output_bytes = 1024 * 1024;
  std::size_t max_stderr_bytes = 1024 * 1024;
  // When captured stdout would grow past `max_output_bytes`, abort the guest (kHostError)
  // instead of dropping the rest: a truncated answer is useless, and a guest writing without
  // end should not run until its deadline.
  bool fail_on_stdout_overflow = false;
  // Send guest stdout/stderr to the host's stderr instead of capturing them.
  bool forward_output = false;
  std::string log_prefix;  // for forwarded output, e.g. "policy my-policy"
};

class WasiHost {
 public:
  explicit WasiHost(WasiConfig config);

  // Adds the preview1 functions to `table`, under both module names.
  void AddTo(engine::HostFunctionTable& table);

  // Replaces stdin with `data` (read position back to 0); clears captured output and fd flags.
  void Reset(std::string stdin_data);
  // The guest's argv (argv[0] included), for the next instance.
  void set_args(std::vector<std::string> args) { config_.args = std::move(args); }
  // The deadline of the guest call under way, which bounds poll_oneoff's sleeps.
  void set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline) {
    deadline_ = deadline;
  }
  // Appends to stdin (WASI host calls answer this way). What the guest has already read is
  // dropped first, so stdin holds only unread bytes.
  void AppendStdin(std::string_view data);
  std::size_t unread_stdin() const { return stdin_.size() - stdin_pos_; }

  const std::string& stdout_data() const { return stdout_; }
  const std::string& stderr_data() const { return stderr_; }
  std::string take_stdout() { return std::move(stdout_); }
  bool output_truncated() const { return truncated_; }

 private:
  engine::HostResult Write(engine::GuestMemory& m, std::uint32_t fd,
                                             std::uint32_t iovs, std::uint32_t iovs_len,
                                             std::uint32_t nwritten_ptr);
  engine::HostResult Read(engine::GuestMemory& m, std::uint32_t fd,
                                            std::uint32_t iovs, std::uint32_t iovs_len,
                                            std::uint32_t nread_ptr);
  engine::HostResult PollOneoff(engine::GuestMemory& m, std::uint32_t in,
                                                  std::uint32_t out, std::uint32_t count,
                                                  std::uint32_t nevents_ptr);
  // Sleeps for `duration`, or fails with kTimeout at the deadline when that comes first.
  Result<void> Sleep(std::chrono::nanoseconds duration);
  Result<void> Emit(std::uint32_t fd, std::string_view bytes);

  WasiConfig config_;
  std::string stdin_;
  std::size_t stdin_pos_ = 0;
  std::string stdout_;
  std::string stderr_;
  std::string pending_line_[2];
  bool truncated_ = false;
  std::uint16_t fd_flags_[3] = {};
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

}  // namespace kw::runtime::wasi
