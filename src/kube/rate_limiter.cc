#include "kube/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace kw::kube {

RateLimiter::RateLimiter(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(burst_), refilled_(Clock::now()) {}

Result<void> RateLimiter::Acquire(Clock::time_point deadline) {
  if (qps_ <= 0) return {};
  Clock::time_point due;
  {
    std::lock_guard lock(mutex_);
    const Clock::time_point now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    refilled_ = now;
    // A negative balance is the queue of callers already waiting: ours comes after theirs.
    const double wait_seconds = tokens_ >= 1 ? 0 : (1 - tokens_) / qps_;
    due = now + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(wait_seconds));
    if (due > deadline) {
      return Fail(ErrorKind::kTimeout,
                  "client-side rate limit: no request slot before the deadline");
    }
    tokens_ -= 1;
  }
  std::this_thread::sleep_until(due);
  return {};
}

}  // namespace kw::kube
