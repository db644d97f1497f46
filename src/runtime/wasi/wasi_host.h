// A WASI preview1 host, for one guest instance at a time.
//
// It provides every `wasi_snapshot_preview1` function (and the same set under the older
// `wasi_unstable` name) to a HostFunctionTable. What a policy gets:
//   - args and environment from the configuration (waPC policies get none);
//   - clocks, random bytes, sched_yield, proc_exit;
//   - fd 0 reads from an in-memory stdin, fds 1 and 2 write to bounded in-memory buffers (or,
//     when `forward_output` is set, to the host's stderr, line by line);
//   - poll_oneoff that never blocks (blocking in the host could not be interrupted by the
//     deadline): clock subscriptions fire at once, stdin/stdout/stderr are always ready;
//   - no filesystem and no sockets: there are no preopened directories, and every path_*, sock_*
//     or unknown-fd call fails with the errno a real system would give (EBADF, ENOTSOCK, ...).
// Every guest pointer is bounds-checked; a bad one yields EFAULT, as a kernel would.
//
// Thread-compatible: one WasiHost per instance, used on that instance's thread. It must outlive
// the HostFunctionTable it was added to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace kw::runtime::wasi {

struct WasiConfig {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=value"
  // Bytes kept from stdout/stderr; further output is dropped (and `output_truncated()` is set).
  std::size_t max_output_bytes = 1024 * 1024;
  // Send guest stdout/stderr to the host's stderr instead of capturing them.
  bool forward_output = false;
  std::string log_prefix;  // for forwarded output, e.g. "policy my-policy"
};

class WasiHost {
 public:
  explicit WasiHost(WasiConfig config);

  // Adds the preview1 functions to `table`, under both module names.
  void AddTo(engine::HostFunctionTable& table);

  // Replaces stdin with `data` (read position back to 0); clears captured output.
  void Reset(std::string stdin_data);
  // Appends to stdin (WASI host calls answer this way).
  void AppendStdin(std::string_view data);

  const std::string& stdout_data() const { return stdout_; }
  const std::string& stderr_data() const { return stderr_; }
  bool output_truncated() const { return truncated_; }

 private:
  Result<std::optional<engine::Value>> Write(engine::GuestMemory& m, std::uint32_t fd,
                                             std::uint32_t iovs, std::uint32_t iovs_len,
                                             std::uint32_t nwritten_ptr);
  Result<std::optional<engine::Value>> Read(engine::GuestMemory& m, std::uint32_t fd,
                                            std::uint32_t iovs, std::uint32_t iovs_len,
                                            std::uint32_t nread_ptr);
  Result<std::optional<engine::Value>> PollOneoff(engine::GuestMemory& m, std::uint32_t in,
                                                  std::uint32_t out, std::uint32_t count,
                                                  std::uint32_t nevents_ptr);
  void Emit(std::uint32_t fd, std::string_view bytes);

  WasiConfig config_;
  std::string stdin_;
  std::size_t stdin_pos_ = 0;
  std::string stdout_;
  std::string stderr_;
  std::string pending_line_[2];
  bool truncated_ = false;
};

}  // namespace kw::runtime::wasi
