// Hostile or mistaken inputs of policy-server and kwctl, end to end through the real binaries:
// configuration files over their cap, devices and FIFOs given as modules, typos in policies.yml.
// Each is refused (or warned about) with a message naming the file and the limit, and costs no
// more than its cap: none of these tests waits on a read that never ends.
#include <signal.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/files.h"
#include "testing/http_client.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using testing::ProcessResult;
using testing::TestData;

constexpr std::size_t kMiB = 1u << 20;

std::string Policy() { return TestData("test_policy.wasm"); }
std::string PlainReview() {
  return "{\"request\":" + testing::RequestFile("pod_plain.json") + "}";
}
std::string PlainRequestPath() { return testing::SourcePath("tests/data/requests/pod_plain.json"); }

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = testing::MakeTempDir() + "/" + name;
  EXPECT_TRUE(WriteFile(path, content));
  return path;
}

// Runs policy-server on `policies` (a path) to its exit: start-up failures.
ProcessResult RunServer(const std::string& policies) {
  return testing::RunProcess({testing::PolicyServerBinary(), "--addr", "127.0.0.1", "--port",
                              std::to_string(testing::FreeLoopbackPort()),
                              "--readiness-probe-port",
                              std::to_string(testing::FreeLoopbackPort()), "--policies",
                              policies});
}

ProcessResult Kwctl(std::vector<std::string> args) {
  args.insert(args.begin(), testing::KwctlBinary());
  return testing::RunProcess(args);
}

// A valid policies.yml of `size` bytes: one policy, then comments.
std::string PaddedPolicies(std::size_t size) {
  std::string text = "psp:\n  module: " + Policy() + "\n";
  const std::string comment = "# " + std::string(77, 'x') + "\n";
  while (text.size() + comment.size() <= size) text += comment;
  text.append(size - text.size(), '\n');
  return text;
}

// The log of a server that started, once it has stopped (so that every line is in).
std::string LogAfterStop(testing::PolicyServer& server) {
  server.process().Signal(SIGTERM);
  EXPECT_TRUE(server.process().Wait(std::chrono::seconds(30)).has_value());
  return server.process().Stdout();
}

// --- policy-server: policies.yml -------------------------------------------------------------

TEST(PolicyServerInputs, OversizedPoliciesFileIsRefusedBeforeReadingIt) {
  std::string policies = WriteTemp("policies.yml", PaddedPolicies(8 * kMiB));
  auto r = RunServer(policies);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: " + policies + " is 8 MiB, more than the 4 MiB limit\n");
}

TEST(PolicyServerInputs, PoliciesFileWithinTheCapLoads) {
  // 3.9 MiB, nearly all comments: read and parsed whole, and served.
  auto server = testing::PolicyServer::Start(PaddedPolicies(4 * kMiB - 100 * 1024));
  ASSERT_TRUE(server);
  EXPECT_EQ(server->Post("/validate/psp", PlainReview()).status, 200);
}

TEST(PolicyServerInputs, UnknownKeysOfPoliciesAndGroupsAreLoggedAsWarnings) {
  auto server = testing::PolicyServer::Start(
      "psp:\n"
      "  module: " + Policy() + "\n"
      "  policyMod: monitor\n"
      "  setings: {reject: never applied}\n"
      "  namespacedName: {Namespace: '', Name: psp}\n"
      "group:\n"
      "  expression: a()\n"
      "  message: the group rejects\n"
      "  mesage: typo\n"
      "  policies: {a: {module: " + Policy() + "}}\n");
  ASSERT_TRUE(server);
  // The misspelt settings are not applied: the policy accepts what they would have rejected.
  EXPECT_NE(server->Post("/validate/psp", PlainReview()).body.find("\"allowed\":true"),
            std::string::npos);
  std::string log = LogAfterStop(*server);
  const std::string keys =
      "module, policyMode, allowedToMutate, settings, contextAwareResources, message, "
      "timeoutEvalSeconds, hostCapabilities)";
  for (std::string_view key : {"policyMod", "setings"}) {
    EXPECT_NE(log.find(": policy 'psp': unknown field '" + std::string(key) +
                       "' is ignored (a policy takes " + keys),
              std::string::npos)
        << log;
  }
  EXPECT_NE(log.find(": policy 'group': unknown field 'mesage' is ignored (a policy group takes "
                     "policyMode, expression, message, policies)"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("namespacedName"), std::string::npos) << log;  // the controller's key
}

TEST(PolicyServerInputs, EmptyPoliciesFileStartsWithAWarning) {
  auto server = testing::PolicyServer::Start("# policies are added later\n");
  ASSERT_TRUE(server);
  EXPECT_EQ(server->Post("/validate/psp", PlainReview()).status, 404);
  std::string log = LogAfterStop(*server);
  EXPECT_NE(log.find("policies.yml defines no policies: the server starts with nothing to "
                     "evaluate"),
            std::string::npos)
      << log;
}

// --- policy-server: modules that are not regular files --------------------------------------

TEST(PolicyServerInputs, DeviceAsModuleIsRefusedWithoutReadingIt) {
  auto r = RunServer(WriteTemp("policies.yml", "zero:\n  module: file:///dev/zero\n"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Error: policy 'zero': cannot load policy file:///dev/zero: cannot read /dev/zero: it "
            "is a character device, not a regular file\n");
}

TEST(PolicyServerInputs, FifoAsModuleIsRefusedWithoutWaitingForAWriter) {
  // Nobody ever writes to this FIFO: opening it for reading the ordinary way would block.
  std::string fifo = testing::MakeTempDir() + "/policy.wasm";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto r = RunServer(WriteTemp("policies.yml", "fifo:\n  module: file://" + fifo + "\n"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: policy 'fifo': cannot load policy file://" + fifo + ": cannot read " +
                       fifo + ": it is a FIFO, not a regular file\n");
}

// --- kwctl run -----------------------------------------------------------------------------

TEST(KwctlRunInputs, OversizedSettingsFileIsRefusedBeforeReadingIt) {
  // JSON settings, 8 MiB: one long string.
  std::string settings = WriteTemp(
      "settings.json", "{\"reject\": \"" + std::string(8 * kMiB - 15, 'x') + "\"}\n");
  auto r = Kwctl({"run", Policy(), "-r", PlainRequestPath(), "-s", settings});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(settings + " is 8 MiB, more than the 4 MiB limit\n"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(KwctlRunInputs, SettingsFromADeviceAreReadOnlyUpToTheCap) {
  auto r = Kwctl({"run", Policy(), "-r", PlainRequestPath(), "-s", "/dev/zero"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(" /dev/zero is larger than the 4 MiB limit\n"), std::string::npos)
      << r.err;
}

TEST(KwctlRunInputs, LargeJsonSettingsWithinTheCapAreParsedAsJson) {
  // 3 MiB of JSON settings: a long list the policy ignores, and the setting it acts on.
  std::string list = "[\"" + std::string(100, 'r') + "\"";
  while (list.size() < 3 * kMiB) list += ",\"" + std::string(100, 'r') + "\"";
  list += "]";
  std::string settings =
      WriteTemp("settings.json", "{\"padding\": " + list + ", \"reject\": \"big settings\"}");
  auto r = Kwctl({"run", Policy(), "-r", PlainRequestPath(), "-s", settings});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"message\":\"big settings\""), std::string::npos) << r.out;
}

TEST(KwctlRunInputs, DeviceAsModuleIsRefusedWithoutReadingIt) {
  auto r = Kwctl({"run", "file:///dev/zero", "-r", PlainRequestPath()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot load policy file:///dev/zero: cannot read /dev/zero: it is a "
                       "character device, not a regular file\n"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace kw
