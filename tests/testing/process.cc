#include "testing/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <utility>

#include <gtest/gtest.h>

extern char** environ;

namespace kw::testing {
namespace {

// The suites run as root on CI, where policy-server refuses to start unless allowed: every
// process the tests start inherits the permission (seccomp_test.cc removes it to check the
// refusal). Set here rather than in ctest's ENVIRONMENT of kw_cc_test, which gtest_discover_tests
// does not pass on (it splits the list).
[[maybe_unused]] const bool kPolicyServersMayRunAsRoot =
    setenv("KUBEWARDEN_ALLOW_ROOT", "true", /*overwrite=*/0) == 0;

// ctest sets these; the compiled-in build paths make the binaries runnable by hand too.
std::string Env(const char* name) {
  if (const char* v = std::getenv(name)) return v;
  std::string n = name;
  if (n == "KW_TEST_DATA") return KW_DEFAULT_BINARY_DIR "/tests/data";
  if (n == "KW_BINARY_DIR") return KW_DEFAULT_BINARY_DIR;
  return KW_DEFAULT_SOURCE_DIR;
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ) != 0) {
    throw std::runtime_error("cannot start " + argv[0]);
  }
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  close(err[1]);

  ProcessResult result;
  std::size_t written = 0;
  int in_fd = in[1];
  if (stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  signal(SIGPIPE, SIG_IGN);
  bool out_open = true, err_open = true;
  while (out_open || err_open || in_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out[0], POLLIN, 0};
    if (err_open) fds[n++] = {err[0], POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (poll(fds, static_cast<nfds_t>(n), -1) < 0) continue;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = write(in_fd, stdin_data.data() + written, stdin_data.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 || written == stdin_data.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      ssize_t r = read(fds[i].fd, buf, sizeof buf);
      bool is_out = fds[i].fd == out[0];
      if (r <= 0) {
        (is_out ? out_open : err_open) = false;
      } else {
        (is_out ? result.out : result.err).append(buf, static_cast<std::size_t>(r));
      }
    }
  }
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string TestData(const std::string& name) { return Env("KW_TEST_DATA") + "/" + name; }
std::string SourcePath(const std::string& relative) { return Env("KW_SOURCE_DIR") + "/" + relative; }

std::string RequestFile(const std::string& name) {
  std::ifstream in(SourcePath("tests/data/requests/" + name), std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read the request " << name;
    return "";
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}
std::string BuildDir() { return Env("KW_BINARY_DIR"); }
std::string KwctlBinary() { return Env("KW_BINARY_DIR") + "/cmd/kwctl/kwctl"; }
std::string PolicyServerBinary() {
  return Env("KW_BINARY_DIR") + "/cmd/policy-server/policy-server";
}
std::string AuditScannerBinary() {
  return Env("KW_BINARY_DIR") + "/cmd/audit-scanner/audit-scanner";
}
std::string ComplianceUiBinary() {
  return Env("KW_BINARY_DIR") + "/cmd/compliance-ui/compliance-ui";
}
std::string ControllerBinary() {
  return Env("KW_BINARY_DIR") + "/cmd/kubewarden-controller/kubewarden-controller";
}
std::string KubeApiServerDoubleBinary() {
  return Env("KW_BINARY_DIR") + "/tests/kube_apiserver/kube-apiserver-double";
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  std::string dir = MakeTempDir();
  out_path_ = dir + "/stdout";
  err_path_ = dir + "/stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int rc = posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
}

ChildProcess::~ChildProcess() {
  if (!exit_code_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

void ChildProcess::Signal(int signal_number) {
  if (!exit_code_) kill(pid_, signal_number);
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_code_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

namespace {
std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

std::string ChildProcess::Stdout() const { return Slurp(out_path_); }
std::string ChildProcess::Stderr() const { return Slurp(err_path_); }

std::string ProcessStatusField(pid_t pid, std::string_view name) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':') {
      std::istringstream fields(line.substr(name.size() + 1));
      std::string first;
      fields >> first;
      return first;
    }
  }
  return "";
}

std::size_t ResidentBytes(pid_t pid) {
  std::string kib = ProcessStatusField(pid, "VmRSS");
  if (kib.empty()) {
    ADD_FAILURE() << "no VmRSS for " << pid;
    return 0;
  }
  return std::stoul(kib) * 1024;
}

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

namespace {

// A TCP socket bound to a port of 127.0.0.1 the kernel picked; its descriptor and the port.
std::pair<int, int> BindLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  return {fd, ntohs(addr.sin_port)};
}

}  // namespace

int FreeLoopbackPort() {
  auto [fd, port] = BindLoopbackPort();
  close(fd);
  return port;
}

RefusingLoopbackPort::RefusingLoopbackPort() { std::tie(fd_, port_) = BindLoopbackPort(); }

RefusingLoopbackPort::~RefusingLoopbackPort() { close(fd_); }

std::string RefusingLoopbackPort::Url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/kwtest-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

std::string WriteTempFile(const std::string& name, const std::string& content) {
  std::string path = MakeTempDir() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  EXPECT_TRUE(out.good()) << "cannot write " << path;
  return path;
}

ProcessResult RunKwctl(std::vector<std::string> args) {
  args.insert(args.begin(), KwctlBinary());
  return RunProcess(args);
}

std::string AnnotatedRegoFixture(const std::string& fixture, const std::string& mode) {
  const std::string metadata = WriteTempFile(
      "metadata.yml",
      "rules:\n  - apiGroups: [\"\"]\n    apiVersions: [\"v1\"]\n    resources: [\"pods\"]\n"
      "    operations: [\"CREATE\"]\nmutating: false\nexecutionMode: " + mode + "\n");
  const std::string out = MakeTempDir() + "/" + fixture;
  auto r = RunKwctl({"annotate", TestData(fixture), "-m", metadata, "-o", out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

}  // namespace kw::testing
