// Test helpers: run a binary and capture what it prints; find build outputs and fixtures.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kw::testing {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path), feeding `stdin_data`, and waits for it.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data = "");

// A process running in the background, its stdout and stderr going to files. Destroying it kills
// (SIGKILL) and reaps the process if it still runs.
class ChildProcess {
 public:
  // Starts `argv` (argv[0] is a path). Throws std::runtime_error when it cannot.
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal_number);
  // The exit code (128+N when killed by signal N) once the process has exited within
  // `timeout`; nullopt while it still runs.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool Running() { return !Wait(std::chrono::milliseconds(0)).has_value(); }
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_;
  std::string err_path_;
};

// Polls `condition` every 50 ms until it holds or `timeout` passes; its last answer.
bool Eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The first word of field `name` ("VmRSS", "Seccomp", ...) in /proc/<pid>/status; "" when the
// process or the field is not there.
std::string ProcessStatusField(pid_t pid, std::string_view name);

// The resident memory (VmRSS) of process `pid`, in bytes; 0, with a test failure, when unknown.
std::size_t ResidentBytes(pid_t pid);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed), for
// binaries that must be told their port.
int FreeLoopbackPort();

// A port on 127.0.0.1 where every connection is refused for as long as this object lives: the
// socket is bound but never listens, so no other program (a server another test starts at the
// same time) can take the port the way it could take one FreeLoopbackPort() gave back.
class RefusingLoopbackPort {
 public:
  RefusingLoopbackPort();
  ~RefusingLoopbackPort();
  RefusingLoopbackPort(const RefusingLoopbackPort&) = delete;
  RefusingLoopbackPort& operator=(const RefusingLoopbackPort&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>".
  std::string Url() const;

 private:
  int fd_ = -1;
  int port_ = 0;
};

// $KW_TEST_DATA/<name>: the built fixtures (tests/data in the build tree).
std::string TestData(const std::string& name);
// $KW_SOURCE_DIR/<relative>.
std::string SourcePath(const std::string& relative);
// The text of tests/data/requests/<name> (a failed expectation, and "", when it is missing).
std::string RequestFile(const std::string& name);
// $KW_BINARY_DIR: the build tree, for scripts that take it (KW_BUILD_DIR).
std::string BuildDir();
// The kwctl binary of this build.
std::string KwctlBinary();
// The policy-server binary of this build.
std::string PolicyServerBinary();
// The kubewarden-controller binary of this build.
std::string ControllerBinary();
// The audit-scanner binary of this build.
std::string AuditScannerBinary();
// The compliance-ui binary of this build.
std::string ComplianceUiBinary();
// The kube-apiserver-double binary of this build (tests/kube_apiserver).
std::string KubeApiServerDoubleBinary();
// A fresh empty directory under the test temp dir.
std::string MakeTempDir();
// Writes `content` to `<a fresh temp dir>/<name>` and returns the path (a failed expectation
// when it cannot).
std::string WriteTempFile(const std::string& name, const std::string& content);
// Runs the kwctl binary of this build with `args` and waits for it.
ProcessResult RunKwctl(std::vector<std::string> args);

// The Rego fixture `fixture` (tests/data/opa) annotated by the real kwctl with metadata declaring
// execution `mode` (opa | gatekeeper), as policy-server needs it; a copy in a fresh temp dir.
std::string AnnotatedRegoFixture(const std::string& fixture, const std::string& mode);

}  // namespace kw::testing
