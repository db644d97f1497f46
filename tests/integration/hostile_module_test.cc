// Hostile modules against the real binaries: a module whose start function traps, loops or
// recurses, or that declares tables the host would have to allocate beyond reason, is a clear
// error naming what failed; kwctl exits 1 and policy-server keeps serving every other policy.
#include <gtest/gtest.h>

#include "base/files.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using testing::PolicyServer;
using testing::ProcessResult;
using testing::RequestFile;
using testing::TestData;

std::string Request() { return testing::SourcePath("tests/data/requests/pod_plain.json"); }

ProcessResult Kwctl(std::vector<std::string> args) {
  args.insert(args.begin(), testing::KwctlBinary());
  if (args[1] == "run" || args[1] == "bench") args.push_back("--disable-compiled-cache");
  return testing::RunProcess(args);
}

// wasi_start_trap.wasm annotated with `executionMode: wasi`, as policy-server needs it.
std::string AnnotatedWasiStartTrap() {
  std::string dir = testing::MakeTempDir();
  EXPECT_TRUE(WriteFile(dir + "/metadata.yml",
                        "rules: []\nmutating: false\nexecutionMode: wasi\n"));
  std::string out = dir + "/wasi_start_trap.annotated.wasm";
  auto r = Kwctl({"annotate", TestData("wasi_start_trap.wasm"), "-m", dir + "/metadata.yml", "-o",
                  out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

void ExpectFailsWith(const ProcessResult& r, const std::string& message) {
  EXPECT_EQ(r.exit_code, 1) << r.err;  // not 133 (SIGTRAP) nor 134 (SIGABRT)
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
}

TEST(HostileModuleKwctl, AStartFunctionTrapIsAnErrorInEveryCommand) {
  const std::string trap = "cannot instantiate the module: guest trapped: RuntimeError: unreachable";
  ExpectFailsWith(Kwctl({"run", TestData("start_trap.wasm"), "-r", Request()}), trap);
  ExpectFailsWith(Kwctl({"bench", TestData("start_trap.wasm"), "-r", Request()}), trap);
  std::string annotated = testing::MakeTempDir() + "/annotated.wasm";
  ExpectFailsWith(Kwctl({"annotate", TestData("start_trap.wasm"), "-m",
                         testing::SourcePath("tests/data/metadata/test_policy.yml"), "-o",
                         annotated}),
                  trap);
  ExpectFailsWith(Kwctl({"run", "-e", "wasi", TestData("wasi_start_trap.wasm"), "-r", Request()}),
                  trap);
}

TEST(HostileModuleKwctl, StartFunctionsRunUnderTheDeadlineAndTheStackLimit) {
  ExpectFailsWith(Kwctl({"run", TestData("start_infinite_loop.wasm"), "-r", Request(),
                         "--policy-timeout", "0.2"}),
                  "cannot instantiate the module: guest code interrupted, execution deadline "
                  "exceeded");
  ExpectFailsWith(Kwctl({"run", TestData("start_recursion.wasm"), "-r", Request()}),
                  "cannot instantiate the module: guest stack overflow");
}

TEST(HostileModuleKwctl, OversizedTablesAreRefusedWhenTheModuleLoads) {
  const std::string refused =
      "the module declares 10000000 table entries, more than the limit of 1000000";
  ExpectFailsWith(Kwctl({"run", TestData("table_huge.wasm"), "-r", Request()}), refused);
  ExpectFailsWith(Kwctl({"bench", TestData("table_huge.wasm"), "-r", Request()}), refused);
}

TEST(HostileModulePolicyServer, AStartFunctionTrapStopsStartUpNamingThePolicy) {
  std::string policies = testing::MakeTempDir() + "/policies.yml";
  ASSERT_TRUE(WriteFile(policies, "good:\n  module: " + TestData("test_policy.wasm") +
                                      "\nbad:\n  module: " + TestData("start_trap.wasm") + "\n"));
  auto r = testing::RunProcess({testing::PolicyServerBinary(), "--addr", "127.0.0.1", "--port",
                                std::to_string(testing::FreeLoopbackPort()),
                                "--readiness-probe-port",
                                std::to_string(testing::FreeLoopbackPort()), "--policies",
                                policies, "--disable-compiled-cache"});
  ExpectFailsWith(r, "policy 'bad': ");
  EXPECT_NE(r.err.find("cannot instantiate the module: guest trapped"), std::string::npos) << r.err;
}

TEST(HostileModulePolicyServer, BrokenModulesErrorOnlyTheirOwnRequests) {
  struct Hostile {
    std::string id;
    std::string policy;
    std::string message;
  };
  const Hostile hostile[] = {
      {"start-trap", "module: " + TestData("start_trap.wasm"),
       "cannot instantiate the module: guest trapped: RuntimeError: unreachable"},
      {"start-loop", "module: " + TestData("start_infinite_loop.wasm") + "\n  timeoutEvalSeconds: 1",
       "cannot instantiate the module: guest code interrupted, execution deadline exceeded"},
      {"start-recursion", "module: " + TestData("start_recursion.wasm"),
       "cannot instantiate the module: guest stack overflow"},
      {"wasi-start-trap", "module: " + AnnotatedWasiStartTrap(),
       "cannot instantiate the module: guest trapped: RuntimeError: unreachable"},
      {"huge-table", "module: " + TestData("table_huge.wasm"),
       "the module declares 10000000 table entries, more than the limit of 1000000"},
      {"table-grow-bomb", "module: " + TestData("table_grow_bomb.wasm"), "unreachable"},
  };
  std::string yml = "good:\n  module: " + TestData("test_policy.wasm") + "\n";
  for (const Hostile& h : hostile) yml += h.id + ":\n  " + h.policy + "\n";
  auto server = PolicyServer::Start(yml, {"--continue-on-errors", "--disable-compiled-cache"});
  ASSERT_TRUE(server);
  const std::string review = "{\"request\":" + RequestFile("pod_plain.json") + "}";
  for (int round = 0; round < 3; ++round) {  // failed instances are replaced, and fail again
    for (const Hostile& h : hostile) {
      auto r = server->Post("/validate/" + h.id, review);
      ASSERT_TRUE(r.ok()) << h.id << ": " << r.error;
      EXPECT_EQ(r.status, 200) << h.id;
      EXPECT_NE(r.body.find("\"allowed\":false"), std::string::npos) << h.id << ": " << r.body;
      EXPECT_NE(r.body.find("\"code\":500"), std::string::npos) << h.id << ": " << r.body;
      EXPECT_NE(r.body.find(h.message), std::string::npos) << h.id << ": " << r.body;
    }
    auto good = server->Post("/validate/good", review);
    ASSERT_TRUE(good.ok()) << good.error;
    EXPECT_NE(good.body.find("\"allowed\":true"), std::string::npos) << good.body;
  }
  EXPECT_TRUE(server->process().Running());
  std::string log = server->process().Stdout() + server->process().Stderr();
  EXPECT_NE(log.find("policy 'start-trap': "), std::string::npos) << log;
}

}  // namespace
}  // namespace kw
