// A server-wide budget for the request bytes held in memory, so that many clients each sending a
// large body and stalling cannot together exhaust the process's memory.
//
// Each connection charges what it is about to buffer (its read buffer, the body being received)
// to its RequestMemoryAccount before allocating it. A charge the budget cannot take is refused
// and nothing is allocated: the connection answers that request with an error instead of reading
// it. Charges go back to the budget when the connection lets the memory go (its request
// answered, or the account destroyed with the connection).
//
// Large requests cannot starve small ones: an account may grow past `kSmallRequest` only while
// the budget stays within three quarters of its limit, so the last quarter always serves
// ordinary requests (AdmissionReviews are a few KiB) while clients stalling on large bodies hold
// the rest.
#pragma once

#include <atomic>
#include <cstddef>

namespace kw::server {

class RequestMemoryBudget {
 public:
  static constexpr std::size_t kSmallRequest = 64u << 10;

  explicit RequestMemoryBudget(std::size_t limit);
  RequestMemoryBudget(const RequestMemoryBudget&) = delete;
  RequestMemoryBudget& operator=(const RequestMemoryBudget&) = delete;

  std::size_t limit() const { return limit_; }
  // Bytes charged by all accounts. Thread-safe.
  std::size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

 private:
  friend class RequestMemoryAccount;
  // Charges `bytes` more to an account that will then hold `account_total`. Thread-safe.
  bool TryCharge(std::size_t bytes, std::size_t account_total);
  void Release(std::size_t bytes);

  const std::size_t limit_;
  const std::size_t large_limit_;  // what the budget may reach for accounts over kSmallRequest
  std::atomic<std::size_t> in_use_{0};
};

// One connection's charges. Used from one thread at a time (the connection's strand). The budget
// must outlive it.
class RequestMemoryAccount {
 public:
  explicit RequestMemoryAccount(RequestMemoryBudget& budget) : budget_(budget) {}
  ~RequestMemoryAccount() { Resize(0); }
  RequestMemoryAccount(const RequestMemoryAccount&) = delete;
  RequestMemoryAccount& operator=(const RequestMemoryAccount&) = delete;

  // Makes the account hold `bytes`. Growing may be refused (false: the account still holds what
  // it held); shrinking always succeeds.
  bool Resize(std::size_t bytes);
  std::size_t held() const { return held_; }

 private:
  RequestMemoryBudget& budget_;
  std::size_t held_ = 0;
};

}  // namespace kw::server
