// The filter is installed in a forked child each time (it cannot be removed, and it would bind
// the test runner), which reports back through its exit status and what it writes to stderr.
#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace kw::sandbox {
namespace {

struct ChildOutcome {
  int status = 0;  // as waitpid gives it
  std::string err;
};

// Forks; the child runs `before` (unfiltered), installs the filter, then exits with what `body`
// returns (125 when the filter could not be installed).
ChildOutcome RunFiltered(const std::function<int()>& body,
                         const std::function<void()>& before = [] {}) {
  int err_pipe[2];
  if (pipe(err_pipe) != 0) return {};
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(err_pipe[1], STDERR_FILENO);
    close(err_pipe[0]);
    before();
    if (auto installed = RestrictSystemCalls(); !installed) {
      std::fprintf(stderr, "%s\n", installed.error().message.c_str());
      _exit(125);
    }
    _exit(body());
  }
  close(err_pipe[1]);
  ChildOutcome outcome;
  char buffer[4096];
  ssize_t n;
  while ((n = read(err_pipe[0], buffer, sizeof buffer)) > 0) outcome.err.append(buffer, n);
  close(err_pipe[0]);
  waitpid(pid, &outcome.status, 0);
  return outcome;
}

// 0 when `result` is -1 with errno EPERM; 1 otherwise.
int RefusedWithEperm(long result) { return result == -1 && errno == EPERM ? 0 : 1; }

bool KilledBySigsys(const ChildOutcome& outcome) {
  return WIFSIGNALED(outcome.status) && WTERMSIG(outcome.status) == SIGSYS;
}

bool ExitedWith(const ChildOutcome& outcome, int code) {
  return WIFEXITED(outcome.status) && WEXITSTATUS(outcome.status) == code;
}

TEST(Sandbox, ExecKillsTheProcess) {
  ChildOutcome outcome = RunFiltered([] {
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    execv("/bin/true", argv);
    return 3;  // not reached when the filter kills
  });
  EXPECT_TRUE(KilledBySigsys(outcome)) << outcome.status << " " << outcome.err;
}

TEST(Sandbox, PtraceKillsTheProcess) {
  ChildOutcome outcome = RunFiltered([] {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    return 3;
  });
  EXPECT_TRUE(KilledBySigsys(outcome)) << outcome.status << " " << outcome.err;
}

TEST(Sandbox, NewListeningSocketIsRefusedAndLogged) {
  ChildOutcome outcome = RunFiltered([] {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 2;  // sockets for connections stay allowed
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (RefusedWithEperm(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address)) != 0) {
      return 4;
    }
    return RefusedWithEperm(listen(fd, 1));
  });
  EXPECT_TRUE(ExitedWith(outcome, 0)) << outcome.status << " " << outcome.err;
  EXPECT_NE(outcome.err.find("seccomp filter refused system call bind ("), std::string::npos)
      << outcome.err;
  EXPECT_NE(outcome.err.find("seccomp filter refused system call listen ("), std::string::npos)
      << outcome.err;
}

TEST(Sandbox, NewProcessesAreRefusedButThreadsRun) {
  ChildOutcome outcome = RunFiltered([] {
    if (RefusedWithEperm(fork()) != 0) return 1;
    std::atomic<int> ran{0};
    std::thread([&] { ran = 1; }).join();
    return ran == 1 ? 0 : 2;
  });
  EXPECT_TRUE(ExitedWith(outcome, 0)) << outcome.status << " " << outcome.err;
}

TEST(Sandbox, OtherSocketFamiliesAreRefused) {
  ChildOutcome outcome = RunFiltered([] { return RefusedWithEperm(socket(AF_PACKET, SOCK_RAW, 0)); });
  EXPECT_TRUE(ExitedWith(outcome, 0)) << outcome.status << " " << outcome.err;
}

// getaddrinfo learns the host's addresses over a netlink socket of its own (for AI_ADDRCONFIG,
// or to sort several answers), refused quietly: the look-up still works, and logs nothing.
TEST(Sandbox, NameLookUpsWorkWithoutNoise) {
  ChildOutcome outcome = RunFiltered([] {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;  // asks for the host's addresses, over netlink
    addrinfo* found = nullptr;
    if (getaddrinfo("localhost", "80", &hints, &found) != 0) return 1;
    freeaddrinfo(found);
    return 0;
  });
  EXPECT_TRUE(ExitedWith(outcome, 0)) << outcome.status << " " << outcome.err;
  EXPECT_EQ(outcome.err, "");
}

// A thread started before the filter is bound by it too (TSYNC), and a listener bound before
// it keeps accepting, over a connection made under the filter.
TEST(Sandbox, AppliesToEarlierThreadsAndKeepsEarlierListeners) {
  static int listener = -1;
  static std::atomic<int> stage{0};
  static std::thread* earlier = nullptr;
  static std::atomic<int> earlier_result{-1};
  ChildOutcome outcome = RunFiltered(
      [] {
        stage = 1;  // lets the earlier thread try, now that the filter is in
        earlier->join();
        if (earlier_result != 0) return 1;
        sockaddr_in address{};
        socklen_t length = sizeof address;
        getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
        const int client = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(client, reinterpret_cast<sockaddr*>(&address), length) != 0) return 2;
        const int accepted = accept(listener, nullptr, nullptr);
        if (accepted < 0) return 3;
        if (write(client, "x", 1) != 1) return 4;
        char c = 0;
        return read(accepted, &c, 1) == 1 && c == 'x' ? 0 : 5;
      },
      [] {
        listener = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
        listen(listener, 4);
        earlier = new std::thread([] {
          while (stage == 0) std::this_thread::yield();
          const int fd = socket(AF_INET, SOCK_STREAM, 0);
          earlier_result = RefusedWithEperm(listen(fd, 1));
        });
      });
  EXPECT_TRUE(ExitedWith(outcome, 0)) << outcome.status << " " << outcome.err;
}

}  // namespace
}  // namespace kw::sandbox
