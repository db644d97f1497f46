// policy-server follows its --policies file (server/served_policies.h): the real binary, its file
// changed the ways people, tools and Kubernetes change it, while requests are served.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "base/files.h"
#include "base/json.h"
#include "base/sha256.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using namespace std::chrono_literals;
using testing::PolicyServer;
using testing::RequestFile;
using testing::TestData;

std::string Review() { return "{\"request\":" + RequestFile("pod_plain.json") + "}"; }

std::string Module() { return TestData("test_policy.wasm"); }

// A policy of test_policy.wasm with `settings` (YAML flow map).
std::string PolicyYaml(const std::string& id, const std::string& settings = "{}",
                       const std::string& extra = "") {
  return id + ":\n  module: " + Module() + "\n  settings: " + settings + "\n" + extra;
}

// The response part of a /validate answer, parsed ({} when it is not one).
json::value Response(const testing::HttpResult& r) {
  auto parsed = ParseJson(r.body, "response");
  if (!parsed || !parsed->is_object()) return json::object();
  const json::value* response = FindKey(*parsed, "response");
  return response ? *response : json::object();
}

// "accepted", "rejected: <message>", "status <N>" or "error: ...".
std::string Verdict(const PolicyServer& server, const std::string& id) {
  auto r = server.Post("/validate/" + id, Review());
  if (!r.ok()) return "error: " + r.error;
  if (r.status != 200) return "status " + std::to_string(r.status);
  json::value response = Response(r);
  const json::value* allowed = FindKey(response, "allowed");
  if (allowed && allowed->is_bool() && allowed->as_bool()) return "accepted";
  const json::value* status = FindKey(response, "status");
  const json::value* message = status ? FindKey(*status, "message") : nullptr;
  return "rejected: " + (message && message->is_string() ? std::string(message->as_string()) : "");
}

// The state of `id` in GET /policies, with its error: "live", "last-good: <error>", ...
std::string State(const PolicyServer& server, const std::string& id) {
  auto status = ParseJson(server.Status(), "status");
  if (!status) return "no status";
  const json::value* policies = FindKey(*status, "policies");
  const json::value* entry = policies ? FindKey(*policies, id) : nullptr;
  if (entry == nullptr) return "absent";
  std::string state(FindKey(*entry, "state")->as_string());
  if (const json::value* error = FindKey(*entry, "error")) {
    state += ": " + std::string(error->as_string());
  }
  return state;
}

std::string Version(const PolicyServer& server) {
  auto status = ParseJson(server.Status(), "status");
  if (!status) return "";
  const json::value* version = FindKey(*status, "version");
  return version && version->is_string() ? std::string(version->as_string()) : "";
}

std::string Digest(const std::string& text) { return "sha256:" + Sha256Hex(Sha256(AsBytes(text))); }

// Rewrites the file in place (same inode), as `echo > file` does.
void WriteInPlace(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// Waits until `id` answers `expected`; the answer seen last otherwise.
std::string AwaitVerdict(const PolicyServer& server, const std::string& id,
                         const std::string& expected) {
  std::string seen;
  testing::Eventually([&] { return (seen = Verdict(server, id)) == expected; }, 10s);
  return seen;
}

class PolicyServerReload : public ::testing::Test {
 protected:
  std::unique_ptr<PolicyServer> Start(const std::string& policies) {
    path_ = testing::MakeTempDir() + "/policies.yml";
    WriteInPlace(path_, policies);
    return PolicyServer::StartWithFile(path_);
  }
  std::string path_;
};

TEST_F(PolicyServerReload, AFileWrittenInPlaceIsServed) {
  auto server = Start(PolicyYaml("p"));
  ASSERT_TRUE(server);
  EXPECT_EQ(Verdict(*server, "p"), "accepted");
  WriteInPlace(path_, PolicyYaml("p", "{reject: now rejected}"));
  EXPECT_EQ(AwaitVerdict(*server, "p", "rejected: now rejected"), "rejected: now rejected");
  EXPECT_EQ(State(*server, "p"), "live");
  EXPECT_EQ(Version(*server), Digest(PolicyYaml("p", "{reject: now rejected}")));
}

TEST_F(PolicyServerReload, AFileReplacedByRenameIsServed) {
  auto server = Start(PolicyYaml("p"));
  ASSERT_TRUE(server);
  ASSERT_TRUE(WriteFile(path_, PolicyYaml("p", "{reject: renamed}")));  // temp file + rename
  EXPECT_EQ(AwaitVerdict(*server, "p", "rejected: renamed"), "rejected: renamed");
}

// A ConfigMap volume: <dir>/policies.yml -> ..data/policies.yml, ..data -> ..<timestamp>, and
// an update links ..data to a new directory by renaming a new link over it.
TEST_F(PolicyServerReload, AConfigMapUpdateIsServed) {
  namespace fs = std::filesystem;
  std::string dir = testing::MakeTempDir();
  const auto version_dir = [&](const std::string& name, const std::string& text) {
    fs::create_directory(dir + "/" + name);
    WriteInPlace(dir + "/" + name + "/policies.yml", text);
  };
  version_dir("..2026_12_06_1", PolicyYaml("p"));
  fs::create_symlink("..2026_12_06_1", dir + "/..data");
  fs::create_symlink("..data/policies.yml", dir + "/policies.yml");
  auto server = PolicyServer::StartWithFile(dir + "/policies.yml");
  ASSERT_TRUE(server);
  EXPECT_EQ(Verdict(*server, "p"), "accepted");

  version_dir("..2026_12_06_2", PolicyYaml("p", "{reject: from the new ConfigMap}"));
  fs::create_symlink("..2026_12_06_2", dir + "/..data_tmp");
  fs::rename(dir + "/..data_tmp", dir + "/..data");
  fs::remove_all(dir + "/..2026_12_06_1");
  EXPECT_EQ(AwaitVerdict(*server, "p", "rejected: from the new ConfigMap"),
            "rejected: from the new ConfigMap");
}

TEST_F(PolicyServerReload, PoliciesAreAddedRemovedAndChangeMode) {
  auto server = Start(PolicyYaml("p", "{reject: no}") + PolicyYaml("gone"));
  ASSERT_TRUE(server);
  EXPECT_EQ(Verdict(*server, "p"), "rejected: no");
  WriteInPlace(path_, PolicyYaml("p", "{reject: no}", "  policyMode: monitor\n") +
                          PolicyYaml("added", "{reject: added says no}"));
  EXPECT_EQ(AwaitVerdict(*server, "added", "rejected: added says no"), "rejected: added says no");
  EXPECT_EQ(Verdict(*server, "p"), "accepted");  // monitor mode lets it through
  EXPECT_EQ(Verdict(*server, "gone"), "status 404");
  EXPECT_EQ(State(*server, "gone"), "absent");
}

TEST_F(PolicyServerReload, WhatFailsToLoadKeepsServingItsLastGoodVersion) {
  auto server = Start(PolicyYaml("module", "{reject: old module}") +
                      PolicyYaml("settings", "{reject: old settings}") +
                      PolicyYaml("registry", "{reject: old registry}") + PolicyYaml("ok"));
  ASSERT_TRUE(server);
  testing::RefusingLoopbackPort down;
  std::string unreachable = "registry://127.0.0.1:" + std::to_string(down.port()) + "/policy:v1";
  WriteInPlace(path_, "module:\n  module: " + TestData("not_wasm.txt") + "\n" +
                          PolicyYaml("settings", "{invalid: settings refused}") +
                          "registry:\n  module: " + unreachable + "\n" +
                          PolicyYaml("ok", "{reject: ok changed}") +
                          PolicyYaml("new", "{invalid: new refused}"));
  EXPECT_EQ(AwaitVerdict(*server, "ok", "rejected: ok changed"), "rejected: ok changed");
  EXPECT_EQ(Verdict(*server, "module"), "rejected: old module");
  EXPECT_EQ(Verdict(*server, "settings"), "rejected: old settings");
  EXPECT_EQ(Verdict(*server, "registry"), "rejected: old registry");
  EXPECT_TRUE(State(*server, "module").starts_with("last-good: bootstrap failure: module: "))
      << State(*server, "module");
  EXPECT_EQ(State(*server, "settings"), "last-good: Policy settings are invalid: settings refused");
  EXPECT_TRUE(State(*server, "registry").starts_with("last-good: bootstrap failure: registry: "))
      << State(*server, "registry");
  // A new policy that fails has nothing to fall back on: its requests are rejected.
  EXPECT_EQ(State(*server, "new"), "failed: Policy settings are invalid: new refused");
  EXPECT_EQ(Verdict(*server, "new"), "rejected: Policy settings are invalid: new refused");
  std::string out = server->process().Stdout();
  EXPECT_NE(out.find("policy 'module': "), std::string::npos) << out;
  EXPECT_NE(out.find("serving its last good version"), std::string::npos) << out;

  // Fixed: live again.
  WriteInPlace(path_, PolicyYaml("module", "{reject: new module}") + PolicyYaml("ok"));
  EXPECT_EQ(AwaitVerdict(*server, "module", "rejected: new module"), "rejected: new module");
  EXPECT_EQ(State(*server, "module"), "live");
}

TEST_F(PolicyServerReload, AnUnreadableFileChangesNothing) {
  auto server = Start(PolicyYaml("p", "{reject: kept}"));
  ASSERT_TRUE(server);
  std::string version = Version(*server);
  WriteInPlace(path_, "p: [not, a, policy");
  EXPECT_TRUE(testing::Eventually([&] {
    return server->process().Stdout().find("cannot reload the policies") != std::string::npos;
  }));
  EXPECT_EQ(Verdict(*server, "p"), "rejected: kept");
  EXPECT_EQ(Version(*server), version);
  // Touching the file with the same content rebuilds nothing either.
  WriteInPlace(path_, PolicyYaml("p", "{reject: kept}"));
  WriteInPlace(path_, PolicyYaml("p", "{reject: changed}"));
  EXPECT_EQ(AwaitVerdict(*server, "p", "rejected: changed"), "rejected: changed");
}

TEST_F(PolicyServerReload, NoRequestFailsDuringReloads) {
  auto server = Start(PolicyYaml("p") + PolicyYaml("q", "{reject: q}"));
  ASSERT_TRUE(server);
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::atomic<int> wrong{0};
  std::string first_wrong;
  std::mutex mutex;
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      while (!stop) {
        std::string verdict = Verdict(*server, "q");
        // q rejects with "q" or "q2" depending on the version served: never anything else.
        if (verdict == "rejected: q" || verdict == "rejected: q2") {
          ++answered;
        } else {
          std::lock_guard lock(mutex);
          if (wrong++ == 0) first_wrong = verdict;
        }
      }
    });
  }
  for (int i = 0; i < 10; ++i) {
    WriteInPlace(path_, PolicyYaml("p", "{reject: p" + std::to_string(i) + "}") +
                            PolicyYaml("q", i % 2 == 0 ? "{reject: q2}" : "{reject: q}"));
    EXPECT_EQ(AwaitVerdict(*server, "p", "rejected: p" + std::to_string(i)),
              "rejected: p" + std::to_string(i));
  }
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0) << first_wrong;
  EXPECT_GT(answered.load(), 100);
}

TEST_F(PolicyServerReload, AStormOfWritesEndsOnTheLastOne) {
  auto server = Start(PolicyYaml("p"));
  ASSERT_TRUE(server);
  std::string last;
  // 50 writes a second for two seconds, alternating in place and by rename.
  for (int i = 0; i < 100; ++i) {
    last = PolicyYaml("p", "{reject: write " + std::to_string(i) + "}");
    if (i % 2 == 0) {
      WriteInPlace(path_, last);
    } else {
      ASSERT_TRUE(WriteFile(path_, last));
    }
    std::this_thread::sleep_for(20ms);
    std::string verdict = Verdict(*server, "p");
    EXPECT_TRUE(verdict == "accepted" || verdict.starts_with("rejected: write ")) << verdict;
  }
  EXPECT_EQ(AwaitVerdict(*server, "p", "rejected: write 99"), "rejected: write 99");
  EXPECT_TRUE(testing::Eventually([&] { return Version(*server) == Digest(last); }));
  EXPECT_TRUE(server->process().Running());
}

}  // namespace
}  // namespace kw
