#include "runtime/wasi/wasi_host.h"

#include <sys/random.h>
#include <time.h>

#include <cstring>
#include <thread>

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

using engine::HostResult;

HostResult Ret(std::int32_t errno_value) { return std::optional<Value>(Value::I32(errno_value)); }

FuncType Sig(std::initializer_list<ValType> params, std::initializer_list<ValType> results) {
  return FuncType{std::vector<ValType>(params), std::vector<ValType>(results)};
}

constexpr ValType I32 = ValType::kI32;
constexpr ValType I64 = ValType::kI64;


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

// The time of WASI clock `id` (0..3) in nanoseconds.
std::uint64_t Now(std::uint32_t id) {
  static constexpr clockid_t kClocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                          CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
  timespec ts{};
  clock_gettime(kClocks[id], &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// How long until the clock subscription `sub` (48 bytes) fires; nullopt for an unknown clock.
// subscription_clock sits at offset 16: id u32, timeout u64 @8, precision u64 @16, flags u16
// @24 (bit 0: the timeout is absolute on that clock).
std::optional<std::chrono::nanoseconds> ClockWait(const std::uint8_t* sub) {
  std::uint32_t id;
  std::uint64_t timeout;
  std::uint16_t flags;
  std::memcpy(&id, sub + 16, 4);
  std::memcpy(&timeout, sub + 24, 8);
  std::memcpy(&flags, sub + 40, 2);
  if (id > 3) return std::nullopt;
  std::uint64_t wait = timeout;
  if (flags & 1) {
    std::uint64_t now = Now(id);
    wait = timeout > now ? timeout - now : 0;
  }
  // Capped so the conversion cannot overflow; a deadline cuts it far shorter anyway.
  return std::chrono::nanoseconds(
      static_cast<std::int64_t>(std::min<std::uint64_t>(wait, 1ull << 62)));
}

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
  for (std::uint16_t& flags : fd_flags_) flags = 0;
}

void WasiHost::AppendStdin(std::string_view data) {
  stdin_.erase(0, stdin_pos_);
  stdin_pos_ = 0;
  stdin_.append(data);
}

Result<void> WasiHost::Emit(std::uint32_t fd, std::string_view bytes) {
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
    return {};
  }
  std::string& sink = fd == 1 ? stdout_ : stderr_;
  std::size_t cap = fd == 1 ? config_.max_output_bytes : config_.max_stderr_bytes;
  std::size_t room = cap - std::min(cap, sink.size());
  if (bytes.size() > room) {
    truncated_ = true;
    if (fd == 1 && config_.fail_on_stdout_overflow) {
      return Fail(ErrorKind::kHostError, "the policy wrote more than " +
                                             std::to_string(config_.max_output_bytes) +
                                             " bytes to its standard output");
    }
  }
  sink.append(bytes.substr(0, room));
  return {};
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
    KW_TRY(Emit(fd, std::string_view(reinterpret_cast<const char*>(data->data()), data->size())));
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
  using std::chrono::nanoseconds;
  if (count == 0 || count > 4096) return Ret(kInval);
  auto span = m.Span(in, count * 48);
  if (!span) return Ret(kFault);
  // A copy: the events are written after a sleep, over what may be the same guest memory.
  std::vector<std::uint8_t> subs(span->begin(), span->end());
  // With an fd subscription the poll is satisfied at once (stdio never blocks); clocks alone
  // mean the guest wants to sleep, and must not spin: wait for the earliest one.
  bool any_fd = false;
  std::vector<std::optional<nanoseconds>> waits(count);  // per valid clock subscription
  std::optional<nanoseconds> shortest;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint8_t* sub = subs.data() + i * 48;
    if (sub[8] == 1 || sub[8] == 2) any_fd = true;
    if (sub[8] == 0) waits[i] = ClockWait(sub);
    if (waits[i] && (!shortest || *waits[i] < *shortest)) shortest = waits[i];
  }
  if (!any_fd && shortest && shortest->count() > 0) KW_TRY(Sleep(*shortest));
  // Clocks due later than the one that fired (or than now, when an fd answered) are no events.
  const nanoseconds fired = any_fd || !shortest ? nanoseconds(0) : *shortest;
  std::uint32_t events = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint8_t* sub = subs.data() + i * 48;
    std::uint8_t tag = sub[8];
    if (tag == 0 && waits[i] && *waits[i] > fired) continue;
    std::uint8_t event[32] = {};
    std::memcpy(event, sub, 8);
    event[10] = tag;
    std::uint16_t err = 0;
    if (tag == 1 || tag == 2) {
      std::uint32_t fd;
      std::memcpy(&fd, sub + 16, 4);
      std::uint64_t nbytes = 0;
      if (!IsStdio(fd) || (tag == 1 && fd != 0) || (tag == 2 && fd == 0)) err = kBadf;
      else if (tag == 1) nbytes = stdin_.size() - stdin_pos_;
      std::memcpy(event + 16, &nbytes, 8);
    } else if (tag != 0 || !waits[i]) {
      err = kInval;  // an unknown subscription type or clock
    }
    std::memcpy(event + 8, &err, 2);
    if (!m.Write(out + events * 32, std::span<const std::uint8_t>(event, 32))) return Ret(kFault);
    ++events;
  }
  if (!Put32(m, nevents_ptr, events)) return Ret(kFault);
  return Ret(kSuccess);
}

Result<void> WasiHost::Sleep(std::chrono::nanoseconds duration) {
  auto until = std::chrono::steady_clock::now() + duration;
  if (deadline_ && *deadline_ <= until) {
    // The guest would sleep past its deadline: it ends here, as the watchdog would end it
    // (which cannot reach a guest blocked in the host, and could fire too late after it).
    std::this_thread::sleep_until(*deadline_);
    return Fail(ErrorKind::kTimeout, "guest code interrupted, execution deadline exceeded");
  }
  std::this_thread::sleep_until(until);
  return {};
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
      return Ret(IsStdio(a[0].u32()) ? stdio_errno : kBadf);
    });
  };

  add("args_get", Sig({I32, I32}, {I32}), [this](GuestMemory& m, std::span<const Value> a) {
    return PutStrings(m, config_.args, a[0].u32(), a[1].u32());
  });
  add("args_sizes_get", Sig({I32, I32}, {I32}), [this](GuestMemory& m, std::span<const Value> a) {
    return PutSizes(m, config_.args, a[0].u32(), a[1].u32());
  });
  add("environ_get", Sig({I32, I32}, {I32}), [this](GuestMemory& m, std::span<const Value> a) {
    return PutStrings(m, config_.env, a[0].u32(), a[1].u32());
  });
  add("environ_sizes_get", Sig({I32, I32}, {I32}),
      [this](GuestMemory& m, std::span<const Value> a) {
        return PutSizes(m, config_.env, a[0].u32(), a[1].u32());
      });
  add("clock_res_get", Sig({I32, I32}, {I32}), [](GuestMemory& m, std::span<const Value> a) {
    if (a[0].u32() > 3) return Ret(kInval);
    return Ret(Put64(m, a[1].u32(), 1) ? kSuccess : kFault);
  });
  add("clock_time_get", Sig({I32, I64, I32}, {I32}), [](GuestMemory& m, std::span<const Value> a) {
    std::uint32_t id = a[0].u32();
    if (id > 3) return Ret(kInval);
    return Ret(Put64(m, a[2].u32(), Now(id)) ? kSuccess : kFault);
  });
  add("fd_write", Sig({I32, I32, I32, I32}, {I32}),
      [this](GuestMemory& m, std::span<const Value> a) {
        return Write(m, a[0].u32(), a[1].u32(), a[2].u32(), a[3].u32());
      });
  add("fd_read", Sig({I32, I32, I32, I32}, {I32}),
      [this](GuestMemory& m, std::span<const Value> a) {
        return Read(m, a[0].u32(), a[1].u32(), a[2].u32(), a[3].u32());
      });
  add("fd_fdstat_get", Sig({I32, I32}, {I32}), [this](GuestMemory& m, std::span<const Value> a) {
    if (!IsStdio(a[0].u32())) return Ret(kBadf);
    std::uint8_t stat[24] = {};
    stat[0] = kFiletypeCharacterDevice;
    std::memcpy(stat + 2, &fd_flags_[a[0].u32()], 2);
    std::uint64_t rights = a[0].u32() == 0 ? 0x2 /* fd_read */ : 0x40 /* fd_write */;
    rights |= 0x200000;  // poll_fd_readwrite
    std::memcpy(stat + 8, &rights, 8);
    return Ret(m.Write(a[1].u32(), std::span<const std::uint8_t>(stat, 24)) ? kSuccess : kFault);
  });
  add("fd_filestat_get", Sig({I32, I32}, {I32}), [](GuestMemory& m, std::span<const Value> a) {
    if (!IsStdio(a[0].u32())) return Ret(kBadf);
    std::uint8_t stat[64] = {};
    stat[16] = kFiletypeCharacterDevice;
    return Ret(m.Write(a[1].u32(), std::span<const std::uint8_t>(stat, 64)) ? kSuccess : kFault);
  });
  add("poll_oneoff", Sig({I32, I32, I32, I32}, {I32}),
      [this](GuestMemory& m, std::span<const Value> a) {
        return PollOneoff(m, a[0].u32(), a[1].u32(), a[2].u32(), a[3].u32());
      });
  add("proc_exit", Sig({I32}, {}), [](GuestMemory&, std::span<const Value> a) -> HostResult {
    Error e(ErrorKind::kGuestExit, "guest exited with code " + std::to_string(a[0].u32()));
    e.exit_code = a[0].i32;
    return std::unexpected(std::move(e));
  });
  add("random_get", Sig({I32, I32}, {I32}), [](GuestMemory& m, std::span<const Value> a) {
    auto buf = m.Span(a[0].u32(), a[1].u32());
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
  add("fd_fdstat_set_flags", Sig({I32, I32}, {I32}),
      [this](GuestMemory&, std::span<const Value> a) {
        if (!IsStdio(a[0].u32())) return Ret(kBadf);
        // append, dsync, nonblock, rsync, sync: all harmless on in-memory stdio.
        if (a[1].u32() > 0x1f) return Ret(kInval);
        fd_flags_[a[0].u32()] = static_cast<std::uint16_t>(a[1].u32());
        return Ret(kSuccess);
      });
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
