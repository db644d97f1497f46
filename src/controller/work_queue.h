// The controller's work queue, with client-go's guarantees: a key waiting is queued once however
// often it is added, a key is handed to one worker at a time (added again while being worked on,
// it is queued again when the worker is done), keys can be added after a delay, and failing keys
// back off exponentially (100 ms doubling up to 60 s) until they succeed. A key waits for at most
// one delay at a time, the earliest asked for. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <deque>

namespace kw::controller {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // After a failure: AddAfter with the key's next backoff.
  void AddWithBackoff(const std::string& key);
  // After a success: the key's backoff starts again from the beginning.
  void Forget(const std::string& key);

  // The next key to work on; blocks until there is one. nullopt once shut down.
  std::optional<std::string> Get();
  // The worker is done with `key` (every Get must be followed by Done).
  void Done(const std::string& key);

  void ShutDown();
  // Keys queued or waiting for their delay (for tests and metrics).
  std::size_t Pending() const;

 private:
  void AddLocked(const std::string& key);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;      // in queue_
  std::set<std::string> processing_;  // handed out, not Done yet
  std::set<std::string> dirty_;       // added while processing: queued again at Done
  std::multimap<Clock::time_point, std::string> delayed_;
  std::map<std::string, Clock::time_point> due_;  // each key's entry in delayed_
  std::map<std::string, int> failures_;
  bool shut_down_ = false;
};

}  // namespace kw::controller
