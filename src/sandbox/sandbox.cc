#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace kw::sandbox {
namespace {

// The calls of a started process, found by running policy-server and kwctl (the integration
// suites, reloads, OCI fetches, TLS, metrics, OTLP) under `strace -f -c`, and by running them
// under this filter: a call it refuses is logged by name.
constexpr std::string_view kAllowed[] = {
    // Memory: V8 maps, protects and releases its heaps and code all the time; pkey_* are its
    // memory protection keys for code space (where the CPU has them).
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "msync", "mincore", "pkey_alloc",
    "pkey_free", "pkey_mprotect", "membarrier",
    // Threads and their synchronisation (clone is allowed further down, for threads only).
    "futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "gettid",
    "getpid", "getppid", "sched_yield", "sched_getaffinity", "sched_getparam",
    "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "getcpu", "exit",
    "exit_group", "restart_syscall",
    // Signals: stop_signals.h waits for TERM and INT; a SIGSYS handler returns through
    // rt_sigreturn.
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigpending",
    "sigaltstack",
    // Time: timeouts, timers of the event loops, log timestamps.
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
    "timerfd_create", "timerfd_settime", "timerfd_gettime",
    // Files: policies, certificates and configuration re-read when they change, the download
    // directory and the compiled-code cache written, session files, logs.
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
    "pwritev2", "lseek", "open", "openat", "close", "close_range", "fstat", "stat", "lstat",
    "newfstatat", "statx", "fstatfs", "statfs", "getdents64", "readlink", "readlinkat", "access",
    "faccessat", "faccessat2", "mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink",
    "unlinkat", "rmdir", "chmod", "fchmod", "fchmodat", "fsync", "fdatasync", "ftruncate",
    "fallocate", "fadvise64", "flock", "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "getcwd",
    "umask", "utimensat", "copy_file_range", "sendfile",
    // Event loops (asio's epoll, curl's poll) and file watching (inotify).
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
    "poll", "ppoll", "select", "pselect6", "eventfd", "eventfd2", "inotify_init1",
    "inotify_add_watch", "inotify_rm_watch",
    // Connections: accepting on the listeners bound at start-up, and outgoing ones (registries,
    // the Kubernetes API, OTLP, DNS). socket is allowed further down, for some families only;
    // bind and listen are not allowed: no new listening socket after start-up.
    "connect", "accept", "accept4", "getsockname", "getpeername", "setsockopt", "getsockopt",
    "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "socketpair",
    // Who and where we are: randomness (OpenSSL, V8's hash seeds), limits, CPU count.
    "getrandom", "uname", "sysinfo", "getuid", "geteuid", "getgid", "getegid", "getresuid",
    "getresgid", "getgroups", "getrlimit", "getrusage", "times",
};

// The calls only an attack makes: the process is killed on the spot (sandbox.h says why).
constexpr std::string_view kFatal[] = {
    "execve", "execveat",                                            // running programs
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd",
    "kcmp",                                                          // other processes
    "mount", "umount2", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "pivot_root", "chroot", "unshare", "setns",     // mounts, namespaces
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",  // kernel
    "bpf", "perf_event_open", "userfaultfd",                         // kernel attack surface
    "keyctl", "add_key", "request_key",                              // keyrings
    "reboot", "swapon", "swapoff", "iopl", "ioperm",
};

// The names of the system calls, by number, for the SIGSYS handler, which may not allocate.
constexpr int kNamedCalls = 1024;
std::array<std::array<char, 32>, kNamedCalls> g_call_names;

// Writes "<program>: seccomp filter refused system call <name> (<number>)" to stderr with
// write(2) alone, and makes the call return EPERM.
void OnRefusedCall(int, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  char line[192];
  std::size_t length = 0;
  const auto append = [&](std::string_view text) {
    const std::size_t n = std::min(text.size(), sizeof line - 1 - length);
    std::memcpy(line + length, text.data(), n);
    length += n;
  };
  const int number = info->si_syscall;
  append(program_invocation_short_name);
  append(": seccomp filter refused system call ");
  if (number >= 0 && number < kNamedCalls && g_call_names[number][0] != '\0') {
    append(g_call_names[number].data());
    append(" ");
  }
  char digits[16];
  int d = sizeof digits;
  unsigned value = static_cast<unsigned>(number);
  do {
    digits[--d] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && d > 0);
  append("(");
  append(std::string_view(digits + d, sizeof digits - d));
  append(")\n");
  (void)!write(STDERR_FILENO, line, length);

  auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
  uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
  uc->uc_mcontext.regs[0] = static_cast<unsigned long long>(-EPERM);
#else
#error "the SIGSYS handler sets the return register of x86_64 and aarch64 only"
#endif
  errno = saved_errno;
}

void NameCalls() {
  for (int number = 0; number < kNamedCalls; ++number) {
    std::unique_ptr<char, decltype(&std::free)> name(
        seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, number), &std::free);
    if (!name) continue;
    std::strncpy(g_call_names[number].data(), name.get(), g_call_names[number].size() - 1);
  }
}

struct FilterDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

// The number of `name` on this architecture; nullopt where it has no such call (open, stat and
// friends do not exist on aarch64, for one).
std::optional<int> CallNumber(std::string_view name) {
  const int number = seccomp_syscall_resolve_name(std::string(name).c_str());
  if (number == __NR_SCMP_ERROR || number < 0) return std::nullopt;
  return number;
}

Result<void> Add(scmp_filter_ctx ctx, std::uint32_t action, std::string_view name,
                 std::initializer_list<scmp_arg_cmp> conditions = {}) {
  const std::optional<int> number = CallNumber(name);
  if (!number) return {};
  const int rc = seccomp_rule_add_array(ctx, action, *number,
                                        static_cast<unsigned>(conditions.size()),
                                        conditions.size() == 0 ? nullptr : conditions.begin());
  if (rc != 0) {
    return Fail(ErrorKind::kInternal,
                fmt::format("seccomp: cannot add the rule for {}: {}", name, std::strerror(-rc)));
  }
  return {};
}

// An allow rule for each value of argument `arg` in `values`.
Result<void> AllowWhenArgumentIs(scmp_filter_ctx ctx, std::string_view name, unsigned arg,
                                 std::initializer_list<scmp_datum_t> values) {
  for (scmp_datum_t value : values) {
    KW_TRY(Add(ctx, SCMP_ACT_ALLOW, name, {SCMP_CMP(arg, SCMP_CMP_EQ, value)}));
  }
  return {};
}

Result<Filter> BuildFilter() {
  // Anything not listed traps into OnRefusedCall, which logs it and fails it with EPERM.
  Filter filter(seccomp_init(SCMP_ACT_TRAP));
  if (!filter) return Fail(ErrorKind::kInternal, "seccomp: cannot create a filter");
  scmp_filter_ctx ctx = filter.get();
  if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0) {
    return Fail(ErrorKind::kUnimplemented,
                "seccomp: this kernel cannot filter every thread of a process at once (TSYNC)");
  }
  // Not SCMP_FLTATR_CTL_LOG: the kernel would log the quiet refusals below too (clone3 at every
  // thread start). It logs the kills without it; OnRefusedCall logs the rest.

  for (std::string_view name : kAllowed) KW_TRY(Add(ctx, SCMP_ACT_ALLOW, name));
  for (std::string_view name : kFatal) KW_TRY(Add(ctx, SCMP_ACT_KILL_PROCESS, name));

  // Threads, not processes. clone3 passes its flags in memory, which a filter cannot read: it
  // answers ENOSYS, on which glibc falls back to clone (silently: that happens at every thread
  // start), whose flags it can.
  KW_TRY(Add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3"));
  KW_TRY(Add(ctx, SCMP_ACT_ALLOW, "clone", {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)}));

  // Sockets of the families that connections use; no packet or raw sockets. Netlink ones are
  // refused without a log line: glibc's getaddrinfo opens one to learn the host's addresses
  // (for AI_ADDRCONFIG, or to sort two answers or more), binds it, and does without when it
  // cannot, which would otherwise log a refused socket or bind at every such look-up.
  KW_TRY(AllowWhenArgumentIs(ctx, "socket", 0, {AF_UNIX, AF_INET, AF_INET6}));
  KW_TRY(Add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), "socket", {SCMP_A0(SCMP_CMP_EQ, AF_NETLINK)}));
  // Signals to this process only (raise, abort, pthread_kill).
  const auto self = static_cast<scmp_datum_t>(getpid());
  KW_TRY(AllowWhenArgumentIs(ctx, "tgkill", 0, {self}));
  KW_TRY(AllowWhenArgumentIs(ctx, "kill", 0, {self}));
  // Reading limits only (a null new limit), of this process.
  KW_TRY(Add(ctx, SCMP_ACT_ALLOW, "prlimit64",
             {SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0)}));
  // Thread names (V8's workers name theirs) and glibc's names of its memory mappings.
  KW_TRY(AllowWhenArgumentIs(ctx, "prctl", 0, {PR_SET_NAME, PR_GET_NAME, PR_SET_VMA}));
  // Terminal and non-blocking queries: isatty, the terminal's width, asio's FIONBIO/FIONREAD.
  KW_TRY(AllowWhenArgumentIs(ctx, "ioctl", 1, {TCGETS, TIOCGWINSZ, FIONBIO, FIONREAD, FIOCLEX}));
  return filter;
}

}  // namespace

Result<void> RestrictSystemCalls() {
  KW_ASSIGN_OR_RETURN(Filter filter, BuildFilter());
  NameCalls();
  struct sigaction action {};
  action.sa_sigaction = OnRefusedCall;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGSYS, &action, nullptr) != 0) {
    return Fail(ErrorKind::kIo, fmt::format("seccomp: cannot handle SIGSYS: {}", std::strerror(errno)));
  }
  if (const int rc = seccomp_load(filter.get()); rc != 0) {
    if (rc == -EINVAL || rc == -ENOSYS) {
      return Fail(ErrorKind::kUnimplemented,
                  fmt::format("seccomp: this kernel refuses the filter: {}", std::strerror(-rc)));
    }
    return Fail(ErrorKind::kIo,
                fmt::format("seccomp: cannot install the filter: {}", std::strerror(-rc)));
  }
  return {};
}

}  // namespace kw::sandbox
