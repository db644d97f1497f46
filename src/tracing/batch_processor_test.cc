#include "tracing/batch_processor.h"

#include <future>
#include <map>

#include <gtest/gtest.h>

#include "testing/environment.h"

namespace kw::tracing {
namespace {

using namespace std::chrono_literals;

SpanData Named(std::string name) {
  SpanData span;
  span.name = std::move(name);
  return span;
}

// Collects the batches exported, for the test thread to look at.
struct Batches {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<std::vector<SpanData>> batches;

  BatchSpanProcessor::Exporter Exporter() {
    return [this](std::vector<SpanData> batch) {
      std::lock_guard lock(mutex);
      batches.push_back(std::move(batch));
      arrived.notify_all();
    };
  }
  std::size_t Spans() {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const auto& b : batches) n += b.size();
    return n;
  }
  bool WaitForSpans(std::size_t n) {
    std::unique_lock lock(mutex);
    return arrived.wait_for(lock, 10s, [&] {
      std::size_t total = 0;
      for (const auto& b : batches) total += b.size();
      return total >= n;
    });
  }
};

TEST(BatchSpanProcessor, AFullBatchGoesWithoutWaitingForTheDelay) {
  Batches exported;
  BatchSpanProcessor processor({.schedule_delay = 1h, .max_queue_size = 100,
                                .max_export_batch_size = 3},
                               exported.Exporter());
  for (int i = 0; i < 3; ++i) processor.Record(Named("s" + std::to_string(i)));
  ASSERT_TRUE(exported.WaitForSpans(3));
  std::lock_guard lock(exported.mutex);
  ASSERT_EQ(exported.batches.size(), 1u);
  EXPECT_EQ(exported.batches[0][0].name, "s0");
  EXPECT_EQ(exported.batches[0][2].name, "s2");
}

TEST(BatchSpanProcessor, ExportsOnTheScheduleInBatchesOfAtMostTheMaximum) {
  Batches exported;
  BatchSpanProcessor processor({.schedule_delay = 20ms, .max_queue_size = 100,
                                .max_export_batch_size = 4},
                               exported.Exporter());
  // Shutdown takes whatever is queued: 10 spans in batches of at most 4.
  for (int i = 0; i < 10; ++i) processor.Record(Named("s"));
  ASSERT_TRUE(exported.WaitForSpans(10));
  processor.Shutdown();
  std::lock_guard lock(exported.mutex);
  for (const auto& batch : exported.batches) {
    EXPECT_GE(batch.size(), 1u);
    EXPECT_LE(batch.size(), 4u);
  }
}

TEST(BatchSpanProcessor, ShutdownFlushesAndLaterSpansAreDropped) {
  Batches exported;
  BatchSpanProcessor processor({.schedule_delay = 1h}, exported.Exporter());
  processor.Record(Named("a"));
  processor.Record(Named("b"));
  processor.Shutdown();
  EXPECT_EQ(exported.Spans(), 2u);
  processor.Record(Named("late"));
  processor.Shutdown();
  EXPECT_EQ(exported.Spans(), 2u);
  EXPECT_EQ(processor.dropped(), 1u);
}

TEST(BatchSpanProcessor, ASlowExporterMakesSpansDropNotRecordersWait) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> exports{0};
  BatchSpanProcessor processor(
      {.schedule_delay = 1h, .max_queue_size = 4, .max_export_batch_size = 2},
      [&](std::vector<SpanData>) {
        ++exports;
        released.wait();  // a collector that does not answer
      });
  // The first batch is taken and its export hangs; then the queue fills and drops.
  processor.Record(Named("a"));
  processor.Record(Named("b"));
  while (exports == 0) std::this_thread::yield();
  for (int i = 0; i < 10; ++i) processor.Record(Named("more"));
  EXPECT_EQ(processor.dropped(), 6u);  // 4 queued, 6 dropped
  release.set_value();
  processor.Shutdown();
  EXPECT_EQ(processor.dropped(), 6u);
}

TEST(BatchOptions, FromTheEnvironmentWithOpenTelemetrysDefaults) {
  const auto env = testing::FakeEnvironment;
  BatchOptions defaults = BatchOptionsFromEnvironment(env({}));
  EXPECT_EQ(defaults.schedule_delay, 5000ms);
  EXPECT_EQ(defaults.max_queue_size, 2048u);
  EXPECT_EQ(defaults.max_export_batch_size, 512u);
  BatchOptions set = BatchOptionsFromEnvironment(env({{"OTEL_BSP_SCHEDULE_DELAY", "100"},
                                                      {"OTEL_BSP_MAX_QUEUE_SIZE", "10"},
                                                      {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "50"}}));
  EXPECT_EQ(set.schedule_delay, 100ms);
  EXPECT_EQ(set.max_queue_size, 10u);
  EXPECT_EQ(set.max_export_batch_size, 10u);  // never more than the queue
  BatchOptions bad = BatchOptionsFromEnvironment(env({{"OTEL_BSP_SCHEDULE_DELAY", "-1"},
                                                      {"OTEL_BSP_MAX_QUEUE_SIZE", "0"},
                                                      {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "x"}}));
  EXPECT_EQ(bad.schedule_delay, 5000ms);
  EXPECT_EQ(bad.max_queue_size, 2048u);
  EXPECT_EQ(bad.max_export_batch_size, 512u);
}

}  // namespace
}  // namespace kw::tracing
