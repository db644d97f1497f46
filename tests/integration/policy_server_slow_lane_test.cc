// policy-server's slow lane (src/server/slow_lane.h), end to end through the real binary: a
// policy that ran out of time, or took a tenth of its timeout, is evaluated apart from the
// workers, on threads that only get CPU time nothing else wants, so that hammering it does not
// stall good policies; its requests beyond the lane's capacity get the timeout answer at once;
// and it goes back to the workers after a quiet period. Counts and order are asserted, never
// durations.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sched.h>

#include <gtest/gtest.h>

#include "testing/http_client.h"
#include "testing/json.h"
#include "testing/policy_server.h"
#include "testing/process.h"

namespace kw {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::HttpResult;
using testing::PolicyServer;

constexpr std::string_view kTimeoutStatus =
    R"({"message":"Policy execution interrupted because it exceeded the allowed execution time","code":500})";

std::string PlainReview() {
  return "{\"request\":" + testing::RequestFile("pod_plain.json") + "}";
}

// A looping policy and a slow one (600 ms, then accepts) with `timeout` seconds, and a good
// one.
std::string Policies(int timeout) {
  const std::string seconds = std::to_string(timeout);
  return "loop:\n  module: " + testing::TestData("validate_loop.wasm") +
         "\n  timeoutEvalSeconds: " + seconds +
         "\nslow:\n  module: " + testing::AnnotatedRegoFixture("wasi_policy.wasm", "wasi") +
         "\n  settings: {mode: slow}\n  timeoutEvalSeconds: " + seconds +
         "\nprivileged:\n  module: " + testing::TestData("test_policy.wasm") + "\n";
}

bool Accepted(const HttpResult& r) {
  return r.ok() && r.status == 200 && r.body.find("\"allowed\":true") != std::string::npos;
}

// The answer a timeout gives: 200, rejected with upstream's message and code 500.
void ExpectTimeoutAnswer(const HttpResult& r) {
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200);
  json::value review = testing::J(r.body);
  EXPECT_EQ(review.at("response").at("allowed"), false);
  EXPECT_EQ(review.at("response").at("status"), testing::J(kTimeoutStatus));
}

// policy-server serving Policies(timeout), with `args` and metrics on a port of its own.
class Served {
 public:
  Served(int timeout, std::vector<std::string> args) {
    for (std::string flag : {"--enable-metrics", "--metrics-port"}) args.push_back(flag);
    args.push_back(std::to_string(metrics_port_));
    server_ = PolicyServer::Start(Policies(timeout), std::move(args));
  }
  explicit operator bool() const { return server_ != nullptr; }

  HttpResult Loop() const { return server_->Post("/validate/loop", PlainReview()); }
  HttpResult Slow() const { return server_->Post("/validate/slow", PlainReview()); }
  HttpResult Good() const { return server_->Post("/validate/privileged", PlainReview()); }

  // The scheduling policies of the server's threads (from /proc/<pid>/task/*/stat).
  std::vector<int> ThreadPolicies() const {
    std::vector<int> policies;
    const std::string tasks = "/proc/" + std::to_string(server_->process().pid()) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
      std::ifstream stat(task.path() / "stat");
      std::string line;
      std::getline(stat, line);
      // After the command name in parentheses: state is field 3, the policy field 41.
      std::istringstream fields(line.substr(line.rfind(')') + 2));
      std::string field;
      for (int i = 3; i <= 41 && fields >> field; ++i) {
        if (i == 41) policies.push_back(std::stoi(field));
      }
    }
    return policies;
  }

  // kubewarden_policy_slow_lane_<counter>_total{policy_name="<policy>"}; -1 when absent.
  long SlowLane(std::string_view counter, std::string_view policy) const {
    testing::HttpOptions get;
    get.method = "GET";
    get.content_type.reset();
    const std::string url = "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics";
    const std::string body = testing::Http(url, get).body;
    const std::string series = "\nkubewarden_policy_slow_lane_" + std::string(counter) +
                               "_total{policy_name=\"" + std::string(policy) + "\"} ";
    std::size_t at = body.find(series);
    if (at == std::string::npos) return -1;
    return std::stol(body.substr(at + series.size()));
  }

  // Whether the server prints `text` on stdout (within Eventually's time).
  bool Prints(std::string_view text) const {
    return Eventually(
        [&] { return server_->process().Stdout().find(text) != std::string::npos; });
  }

 private:
  int metrics_port_ = testing::FreeLoopbackPort();
  std::unique_ptr<PolicyServer> server_;
};

TEST(PolicyServerSlowLane, HammeringALoopingPolicyDoesNotStallAGoodOne) {
  // Two workers, and a lane of one thread with room for two requests.
  Served server(3, {"--workers", "2", "--slow-lane-threads", "1", "--slow-lane-capacity", "2",
                    "--slow-lane-quiet-seconds", "3600"});
  ASSERT_TRUE(server);

  // Its first timeout costs a worker; then the policy is a suspect.
  ExpectTimeoutAnswer(server.Loop());
  EXPECT_TRUE(server.Prints("policy loop ran out of time: its requests go to the slow lane"));
  // The lane's one thread, and only it, runs on CPU time nothing else wants (SCHED_IDLE).
  std::vector<int> policies = server.ThreadPolicies();
  ASSERT_GE(policies.size(), 3u);
  EXPECT_EQ(std::count(policies.begin(), policies.end(), SCHED_IDLE), 1);
  EXPECT_EQ(std::count(policies.begin(), policies.end(), SCHED_OTHER), policies.size() - 1);
  EXPECT_EQ(server.SlowLane("entries", "loop"), 1);

  // Six connections at once: two fit in the lane (one runs, one waits), four are answered at
  // once. More than the workers could take: without the lane, both would loop for rounds.
  constexpr int kHostile = 6;
  std::vector<HttpResult> hostile(kHostile);
  std::atomic<int> hostile_answered = 0;
  std::vector<std::thread> hammering;
  for (int i = 0; i < kHostile; ++i) {
    hammering.emplace_back([&, i] {
      hostile[i] = server.Loop();
      ++hostile_answered;
    });
  }
  ASSERT_TRUE(Eventually([&] { return hostile_answered == kHostile - 2; }))
      << hostile_answered << " answered";

  // The workers are free: the good policy answers, many times, while the lane still loops.
  constexpr int kGood = 20;
  int good = 0;
  for (int i = 0; i < kGood; ++i) {
    good += Accepted(server.Good());
  }
  EXPECT_EQ(good, kGood);
  EXPECT_LT(hostile_answered, kHostile) << "the requests in the slow lane should still be pending";

  for (auto& t : hammering) t.join();
  // Each hostile request got the timeout answer, whether evaluated or turned away.
  for (const auto& r : hostile) ExpectTimeoutAnswer(r);
  EXPECT_EQ(server.SlowLane("rejections", "loop"), kHostile - 2);
  // Still timing out in the lane: it stays there, entered once.
  EXPECT_EQ(server.SlowLane("entries", "loop"), 1);
  EXPECT_EQ(server.SlowLane("exits", "loop"), -1);
  // The good policy never went there.
  EXPECT_EQ(server.SlowLane("entries", "privileged"), -1);
}

TEST(PolicyServerSlowLane, ASuspectGoesBackToTheWorkersAfterAQuietPeriod) {
  Served server(1, {"--slow-lane-quiet-seconds", "1"});
  ASSERT_TRUE(server);
  ExpectTimeoutAnswer(server.Loop());
  EXPECT_EQ(server.SlowLane("entries", "loop"), 1);

  // More than the quiet period since its timeout: its next request is the workers' again (and
  // times out again, so it enters again).
  std::this_thread::sleep_for(1500ms);
  ExpectTimeoutAnswer(server.Loop());
  EXPECT_TRUE(server.Prints("policy loop has not run out of time or run slow for 1 s: its "
                            "requests go back to the main workers"));
  EXPECT_EQ(server.SlowLane("exits", "loop"), 1);
  EXPECT_EQ(server.SlowLane("entries", "loop"), 2);
  EXPECT_TRUE(Accepted(server.Good()));
}

TEST(PolicyServerSlowLane, APolicyThatTakesATenthOfItsTimeoutGoesToTheLaneToo) {
  // 600 ms of a 5 s timeout: answered in time, but slow. A lane with room for one request.
  Served server(5, {"--slow-lane-capacity", "1", "--slow-lane-quiet-seconds", "3600"});
  ASSERT_TRUE(server);
  EXPECT_TRUE(Accepted(server.Slow())) << "in time, it is answered as usual";
  EXPECT_TRUE(server.Prints("policy slow took "));
  EXPECT_TRUE(server.Prints("ms, a tenth of its timeout or more: its requests go to the slow lane"));
  EXPECT_EQ(server.SlowLane("entries", "slow"), 1);

  // Now three at once: one runs in the lane and is accepted, those that find it full get the
  // timeout answer at once (all but the first, unless a client is over 600 ms late). On the
  // workers, all three would have been accepted.
  std::vector<HttpResult> answers(3);
  std::vector<std::thread> clients;
  for (auto& answer : answers) clients.emplace_back([&] { answer = server.Slow(); });
  for (auto& t : clients) t.join();
  int accepted = 0, turned_away = 0;
  for (const auto& r : answers) {
    if (Accepted(r)) {
      ++accepted;
    } else {
      ExpectTimeoutAnswer(r);
      ++turned_away;
    }
  }
  EXPECT_GE(accepted, 1);
  EXPECT_GE(turned_away, 1);
  EXPECT_EQ(server.SlowLane("rejections", "slow"), turned_away);
  // A quick policy never goes there.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Accepted(server.Good()));
  EXPECT_EQ(server.SlowLane("entries", "privileged"), -1);
}

TEST(PolicyServerSlowLane, NoLaneLeavesEveryRequestOnTheWorkers) {
  Served server(1, {"--slow-lane-threads", "0"});
  ASSERT_TRUE(server);
  ExpectTimeoutAnswer(server.Loop());
  ExpectTimeoutAnswer(server.Loop());
  EXPECT_EQ(server.SlowLane("entries", "loop"), -1);
}

}  // namespace
}  // namespace kw
