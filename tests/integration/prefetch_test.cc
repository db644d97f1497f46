// loader::ModuleLoader::Prefetch against a loopback HTTP server that holds requests in flight:
// the download cap ("at most `parallelism` at a time"), one request per distinct module, and
// Load reusing what Prefetch fetched (successes and failures) instead of fetching again.
// Environments are built with parallelism 4 (EnvironmentOptions::parallel_downloads in
// src/loader/environment_builder.h), the value used here.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/files.h"
#include "engine/v8/v8_engine.h"
#include "loader/loader.h"
#include "testing/process.h"
#include "testing/scripted_http_server.h"

namespace kw::loader {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kParallelism = 4;

// The smallest module that loads as a waPC policy (no metadata, and a `__guest_call` export, a
// function that does nothing): header, type `() -> ()`, one function, its export, its body. It
// is never run.
const std::string kEmptyModule(
    "\0asm\1\0\0\0"
    "\x01\x04\x01\x60\x00\x00"
    "\x03\x02\x01\x00"
    "\x07\x10\x01\x0c__guest_call\x00\x00"
    "\x0a\x04\x01\x02\x00\x0b",
    8 + 6 + 4 + 18 + 6);

// Holds every request until `parallelism` requests are in flight (or every expected request has
// arrived: the last wave is smaller), and records the most requests in flight at once. Whatever
// the timing, a loader that keeps `parallelism` downloads going gets its first `parallelism`
// requests held together, so the maximum is exactly `parallelism`; one that runs them one at a
// time is only let through after `kSafety` (and the maximum is 1). When `parallelism` requests
// are in flight the gate waits up to `kSettle` (less if one more arrives) before letting them
// go, to give a loader that runs more than `parallelism` downloads time to show it. No assertion
// depends on timing: a correct loader passes however slow the machine, and `kSettle` only
// raises the odds of catching an over-eager one.
class Gate {
 public:
  static constexpr auto kSafety = 30s;
  static constexpr auto kSettle = 200ms;

  Gate(std::size_t parallelism, std::size_t expected)
      : parallelism_(parallelism), expected_(expected),
        deadline_(std::chrono::steady_clock::now() + kSafety) {}

  // Called by the server for every request; returns once the request may be answered.
  void Pass() {
    std::unique_lock lock(mutex_);
    const std::size_t ticket = ++arrived_;
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    changed_.notify_all();
    if (in_flight_ >= parallelism_ || arrived_ >= expected_) {
      if (in_flight_ >= parallelism_) {
        changed_.wait_for(lock, kSettle, [&] { return in_flight_ > parallelism_; });
      }
      released_up_to_ = std::max(released_up_to_, arrived_);
      changed_.notify_all();
    } else if (!changed_.wait_until(lock, deadline_,
                                    [&] { return open_ || ticket <= released_up_to_; })) {
      open_ = true;  // something is wrong; let everything through and let the checks fail
      changed_.notify_all();
    }
    --in_flight_;
    changed_.notify_all();
  }

  std::size_t max_in_flight() {
    std::lock_guard lock(mutex_);
    return max_in_flight_;
  }

 private:
  const std::size_t parallelism_;
  const std::size_t expected_;
  const std::chrono::steady_clock::time_point deadline_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t arrived_ = 0;
  std::size_t in_flight_ = 0;
  std::size_t max_in_flight_ = 0;
  std::size_t released_up_to_ = 0;  // requests with a ticket up to this one may go
  bool open_ = false;
};

TEST(ModuleLoaderPrefetch, DownloadsEachModuleOnceAtMostParallelismAtATime) {
  constexpr std::size_t kModules = 10;
  Gate gate(kParallelism, kModules);
  std::mutex mutex;
  bool missing_found = false;  // after Prefetch, the missing modules appear (a retry would work)
  testing::ScriptedHttpServer server([&](const testing::CapturedRequest& request) {
    gate.Pass();
    std::lock_guard lock(mutex);
    if (request.target.starts_with("/missing/") && !missing_found) {
      return testing::ScriptedResponse{.status = 404, .body = "not found"};
    }
    return testing::ScriptedResponse{.content_type = "application/wasm", .body = kEmptyModule};
  });

  // Eight modules that exist and two that do not, each listed twice, and a local one.
  std::vector<std::string> distinct;
  for (std::size_t i = 0; i < kModules; ++i) {
    distinct.push_back(server.Url() + (i % 5 == 4 ? "/missing/" : "/policies/") +
                       std::to_string(i) + ".wasm");
  }
  std::vector<std::string> uris = distinct;
  uris.insert(uris.end(), distinct.rbegin(), distinct.rend());
  uris.push_back("/nonexistent/local/policy.wasm");

  auto engine = engine::CreateV8Engine();
  ASSERT_TRUE(engine.has_value()) << engine.error().message;
  FetchSettings settings{.store_root = testing::MakeTempDir() + "/store"};
  settings.sources.insecure_sources.insert(server.host());  // plain http:// is allowed
  ModuleLoader loader(**engine, std::nullopt, nullptr, settings);
  loader.Prefetch(uris, kParallelism);

  EXPECT_EQ(gate.max_in_flight(), kParallelism);
  std::map<std::string, int> per_target;
  for (const auto& request : server.Requests()) {
    EXPECT_EQ(request.method, "GET");
    ++per_target[server.Url() + request.target];
  }
  EXPECT_EQ(per_target.size(), kModules);
  for (const std::string& uri : distinct) EXPECT_EQ(per_target[uri], 1) << uri;

  // Load uses what Prefetch got: the modules, and the failures (not retried even though the
  // server would now answer).
  {
    std::lock_guard lock(mutex);
    missing_found = true;
  }
  for (const std::string& uri : distinct) {
    auto module = loader.Load(uri);
    if (uri.find("/missing/") == std::string::npos) {
      EXPECT_TRUE(module.has_value()) << uri << ": " << module.error().message;
    } else {
      ASSERT_FALSE(module.has_value()) << uri;
      EXPECT_EQ(module.error().kind, ErrorKind::kNotFound) << module.error().message;
      EXPECT_NE(module.error().message.find("cannot fetch policy " + uri), std::string::npos)
          << module.error().message;
    }
  }
  EXPECT_EQ(server.Requests().size(), kModules);
  EXPECT_EQ(loader.compiled_modules(), kModules - 2);
}

// With parallelism 1 the downloads are sequential: the gate holds each request for kSettle, and
// a second one arriving meanwhile would show.
TEST(ModuleLoaderPrefetch, ParallelismOneDownloadsOneAtATime) {
  Gate gate(/*parallelism=*/1, /*expected=*/2);
  testing::ScriptedHttpServer server([&](const testing::CapturedRequest&) {
    gate.Pass();
    return testing::ScriptedResponse{.content_type = "application/wasm", .body = kEmptyModule};
  });
  auto engine = engine::CreateV8Engine();
  ASSERT_TRUE(engine.has_value()) << engine.error().message;
  FetchSettings settings{.store_root = testing::MakeTempDir() + "/store"};
  settings.sources.insecure_sources.insert(server.host());
  ModuleLoader loader(**engine, std::nullopt, nullptr, settings);
  loader.Prefetch({server.Url() + "/a.wasm", server.Url() + "/b.wasm"}, 1);
  EXPECT_EQ(gate.max_in_flight(), 1u);
  EXPECT_EQ(server.Requests().size(), 2u);
}

// policy-server's start-up goes through Prefetch with its own cap of 4 (kParallelDownloads):
// ten policies over plain HTTP, each module listed by two policies. The modules are empty, so
// start-up fails afterwards (they have no waPC entry point to validate settings with); the
// downloads are what is checked.
TEST(PolicyServerPrefetch, DownloadsEachModuleOnceAtMostFourAtATime) {
  constexpr std::size_t kModules = 10;
  Gate gate(kParallelism, kModules);
  testing::ScriptedHttpServer server([&](const testing::CapturedRequest&) {
    gate.Pass();
    return testing::ScriptedResponse{.content_type = "application/wasm", .body = kEmptyModule};
  });
  const std::string dir = testing::MakeTempDir();
  std::string policies;
  for (std::size_t i = 0; i < 2 * kModules; ++i) {
    policies += "p" + std::to_string(i) + ":\n  module: " + server.Url() + "/policies/" +
                std::to_string(i % kModules) + ".wasm\n";
  }
  ASSERT_TRUE(WriteFile(dir + "/policies.yml", policies).has_value());
  ASSERT_TRUE(WriteFile(dir + "/sources.yaml",
                        "insecure_sources: [\"" + server.host() + "\"]\n")
                  .has_value());
  testing::ChildProcess process({testing::PolicyServerBinary(), "--addr", "127.0.0.1", "--port",
                                 std::to_string(testing::FreeLoopbackPort()),
                                 "--readiness-probe-port",
                                 std::to_string(testing::FreeLoopbackPort()), "--policies",
                                 dir + "/policies.yml", "--sources-path", dir + "/sources.yaml",
                                 "--policies-download-dir", dir + "/store"});
  // Generous: start-up ends once the downloads are done (the gate's safety deadline is 30 s).
  ASSERT_TRUE(process.Wait(std::chrono::seconds(120)).has_value()) << process.Stderr();

  EXPECT_EQ(gate.max_in_flight(), kParallelism) << process.Stderr();
  std::map<std::string, int> per_target;
  for (const auto& request : server.Requests()) ++per_target[request.target];
  EXPECT_EQ(per_target.size(), kModules);
  for (const auto& [target, count] : per_target) EXPECT_EQ(count, 1) << target;
}

}  // namespace
}  // namespace kw::loader
