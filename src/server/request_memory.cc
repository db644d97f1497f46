#include "server/request_memory.h"

namespace kw::server {

RequestMemoryBudget::RequestMemoryBudget(std::size_t limit)
    : limit_(limit), large_limit_(limit / 4 * 3) {}

bool RequestMemoryBudget::TryCharge(std::size_t bytes, std::size_t account_total) {
  const std::size_t ceiling = account_total > kSmallRequest ? large_limit_ : limit_;
  std::size_t used = in_use_.load(std::memory_order_relaxed);
  do {
    if (used > ceiling || bytes > ceiling - used) return false;
  } while (!in_use_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return true;
}

void RequestMemoryBudget::Release(std::size_t bytes) {
  in_use_.fetch_sub(bytes, std::memory_order_relaxed);
}

bool RequestMemoryAccount::Resize(std::size_t bytes) {
  if (bytes > held_) {
    if (!budget_.TryCharge(bytes - held_, bytes)) return false;
  } else if (bytes < held_) {
    budget_.Release(held_ - bytes);
  }
  held_ = bytes;
  return true;
}

}  // namespace kw::server
