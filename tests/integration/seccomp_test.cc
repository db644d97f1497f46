// The seccomp filter (sandbox/sandbox.h) in the real binaries: policy-server serves under it
// unless --disable-seccomp, kwctl evaluates under it, and policy-server refuses to run as root
// unless --allow-root. That each feature still works under the filter is what every other
// integration suite shows, since they run the binaries with their defaults; that the filter
// refuses what it should is sandbox_test's.
//
// The kernel tells whether a process is filtered: "Seccomp: 2" in /proc/<pid>/status.
#include <unistd.h>

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// The "Seccomp:" line of /proc/<pid>/status: "0" unfiltered, "2" filtered ("" when unreadable).
std::string SeccompMode(pid_t pid) { return testing::ProcessStatusField(pid, "Seccomp"); }

std::string PrivilegedPod() {
  return "privileged:\n  module: " + testing::BuildDir() + "/policies/pod-privileged.wasm\n";
}


TEST(PolicyServerSeccomp, ServesUnderTheFilterByDefault) {
  auto server = testing::PolicyServer::Start(PrivilegedPod());
  ASSERT_NE(server, nullptr);
  // Ready means started: the filter is in before the readiness probe answers.
  EXPECT_EQ(SeccompMode(server->process().pid()), "2");
  EXPECT_THAT(server->process().Stdout(), HasSubstr("system calls restricted by a seccomp filter"));
  auto denied = server->Post("/validate/privileged", testing::RequestFile("pod_privileged.json"));
  EXPECT_EQ(denied.status, 200);
  EXPECT_THAT(denied.body, HasSubstr(R"("allowed":false)"));
  EXPECT_THAT(server->process().Stderr(), ::testing::Not(HasSubstr("seccomp filter refused")));
}

TEST(PolicyServerSeccomp, DisableSeccompServesUnfiltered) {
  auto server = testing::PolicyServer::Start(PrivilegedPod(), {"--disable-seccomp"});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(SeccompMode(server->process().pid()), "0");
  EXPECT_THAT(server->process().Stdout(), HasSubstr("serving without the system-call filter"));
  auto allowed = server->Post("/validate/privileged",
                              "{\"request\":" + testing::RequestFile("pod_plain.json") + "}");
  EXPECT_THAT(allowed.body, HasSubstr(R"("allowed":true)"));
}

// The test suites run as root on CI, where the test helpers allow root (KUBEWARDEN_ALLOW_ROOT,
// testing/process.cc); this removes it.
TEST(PolicyServerRoot, RefusedUnlessAllowed) {
  if (geteuid() != 0) GTEST_SKIP() << "needs to run as root";
  const std::vector<std::string> server = {
      "/usr/bin/env", "-u", "KUBEWARDEN_ALLOW_ROOT", testing::PolicyServerBinary(), "--addr",
      "127.0.0.1", "--policies",
      testing::WriteTempFile("policies.yml", "p:\n  module: /nonexistent/p.wasm\n")};
  auto refused = testing::RunProcess(server);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("policy-server refuses to run as root (uid 0)"));
  EXPECT_THAT(refused.err, HasSubstr("--allow-root"));

  std::vector<std::string> allowed = server;
  allowed.push_back("--allow-root");
  auto started = testing::RunProcess(allowed);
  EXPECT_EQ(started.exit_code, 1);  // the missing module, past the check
  EXPECT_THAT(started.err, ::testing::Not(HasSubstr("refuses to run as root")));
  EXPECT_THAT(started.err, HasSubstr("/nonexistent/p.wasm"));
}

// kwctl run with a policy that logs, then spins until its timeout: the log line says the
// evaluation has begun, under the filter unless --disable-seccomp.
std::string SeccompModeOfKwctlWhileEvaluating(std::vector<std::string> extra) {
  std::vector<std::string> argv = {testing::KwctlBinary(), "run",
                                   testing::TestData("validate_loop.wasm"), "-r",
                                   testing::SourcePath("tests/data/requests/pod_plain.json"),
                                   "--policy-timeout", "30"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  testing::ChildProcess kwctl(argv);
  const bool evaluating = testing::Eventually(
      [&] { return kwctl.Stderr().find("spinning forever") != std::string::npos; }, 25s);
  EXPECT_TRUE(evaluating) << kwctl.Stderr();
  return evaluating ? SeccompMode(kwctl.pid()) : "";
}

TEST(KwctlSeccomp, EvaluatesUnderTheFilter) {
  EXPECT_EQ(SeccompModeOfKwctlWhileEvaluating({}), "2");
  EXPECT_EQ(SeccompModeOfKwctlWhileEvaluating({"--disable-seccomp"}), "0");
}

}  // namespace
}  // namespace kw
