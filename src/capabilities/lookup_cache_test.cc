#include "capabilities/lookup_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

namespace kw::capabilities {
namespace {

using Clock = std::chrono::steady_clock;

// A clock the test moves by hand, for the expiry of entries.
struct ManualClock {
  std::shared_ptr<std::atomic<Clock::rep>> ticks = std::make_shared<std::atomic<Clock::rep>>(0);
  std::function<Clock::time_point()> Function() const {
    return [ticks = ticks] { return Clock::time_point(Clock::duration(ticks->load())); };
  }
  void Advance(std::chrono::milliseconds by) {
    *ticks += std::chrono::duration_cast<Clock::duration>(by).count();
  }
};

// A look-up that counts its calls and answers `value` (or fails when `value` is empty), once
// `gate` opens (open from the start unless the test keeps it closed).
struct CountingLookup {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::promise<void>> opener = std::make_shared<std::promise<void>>();
  std::shared_future<void> gate = opener->get_future().share();

  explicit CountingLookup(bool open = true) {
    if (open) opener->set_value();
  }
  void Open() { opener->set_value(); }
  LookupCache::Lookup Answer(std::string value) const {
    return [calls = calls, gate = gate, value]() -> Result<std::string> {
      gate.wait();
      ++*calls;
      if (value.empty()) return Fail(ErrorKind::kNotFound, "manifest unknown");
      return value;
    };
  }
};

constexpr auto kNoDeadline = std::nullopt;

Clock::time_point SoonDeadline() { return Clock::now() + std::chrono::milliseconds(20); }

TEST(LookupCache, KeepsSuccessesForTheirTtl) {
  ManualClock clock;
  LookupCache cache({.ttl = std::chrono::seconds(60), .now = clock.Function()});
  CountingLookup lookup;
  EXPECT_EQ(cache.Get("k", "k", lookup.Answer("v"), kNoDeadline), "v");
  clock.Advance(std::chrono::seconds(59));
  EXPECT_EQ(cache.Get("k", "k", lookup.Answer("other"), kNoDeadline), "v");
  EXPECT_EQ(*lookup.calls, 1);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(cache.Get("k", "k", lookup.Answer("new"), kNoDeadline), "new");
  EXPECT_EQ(*lookup.calls, 2);
}

TEST(LookupCache, NeverKeepsFailures) {
  LookupCache cache;
  CountingLookup lookup;
  auto failed = cache.Get("k", "k", lookup.Answer(""), kNoDeadline);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "manifest unknown");
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Get("k", "k", lookup.Answer("v"), kNoDeadline), "v");
  EXPECT_EQ(*lookup.calls, 2);
}

TEST(LookupCache, DropsTheLeastRecentlyUsedBeyondItsEntryCap) {
  LookupCache cache({.max_entries = 2});
  CountingLookup lookup;
  for (std::string key : {"a", "b", "a", "c"}) {
    EXPECT_EQ(cache.Get(key, key, lookup.Answer(key), kNoDeadline), key);
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(*lookup.calls, 3);  // a, b, c: the second a was cached
  // b was the least recently used when c came.
  EXPECT_EQ(cache.Get("a", "a", lookup.Answer("a"), kNoDeadline), "a");
  EXPECT_EQ(*lookup.calls, 3);
  EXPECT_EQ(cache.Get("b", "b", lookup.Answer("b"), kNoDeadline), "b");
  EXPECT_EQ(*lookup.calls, 4);
}

TEST(LookupCache, StaysWithinItsByteCap) {
  LookupCache cache({.max_bytes = 100});
  CountingLookup lookup;
  const std::string big(200, 'x');
  EXPECT_EQ(cache.Get("big", "big", lookup.Answer(big), kNoDeadline), big);
  EXPECT_EQ(cache.size(), 0u);  // answered, but too large to keep
  for (int i = 0; i < 10; ++i) {
    std::string key = "key" + std::to_string(i);
    EXPECT_TRUE(cache.Get(key, key, lookup.Answer(std::string(30, 'v')), kNoDeadline));
  }
  EXPECT_LE(cache.size(), 3u);  // 34 bytes each
  EXPECT_GE(cache.size(), 1u);
}

TEST(LookupCache, AnswersByTheDeadlineAndKeepsTheLateAnswer) {
  LookupCache cache;
  CountingLookup slow(/*open=*/false);
  auto late = cache.Get("k", "oci/v1/manifest_digest of x", slow.Answer("v"), SoonDeadline());
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, ErrorKind::kTimeout);
  EXPECT_TRUE(late.error().message.starts_with("oci/v1/manifest_digest of x: "))
      << late.error().message;

  // A second caller while the look-up is in flight waits for it rather than starting another.
  auto second = std::async(std::launch::async, [&] {
    return cache.Get("k", "k", slow.Answer("other"), kNoDeadline);
  });
  slow.Open();
  EXPECT_EQ(second.get(), "v");
  EXPECT_EQ(cache.Get("k", "k", slow.Answer("other"), kNoDeadline), "v");
  EXPECT_EQ(*slow.calls, 1);
}

TEST(LookupCache, RefusesLookupsBeyondItsThreadCap) {
  LookupCache cache({.max_lookups_in_flight = 1});
  CountingLookup slow(/*open=*/false);
  EXPECT_FALSE(cache.Get("a", "a", slow.Answer("a"), SoonDeadline()));
  auto refused = cache.Get("b", "image b", slow.Answer("b"), kNoDeadline);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kIo);
  EXPECT_TRUE(refused.error().message.starts_with("image b: refused")) << refused.error().message;
  slow.Open();
  EXPECT_EQ(cache.Get("a", "a", slow.Answer("a"), kNoDeadline), "a");
}

TEST(LookupCache, APassedDeadlineStillGetsWhatIsCached) {
  LookupCache cache;
  CountingLookup lookup;
  EXPECT_EQ(cache.Get("k", "k", lookup.Answer("v"), kNoDeadline), "v");
  const Clock::time_point passed = Clock::now() - std::chrono::seconds(1);
  EXPECT_EQ(cache.Get("k", "k", lookup.Answer("v"), passed), "v");
  auto missed = cache.Get("other", "other", lookup.Answer("v"), passed);
  ASSERT_FALSE(missed);
  EXPECT_EQ(missed.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(*lookup.calls, 1);
}

}  // namespace
}  // namespace kw::capabilities
