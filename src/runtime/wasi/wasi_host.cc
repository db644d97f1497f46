#include "runtime/wasi/wasi_host.h"

#include <sys/random.h>
#include <time.h>

#include <cstring>

#include <spdlog/spdlog.h>

namespace kw::runtime::wasi {
namespace {

using engine::GuestMemory;
using engine::HostFunction;
using engine::Value;
using wasm::FuncType;
using wasm::ValType;

// WASI errno values (preview1).
enum Errno : std::int32_t {
  kSuccess = 0,
  kAcces = 2,
  kBadf = 8,
  kFault = 21,
  kInval = 28,
  kIo = 29,
  kNosys = 52,
  kNotsock = 57,
  kSpipe = 70,
};

constexpr std::uint8_t kFiletypeCharacterDevice = 2;
constexpr std::size_t kMaxIovecs = 1024;

using HostResult = Result<std::optional<Value>>;

HostResult Ret(std::int32_t errno_value) { return std::optional<Value>(Value::I32(errno_value)); }

FuncType Sig(std::initializer_list<ValType> params, std::initializer_list<ValType> results) {
  return FuncType{std::vector<ValType>(params), std::vector<ValType>(results)};
}

constexpr ValType I32 = ValType::kI32;
constexpr ValType I64 = ValType::kI64;

std::uint32_t U32(const Value& v) { return static_cast<std::uint32_t>(v.i32); }

bool Put32(GuestMemory& m, std::uint32_t ptr, std::uint32_t v) {
  std::uint8_t b[4];
  std::memcpy(b, &v, 4);  // wasm is little-endian, as is every host we build for
  return m.Write(ptr, std::span<const std::uint8_t>(b, 4));
}

bool Put64(GuestMemory& m, std::uint32_t ptr, std::uint64_t v) {
  std::uint8_t b[8];
  std::memcpy(b, &v, 8);
  return m.Write(ptr, std::span<const std::uint8_t>(b, 8));
}

std::optional<std::uint32_t> Get32(GuestMemory& m, std::uint32_t ptr) {
  auto s = m.Span(ptr, 4);
  if (!s) return std::nullopt;
  std::uint32_t v;
  std::memcpy(&v, s->data(), 4);
  return v;
}

// Writes a list of strings the way args_get/environ_get do: pointers into a NUL-separated buffer.
HostResult PutStrings(GuestMemory& m, const std::vector<std::string>& items, std::uint32_t ptrs,
                      std::uint32_t buf) {
  std::uint32_t offset = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!Put32(m, ptrs + static_cast<std::uint32_t>(i * 4), buf + offset)) return Ret(kFault);
    std::string with_nul = items[i] + '\0';
    if (!m.Write(buf + offset, with_nul)) return Ret(kFault);
    offset += static_cast<std::uint32_t>(with_nul.size());
  }
  return Ret(kSuccess);
}

HostResult PutSizes(GuestMemory& m, const std::vector<std::string>& items, std::uint32_t count_ptr,
                    std::uint32_t size_ptr) {
  std::uint32_t total = 0;
  for (const auto& s : items) total += static_cast<std::uint32_t>(s.size() + 1);
  if (!Put32(m, count_ptr, static_cast<std::uint32_t>(items.size())) || !Put32(m, size_ptr, total)) {
    return Ret(kFault);
  }
  return Ret(kSuccess);
}

bool IsStdio(std::uint32_t fd) { return fd <= 2; }

}  // namespace

WasiHost::WasiHost(WasiConfig config) : config_(std::move(config)) {}

void WasiHost::Reset(std::string stdin_data) {
  stdin_ = std::move(stdin_data);
  stdin_pos_ = 0;
  stdout_.clear();
  stderr_.clear();
  pending_line_[0].clear();
  pending_line_[1].clear();
  truncated_ = false;
}

void WasiHost::AppendStdin(std::string_view data) { stdin_.append(data); }

void WasiHost::Emit(std::uint32_t fd, std::string_view bytes) {
  if (config_.forward_output) {
    std::string& line = pending_line_[fd - 1];
    for (char c : bytes) {
      if (c == '\n' || line.size() >= 4096) {
        spdlog::info("{} {}: {}", config_.log_prefix, fd == 1 ? "stdout" : "stderr", line);
        line.clear();
        if (c == '\n') continue;
      }
      line.push_back(c);
    }
    return;
  }
  std::string& sink = fd == 1 ? stdout_ : stderr_;
  std::size_t room = config_.max_output_bytes - std::min(config_.max_output_bytes, sink.size());
  if (bytes.size() > room) truncated_ = true;
  sink.append(bytes.substr(0, room));
}

HostResult WasiHost::Write(GuestMemory& m, std::uint32_t fd, std::uint32_t iovs,
                           std::uint32_t iovs_len, std::uint32_t nwritten_ptr) {
  if (fd != 1 && fd != 2) return Ret(fd == 0 ? kBadf : kBadf);
  if (iovs_len > kMaxIovecs) return Ret(kInval);
  std::uint64_t written = 0;
  for (std::uint32_t i = 0; i < iovs_len; ++i) {
    auto buf = Get32(m, iovs + i * 8);
    auto len = Get32(m, iovs + i * 8 + 4);
    if (!buf || !len) return Ret(kFault);
    auto data = m.Span(*buf, *len);
    if (!data) return Ret(kFault);
    Emit(fd, std::string_view(reinterpret_cast<const char*>(data->data()), data->size()));
    written += *len;
  }
  if (!Put32(m, nwritten_ptr, static_cast<std::uint32_t>(written))) return Ret(kFault);
  return Ret(kSuccess);
}

HostResult WasiHost::Read(GuestMemory& m, std::uint32_t fd, std::uint32_t iovs,
                          std::uint32_t iovs_len, std::uint32_t nread_ptr) {
  if (fd != 0) return Ret(kBadf);
  if (iovs_len > kMaxIovecs) return Ret(kInval);
  std::uint32_t total = 0;
  for (std::uint32_t i = 0; i < iovs_len && stdin_pos_ < stdin_.size(); ++i) {
    auto buf = Get32(m, iovs + i * 8);
    auto len = Get32(m, iovs + i * 8 + 4);
    if (!buf || !len) return Ret(kFault);
    std::size_t n = std::min<std::size_t>(*len, stdin_.size() - stdin_pos_);
    if (!m.Write(*buf, std::string_view(stdin_).substr(stdin_pos_, n))) return Ret(kFault);
    stdin_pos_ += n;
    total += static_cast<std::uint32_t>(n);
  }
  if (!Put32(m, nread_ptr, total)) return Ret(kFault);
  return Ret(kSuccess);
}

HostResult WasiHost::PollOneoff(GuestMemory& m, std::uint32_t in, std::uint32_t out,
                                std::uint32_t count, std::uint32_t nevents_ptr) {
  // Subscription: 48 bytes (userdata u64, tag u8 @8, clock or fd payload @16).
  // Event: 32 bytes (userdata u64, errno u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24).
  if (count == 0) return Ret(kInval);
  if (count > 4096) return Ret(kInval);
  std::uint32_t events = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    auto sub = m.Span(in + i * 48, 48);
    if (!sub) return Ret(kFault);
    std::uint8_t event[32] = {};
    std::memcpy(event, sub->data(), 8);
    std::uint8_t tag = (*sub)[8];
    event[10] = tag;
    if (tag == 1 || tag == 2) {
      std::uint32_t fd;
      std::memcpy(&fd, sub->data() + 16, 4);
      std::uint16_t err = 0;
      std::uint64_t nbytes = 0;
      if (!IsStdio(fd) || (tag == 1 && fd != 0) || (tag == 2 && fd == 0)) err = kBadf;
      else if (tag == 1) nbytes = stdin_.size() - stdin_pos_;
      std::memcpy(event + 8, &err, 2);
      std::memcpy(event + 16, &nbytes, 8);
    } else if (tag != 0) {
      std::uint16_t err = kInval;
      std::memcpy(event + 8, &err, 2);
    }
    if (!m.Write(out + events * 32, std::span<const std::uint8_t>(event, 32))) return Ret(kFault);
    ++events;
  }
  if (!Put32(m, nevents_ptr, events)) return Ret(kFault);
  return Ret(kSuccess);
}

void WasiHost::AddTo(engine::HostFunctionTable& table) {
  std::vector<HostFunction> fns;
  auto add = [&](std::string name, FuncType type, engine::HostCallback cb) {
    fns.push_back(HostFunction{"", std::move(name), std::move(type), std::move(cb)});
  };
  // Functions that only ever answer with one errno: no filesystem, no sockets.
  auto fixed = [&](std::string name, FuncType type, std::int32_t errno_value) {
    add(std::move(name), std::move(type),
        [errno_value](GuestMemory&, std::span<const Value>) { return Ret(errno_value); });
  };
  // fd functions: EBADF for anything but stdio, `stdio_errno` for stdio.
  auto by_fd = [&](std::string name, FuncType type, std::int32_t stdio_errno) {
    add(std::move(name), std::move(type), [stdio_errno](GuestMemory&, std::span<const Value> a) {
      return Ret(IsStdio(U32(a[0])) ? stdio_errno : kBadf);
    });
  };

  add("args_get", Sig({I32, I32}, {I32}), [this](GuestMemory& m, std::span<const Value> a) {
    return PutStrings(m, config_.args, U32(a[0]), U32(a[1]));
  });
  add("args_sizes_get", Sig({I32, I32}, {I32}), [this](GuestMemory& m, std::span<const Value> a) {
    return PutSizes(m, config_.args, U32(a[0]), U32(a[1]));
  });
  add("environ_get", Sig({I32, I32}, {I32}), [this](GuestMemory& m, std::span<const Value> a) {
    return PutStrings(m, config_.env, U32(a[0]), U32(a[1]));
  });
  add("environ_sizes_get", Sig({I32, I32}, {I32}),
      [this](GuestMemory& m, std::span<const Value> a) {
        return PutSizes(m, config_.env, U32(a[0]), U32(a[1]));
      });
  add("clock_res_get", Sig({I32, I32}, {I32}), [](GuestMemory& m, std::span<const Value> a) {
    if (U32(a[0]) > 3) return Ret(kInval);
    return Ret(Put64(m, U32(a[1]), 1) ? kSuccess : kFault);
  });
  add("clock_time_get", Sig({I32, I64, I32}, {I32}), [](GuestMemory& m, std::span<const Value> a) {
    static constexpr clockid_t kClocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                            CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
    std::uint32_t id = U32(a[0]);
    if (id > 3) return Ret(kInval);
    timespec ts{};
    clock_gettime(kClocks[id], &ts);
    std::uint64_t ns = static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
                       static_cast<std::uint64_t>(ts.tv_nsec);
    return Ret(Put64(m, U32(a[2]), ns) ? kSuccess : kFault);
  });
  add("fd_write", Sig({I32, I32, I32, I32}, {I32}),
      [this](GuestMemory& m, std::span<const Value> a) {
        return Write(m, U32(a[0]), U32(a[1]), U32(a[2]), U32(a[3]));
      });
  add("fd_read", Sig({I32, I32, I32, I32}, {I32}),
      [this](GuestMemory& m, std::span<const Value> a) {
        return Read(m, U32(a[0]), U32(a[1]), U32(a[2]), U32(a[3]));
      });
  add("fd_fdstat_get", Sig({I32, I32}, {I32}), [](GuestMemory& m, std::span<const Value> a) {
    if (!IsStdio(U32(a[0]))) return Ret(kBadf);
    std::uint8_t stat[24] = {};
    stat[0] = kFiletypeCharacterDevice;
    std::uint64_t rights = U32(a[0]) == 0 ? 0x2 /* fd_read */ : 0x40 /* fd_write */;
    rights |= 0x200000;  // poll_fd_readwrite
    std::memcpy(stat + 8, &rights, 8);
    return Ret(m.Write(U32(a[1]), std::span<const std::uint8_t>(stat, 24)) ? kSuccess : kFault);
  });
  add("fd_filestat_get", Sig({I32, I32}, {I32}), [](GuestMemory& m, std::span<const Value> a) {
    if (!IsStdio(U32(a[0]))) return Ret(kBadf);
    std::uint8_t stat[64] = {};
    stat[16] = kFiletypeCharacterDevice;
    return Ret(m.Write(U32(a[1]), std::span<const std::uint8_t>(stat, 64)) ? kSuccess : kFault);
  });
  add("poll_oneoff", Sig({I32, I32, I32, I32}, {I32}),
      [this](GuestMemory& m, std::span<const Value> a) {
        return PollOneoff(m, U32(a[0]), U32(a[1]), U32(a[2]), U32(a[3]));
      });
  add("proc_exit", Sig({I32}, {}), [](GuestMemory&, std::span<const Value> a) -> HostResult {
    Error e(ErrorKind::kGuestExit, "guest exited with code " + std::to_string(U32(a[0])));
    e.exit_code = a[0].i32;
    return std::unexpected(std::move(e));
  });
  add("random_get", Sig({I32, I32}, {I32}), [](GuestMemory& m, std::span<const Value> a) {
    auto buf = m.Span(U32(a[0]), U32(a[1]));
    if (!buf) return Ret(kFault);
    std::size_t done = 0;
    while (done < buf->size()) {
      ssize_t n = getrandom(buf->data() + done, buf->size() - done, 0);
      if (n <= 0) return Ret(kIo);
      done += static_cast<std::size_t>(n);
    }
    return Ret(kSuccess);
  });
  add("sched_yield", Sig({}, {I32}), [](GuestMemory&, std::span<const Value>) { return Ret(kSuccess); });
  fixed("proc_raise", Sig({I32}, {I32}), kNosys);

  by_fd("fd_close", Sig({I32}, {I32}), kSuccess);
  by_fd("fd_sync", Sig({I32}, {I32}), kInval);
  by_fd("fd_datasync", Sig({I32}, {I32}), kInval);
  by_fd("fd_advise", Sig({I32, I64, I64, I32}, {I32}), kSpipe);
  by_fd("fd_allocate", Sig({I32, I64, I64}, {I32}), kSpipe);
  by_fd("fd_fdstat_set_flags", Sig({I32, I32}, {I32}), kSuccess);
  by_fd("fd_fdstat_set_rights", Sig({I32, I64, I64}, {I32}), kSuccess);
  by_fd("fd_filestat_set_size", Sig({I32, I64}, {I32}), kInval);
  by_fd("fd_filestat_set_times", Sig({I32, I64, I64, I32}, {I32}), kInval);
  by_fd("fd_pread", Sig({I32, I32, I32, I64, I32}, {I32}), kSpipe);
  by_fd("fd_pwrite", Sig({I32, I32, I32, I64, I32}, {I32}), kSpipe);
  by_fd("fd_readdir", Sig({I32, I32, I32, I64, I32}, {I32}), kBadf);
  by_fd("fd_renumber", Sig({I32, I32}, {I32}), kBadf);
  by_fd("fd_seek", Sig({I32, I64, I32, I32}, {I32}), kSpipe);
  by_fd("fd_tell", Sig({I32, I32}, {I32}), kSpipe);
  // No preopened directories: EBADF tells wasi-libc's preopen scan to stop.
  fixed("fd_prestat_get", Sig({I32, I32}, {I32}), kBadf);
  fixed("fd_prestat_dir_name", Sig({I32, I32, I32}, {I32}), kBadf);
  fixed("path_create_directory", Sig({I32, I32, I32}, {I32}), kBadf);
  fixed("path_filestat_get", Sig({I32, I32, I32, I32, I32}, {I32}), kBadf);
  fixed("path_filestat_set_times", Sig({I32, I32, I32, I32, I64, I64, I32}, {I32}), kBadf);
  fixed("path_link", Sig({I32, I32, I32, I32, I32, I32, I32}, {I32}), kBadf);
  fixed("path_open", Sig({I32, I32, I32, I32, I32, I64, I64, I32, I32}, {I32}), kBadf);
  fixed("path_readlink", Sig({I32, I32, I32, I32, I32, I32}, {I32}), kBadf);
  fixed("path_remove_directory", Sig({I32, I32, I32}, {I32}), kBadf);
  fixed("path_rename", Sig({I32, I32, I32, I32, I32, I32}, {I32}), kBadf);
  fixed("path_symlink", Sig({I32, I32, I32, I32, I32}, {I32}), kBadf);
  fixed("path_unlink_file", Sig({I32, I32, I32}, {I32}), kBadf);
  by_fd("sock_accept", Sig({I32, I32, I32}, {I32}), kNotsock);
  by_fd("sock_recv", Sig({I32, I32, I32, I32, I32, I32}, {I32}), kNotsock);
  by_fd("sock_send", Sig({I32, I32, I32, I32, I32}, {I32}), kNotsock);
  by_fd("sock_shutdown", Sig({I32, I32}, {I32}), kNotsock);

  for (const char* module : {"wasi_snapshot_preview1", "wasi_unstable"}) {
    for (const auto& fn : fns) {
      HostFunction copy = fn;
      copy.module = module;
      table.Add(std::move(copy));
    }
  }
}

}  // namespace kw::runtime::wasi
