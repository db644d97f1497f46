// A token bucket: `burst` requests at once, then `qps` per second on average, as client-go's
// flowcontrol limiter. Callers wait for their token instead of being refused, up to a deadline.
#pragma once

#include <chrono>
#include <mutex>

#include "base/error.h"

namespace kw::kube {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // qps <= 0: no limit.
  RateLimiter(double qps, int burst);

  // Takes a token, sleeping until one is due. kTimeout, without taking one, when it would be
  // due only after `deadline`. Thread-safe; waiters are served in the order they reserved.
  Result<void> Acquire(Clock::time_point deadline);

 private:
  const double qps_;
  const double burst_;
  std::mutex mutex_;
  double tokens_;  // may go negative: tokens reserved by sleeping callers
  Clock::time_point refilled_;
};

}  // namespace kw::kube
