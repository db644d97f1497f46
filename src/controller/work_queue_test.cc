#include "controller/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace kw::controller {
namespace {

TEST(WorkQueue, QueuesAKeyOnceHoweverOftenItIsAdded) {
  WorkQueue queue;
  queue.Add("a");
  queue.Add("b");
  queue.Add("a");
  EXPECT_EQ(queue.Pending(), 2u);
  EXPECT_EQ(queue.Get(), "a");
  EXPECT_EQ(queue.Get(), "b");
  queue.Done("a");
  queue.Done("b");
  EXPECT_EQ(queue.Pending(), 0u);
}

TEST(WorkQueue, AKeyAddedWhileBeingWorkedOnComesBackWhenDone) {
  WorkQueue queue;
  queue.Add("a");
  ASSERT_EQ(queue.Get(), "a");
  queue.Add("a");
  EXPECT_EQ(queue.Pending(), 0u);  // not handed to a second worker meanwhile
  queue.Done("a");
  EXPECT_EQ(queue.Pending(), 1u);
  EXPECT_EQ(queue.Get(), "a");
  queue.Done("a");
}

TEST(WorkQueue, DelayedKeysArriveAfterTheirDelay) {
  WorkQueue queue;
  queue.AddAfter("later", std::chrono::milliseconds(50));
  queue.Add("now");
  EXPECT_EQ(queue.Get(), "now");
  EXPECT_EQ(queue.Get(), "later");  // blocks until due
}

TEST(WorkQueue, AKeyWaitsForOneDelayOnlyTheEarliest) {
  WorkQueue queue;
  queue.AddAfter("k", std::chrono::hours(12));
  queue.AddAfter("k", std::chrono::hours(12));
  queue.AddAfter("k", std::chrono::milliseconds(20));
  queue.AddAfter("k", std::chrono::hours(1));
  EXPECT_EQ(queue.Pending(), 1u);
  EXPECT_EQ(queue.Get(), "k");  // after 20 ms, not 12 hours
  queue.Done("k");
  EXPECT_EQ(queue.Pending(), 0u);
}

TEST(WorkQueue, ShutDownWakesWaitingWorkers) {
  WorkQueue queue;
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = queue.Get(); });
  queue.ShutDown();
  worker.join();
  EXPECT_EQ(got, std::nullopt);
}

TEST(WorkQueue, BackoffGrowsAndForgetResetsIt) {
  WorkQueue queue;
  queue.AddWithBackoff("k");  // 100 ms
  EXPECT_EQ(queue.Get(), "k");
  queue.Done("k");
  queue.AddWithBackoff("k");  // 200 ms: the second failure in a row
  EXPECT_EQ(queue.Pending(), 1u);
  EXPECT_EQ(queue.Get(), "k");
  queue.Done("k");
  queue.Forget("k");
  queue.AddWithBackoff("k");  // 100 ms again
  EXPECT_EQ(queue.Get(), "k");
  queue.Done("k");
}

}  // namespace
}  // namespace kw::controller
