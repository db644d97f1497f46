#include "server/process_limits.h"

#include <sys/resource.h>

#include <gtest/gtest.h>

namespace kw::server {
namespace {

TEST(ConnectionLimits, KeepAReserveBelowTheOpenFileLimit) {
  // The usual soft limit: an eighth is below the minimum reserve of 128.
  EXPECT_EQ(DefaultConnectionLimits(1024).api, 896u);
  EXPECT_EQ(DefaultConnectionLimits(1024).probes, 64u);
  EXPECT_EQ(DefaultConnectionLimits(20000).api, 17500u);
  // Container runtimes' usual hard limit: the reserve stops growing at 4096.
  EXPECT_EQ(DefaultConnectionLimits(1048576).api, 1048576u - 4096);
  // Small limits: half for the API, the probes still get some.
  EXPECT_EQ(DefaultConnectionLimits(256).api, 128u);
  EXPECT_EQ(DefaultConnectionLimits(256).probes, 16u);
  EXPECT_EQ(DefaultConnectionLimits(100).api, 50u);
  EXPECT_EQ(DefaultConnectionLimits(1).api, 1u);
  EXPECT_EQ(DefaultConnectionLimits(1).probes, 1u);
}

TEST(ConnectionLimits, RaisingTheOpenFileLimitReachesTheHardLimit) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  std::uint64_t now = RaiseOpenFileLimit();
  rlimit after{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, after.rlim_max);
  EXPECT_EQ(now, after.rlim_cur == RLIM_INFINITY ? UINT64_MAX : after.rlim_cur);
}

}  // namespace
}  // namespace kw::server
