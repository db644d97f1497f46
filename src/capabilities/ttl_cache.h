// A small cache of answers that expire a fixed time after they were stored (upstream caches host
// capability answers for 5 s or 60 s), bounded in entries: guests choose the keys, so the cache
// must not grow with them. With one TTL for every entry, entries expire in the order they were
// stored, which makes the oldest entry both the first to expire and the one to evict when full.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace kw::capabilities {

template <typename Value>
class TtlCache {
 public:
  using Clock = std::chrono::steady_clock;

  TtlCache(std::chrono::milliseconds ttl, std::size_t max_entries)
      : ttl_(ttl), max_entries_(max_entries) {}

  std::optional<Value> Get(const std::string& key) {
    std::lock_guard lock(mutex_);
    DropExpired(Clock::now());
    auto found = entries_.find(key);
    if (found == entries_.end()) return std::nullopt;
    return found->second.value;
  }

  void Put(const std::string& key, Value value) {
    if (max_entries_ == 0) return;
    std::lock_guard lock(mutex_);
    const Clock::time_point now = Clock::now();
    DropExpired(now);
    if (auto found = entries_.find(key); found != entries_.end()) {
      order_.erase(found->second.position);
      entries_.erase(found);
    }
    while (entries_.size() >= max_entries_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(key);
    entries_.emplace(key, Entry{std::move(value), now + ttl_, std::prev(order_.end())});
  }

  std::size_t size() {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  struct Entry {
    Value value;
    Clock::time_point expires;
    std::list<std::string>::iterator position;
  };

  void DropExpired(Clock::time_point now) {
    while (!order_.empty()) {
      auto oldest = entries_.find(order_.front());
      if (oldest->second.expires > now) return;
      entries_.erase(oldest);
      order_.pop_front();
    }
  }

  const std::chrono::milliseconds ttl_;
  const std::size_t max_entries_;
  std::mutex mutex_;
  std::list<std::string> order_;  // keys, oldest first
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace kw::capabilities
