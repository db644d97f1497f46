#include "server/request_memory.h"

#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace kw::server {
namespace {

constexpr std::size_t kMiB = 1u << 20;

TEST(RequestMemory, ChargesUpToTheLimitAndReleasesOnShrinkAndDestruction) {
  RequestMemoryBudget budget(4 * kMiB);
  {
    RequestMemoryAccount a(budget);
    RequestMemoryAccount b(budget);
    EXPECT_TRUE(a.Resize(40u << 10));
    EXPECT_TRUE(b.Resize(60u << 10));
    EXPECT_EQ(budget.in_use(), 100u << 10);
    EXPECT_TRUE(a.Resize(10u << 10));  // shrinking gives back the difference
    EXPECT_EQ(a.held(), 10u << 10);
    EXPECT_EQ(budget.in_use(), 70u << 10);
  }
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(RequestMemory, LargeRequestsLeaveTheLastQuarterToSmallOnes) {
  RequestMemoryBudget budget(4 * kMiB);
  RequestMemoryAccount large(budget);
  EXPECT_TRUE(large.Resize(2 * kMiB));
  RequestMemoryAccount second(budget);
  EXPECT_TRUE(second.Resize(kMiB));  // 3 MiB in use: three quarters
  EXPECT_FALSE(second.Resize(kMiB + 1));
  EXPECT_EQ(second.held(), kMiB) << "a refused charge leaves the account as it was";
  EXPECT_EQ(budget.in_use(), 3 * kMiB);
  // Small requests still fit in the last quarter, up to the limit itself.
  std::vector<std::optional<RequestMemoryAccount>> small(16);
  for (auto& account : small) {
    account.emplace(budget);
    EXPECT_TRUE(account->Resize(RequestMemoryBudget::kSmallRequest));
  }
  EXPECT_EQ(budget.in_use(), 4 * kMiB);
  RequestMemoryAccount one_more(budget);
  EXPECT_FALSE(one_more.Resize(1));
  small.clear();
  EXPECT_TRUE(one_more.Resize(1));
}

TEST(RequestMemory, ConcurrentChargesNeverExceedTheLimit) {
  RequestMemoryBudget budget(kMiB);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      RequestMemoryAccount account(budget);
      for (int i = 0; i < 20000; ++i) {
        if (account.Resize(account.held() + 4096)) {
          EXPECT_LE(budget.in_use(), budget.limit());
        } else {
          account.Resize(0);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(budget.in_use(), 0u);
}

}  // namespace
}  // namespace kw::server
