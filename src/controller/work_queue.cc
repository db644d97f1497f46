#include "controller/work_queue.h"

#include <algorithm>

namespace kw::controller {

void WorkQueue::AddLocked(const std::string& key) {
  if (shut_down_) return;
  if (processing_.contains(key)) {
    dirty_.insert(key);
    return;
  }
  if (queued_.insert(key).second) {
    queue_.push_back(key);
    changed_.notify_one();
  }
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mutex_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  if (delay <= std::chrono::milliseconds::zero()) {
    AddLocked(key);
    return;
  }
  // One pending delay per key, the earliest: a key requeued after every reconciliation (the CA's
  // 12 hours) must not pile up entries.
  const Clock::time_point due = Clock::now() + delay;
  if (auto found = due_.find(key); found != due_.end()) {
    if (found->second <= due) return;
    for (auto [it, end] = delayed_.equal_range(found->second); it != end; ++it) {
      if (it->second == key) {
        delayed_.erase(it);
        break;
      }
    }
  }
  due_[key] = due;
  delayed_.emplace(due, key);
  changed_.notify_all();
}

void WorkQueue::AddWithBackoff(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    const int failures = failures_[key]++;
    const std::chrono::milliseconds grown(100LL << std::min(failures, 20));
    delay = std::min(grown, std::chrono::milliseconds(60000));
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  failures_.erase(key);
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (shut_down_) return std::nullopt;
    const Clock::time_point now = Clock::now();
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      std::string key = delayed_.begin()->second;
      delayed_.erase(delayed_.begin());
      due_.erase(key);
      AddLocked(key);
    }
    if (!queue_.empty()) {
      std::string key = std::move(queue_.front());
      queue_.pop_front();
      queued_.erase(key);
      processing_.insert(key);
      return key;
    }
    if (delayed_.empty()) {
      changed_.wait(lock);
    } else {
      changed_.wait_until(lock, delayed_.begin()->first);
    }
  }
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mutex_);
  processing_.erase(key);
  if (dirty_.erase(key) > 0) AddLocked(key);
}

void WorkQueue::ShutDown() {
  std::lock_guard lock(mutex_);
  shut_down_ = true;
  changed_.notify_all();
}

std::size_t WorkQueue::Pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + delayed_.size();
}

}  // namespace kw::controller
