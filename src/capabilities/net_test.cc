#include "capabilities/net.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>

#include "base/json.h"
#include "capabilities/capabilities.h"
#include "testing/json.h"
#include "testing/process.h"

namespace kw::capabilities {
namespace {

using namespace std::chrono_literals;

const host::HostCapabilities kAll = host::HostCapabilities::AllowAll();

Result<std::string> Lookup(const host::Dispatcher& dispatcher, std::string_view payload,
                           std::optional<std::chrono::steady_clock::time_point> deadline = {}) {
  host::CallContext ctx{"net-test", &kAll, deadline};
  return dispatcher.Call(ctx, "kubewarden", "net", "v1/dns_lookup_host", payload);
}

Result<std::string> Lookup(std::string_view payload) { return Lookup(*MakeDispatcher(), payload); }

TEST(DnsLookupHost, LocalhostResolvesToLoopback) {
  auto answer = Lookup(R"("localhost")");
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_TRUE(kw::testing::IsLocalhostLookup(*answer)) << *answer;
}

TEST(DnsLookupHost, AddressesAnswerThemselvesInTheirFamilyTextForm) {
  auto v4 = Lookup(R"("127.0.0.1")");
  ASSERT_TRUE(v4) << v4.error().message;
  EXPECT_EQ(*v4, R"({"ips":["127.0.0.1"]})");
  // IPv6, written long, comes back in its canonical short form.
  auto v6 = Lookup(R"("0:0:0:0:0:0:0:1")");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(*v6, R"({"ips":["::1"]})");
}

TEST(DnsLookupHost, UnknownNameIsAClearHostError) {
  auto answer = Lookup(R"("nonexistent.invalid")");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, ErrorKind::kHostError);
  EXPECT_TRUE(answer.error().message.starts_with("DNS lookup of 'nonexistent.invalid' failed: "))
      << answer.error().message;
}

TEST(DnsLookupHost, MalformedPayloadsAreClearHostErrors) {
  struct Case {
    std::string payload;
    std::string message;
  };
  const std::string prefix = "cannot decode the net/v1/dns_lookup_host payload: ";
  for (const Case& c : std::vector<Case>{
           {"localhost", prefix},  // not JSON: the parser's reason follows
           {"", prefix},
           {R"({"host":"localhost"})", prefix + "expected a JSON string (the host name)"},
           {R"(["localhost"])", prefix + "expected a JSON string (the host name)"},
           {"42", prefix + "expected a JSON string (the host name)"},
           {R"("local\u0000host")", prefix + "the host name contains a NUL character"},
           {"\"" + std::string(2000, 'a') + "\"",
            prefix + "2002 bytes is more than the limit of 1024 bytes"},
       }) {
    auto answer = Lookup(c.payload);
    ASSERT_FALSE(answer) << c.payload;
    EXPECT_EQ(answer.error().kind, ErrorKind::kHostError);
    EXPECT_TRUE(answer.error().message.starts_with(c.message))
        << c.payload << " -> " << answer.error().message;
  }
}

TEST(DnsLookupHost, IsDeniedWithoutTheGrant) {
  auto crypto_only = host::HostCapabilities::Parse({"crypto/*"});
  ASSERT_TRUE(crypto_only);
  host::CallContext ctx{"net-test", &*crypto_only};
  auto answer = MakeDispatcher()->Call(ctx, "kubewarden", "net", "v1/dns_lookup_host",
                                       R"("localhost")");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().message,
            "Policy has not been granted access to the 'net/v1/dns_lookup_host' host capability. "
            "The violation has been reported.");
}

// A resolver that blocks until the test releases it, as a hung DNS server would. Its state is
// shared with the lookup threads, which may outlive the test's dispatcher.
class StuckResolver {
 public:
  HostResolver resolver() const {
    return [state = state_](const std::string&) -> Result<std::vector<std::string>> {
      std::unique_lock lock(state->mutex);
      state->cv.wait(lock, [&] { return state->released; });
      return std::vector<std::string>{"192.0.2.1"};
    };
  }
  void Release() {
    {
      std::lock_guard lock(state_->mutex);
      state_->released = true;
    }
    state_->cv.notify_all();
  }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable cv;
    bool released = false;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

TEST(DnsLookupHost, AHungLookupEndsAtTheDeadlineAndLookupsInFlightAreCapped) {
  StuckResolver stuck;
  host::Dispatcher dispatcher;
  RegisterNet(dispatcher, {.max_lookup_time = 10min,
                           .max_lookups_in_flight = 1,
                           .resolver = stuck.resolver()});

  // The policy's deadline, not the (long) lookup limit, ends the wait.
  auto timed_out = Lookup(dispatcher, R"("hung.example")", std::chrono::steady_clock::now() + 50ms);
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().kind, ErrorKind::kHostError);
  EXPECT_EQ(timed_out.error().message,
            "DNS lookup of 'hung.example' did not finish within 600000 ms or before the policy's "
            "deadline");

  // Its thread still waits on the resolver: the only slot is taken.
  auto refused = Lookup(dispatcher, R"("other.example")", std::chrono::steady_clock::now() + 10min);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "DNS lookup of 'other.example' refused: 1 lookups are already in progress");

  // A deadline already past: no thread at all.
  auto late = Lookup(dispatcher, R"("late.example")", std::chrono::steady_clock::now() - 1s);
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("did not finish"), std::string::npos);

  // Once the resolver answers, the slot frees up and lookups work again.
  stuck.Release();
  Result<std::string> answer = Fail(ErrorKind::kInternal, "not tried");
  EXPECT_TRUE(kw::testing::Eventually([&] {
    answer = Lookup(dispatcher, R"("again.example")", std::chrono::steady_clock::now() + 10min);
    return answer.has_value();
  }));
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(*answer, R"({"ips":["192.0.2.1"]})");
}

TEST(DnsLookupHost, TheLookupLimitAppliesWithoutADeadline) {
  StuckResolver stuck;
  host::Dispatcher dispatcher;
  RegisterNet(dispatcher, {.max_lookup_time = 50ms, .resolver = stuck.resolver()});
  auto answer = Lookup(dispatcher, R"("hung.example")");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().message,
            "DNS lookup of 'hung.example' did not finish within 50 ms or before the policy's "
            "deadline");
  stuck.Release();
}

}  // namespace
}  // namespace kw::capabilities
