#include "capabilities/lookup_cache.h"

#include <condition_variable>
#include <list>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>

namespace kw::capabilities {

using Clock = std::chrono::steady_clock;

// One look-up: pending until `result` is set, then what every waiter gets.
struct Slot {
  std::condition_variable done;
  std::optional<Result<std::string>> result;
};

struct LookupCache::State {
  explicit State(LookupCacheOptions o) : options(std::move(o)) {
    if (!options.now) options.now = [] { return Clock::now(); };
  }

  struct Entry {
    std::shared_ptr<Slot> slot;
    Clock::time_point expires;               // meaningful once the slot has a result
    std::list<std::string>::iterator recent;  // its place in `by_use`
    std::size_t bytes = 0;
  };

  void Touch(Entry& entry) { by_use.splice(by_use.begin(), by_use, entry.recent); }

  void Erase(std::unordered_map<std::string, Entry>::iterator it) {
    bytes -= it->second.bytes;
    by_use.erase(it->second.recent);
    entries.erase(it);
  }

  // Drops the least recently used entries until the caps hold. A pending entry may go too: its
  // waiters and its thread hold the slot, and the thread then finds the key gone.
  void Evict() {
    while (!by_use.empty() &&
           (entries.size() > options.max_entries || bytes > options.max_bytes)) {
      Erase(entries.find(by_use.back()));
    }
  }

  // Called by the helper thread, with `mutex` held.
  void Complete(const std::string& key, const std::shared_ptr<Slot>& slot,
                Result<std::string> result) {
    --in_flight;
    auto it = entries.find(key);
    if (it != entries.end() && it->second.slot == slot) {
      if (result) {
        it->second.expires = options.now() + options.ttl;
        bytes += result->size();
        it->second.bytes += result->size();
      }
      slot->result = std::move(result);
      // A failure is not kept, nor a value that would not fit even alone (it would flush all).
      if (!*slot->result || it->second.bytes > options.max_bytes) {
        Erase(it);
      } else {
        Evict();
      }
    } else {
      slot->result = std::move(result);
    }
    slot->done.notify_all();
  }

  LookupCacheOptions options;
  std::mutex mutex;
  std::unordered_map<std::string, Entry> entries;
  std::list<std::string> by_use;  // keys, most recently used first
  std::size_t bytes = 0;
  std::size_t in_flight = 0;
};

LookupCache::LookupCache(LookupCacheOptions options)
    : state_(std::make_shared<State>(std::move(options))) {}

LookupCache::~LookupCache() = default;

std::size_t LookupCache::size() const {
  std::lock_guard lock(state_->mutex);
  return state_->entries.size();
}

Result<std::string> LookupCache::Get(const std::string& key, const std::string& what,
                                     Lookup lookup, Deadline deadline) {
  State& state = *state_;
  Clock::time_point limit = Clock::now() + state.options.max_wait;
  if (deadline && *deadline < limit) limit = *deadline;

  std::unique_lock lock(state.mutex);
  std::shared_ptr<Slot> slot;
  if (auto it = state.entries.find(key); it != state.entries.end()) {
    State::Entry& entry = it->second;
    if (!entry.slot->result) {
      slot = entry.slot;  // being looked up: wait for that one
    } else if (entry.expires > state.options.now()) {
      state.Touch(entry);
      return *entry.slot->result;
    } else {
      state.Erase(it);
    }
  }
  if (!slot) {
    if (limit <= Clock::now()) {
      return Fail(ErrorKind::kTimeout, what + ": the policy's deadline has passed");
    }
    if (state.in_flight >= state.options.max_lookups_in_flight) {
      return Fail(ErrorKind::kIo, what + ": refused, " +
                                      std::to_string(state.options.max_lookups_in_flight) +
                                      " look-ups are already in progress");
    }
    slot = std::make_shared<Slot>();
    state.by_use.push_front(key);
    state.entries[key] = State::Entry{slot, {}, state.by_use.begin(), key.size()};
    state.bytes += key.size();
    ++state.in_flight;
    try {
      std::thread([state = state_, key, slot, lookup = std::move(lookup)] {
        Result<std::string> result = lookup();
        std::lock_guard done(state->mutex);
        state->Complete(key, slot, std::move(result));
      }).detach();
    } catch (const std::system_error& e) {
      state.Complete(key, slot, Fail(ErrorKind::kIo, what + ": cannot start: " + e.what()));
    }
    state.Evict();
  }
  if (!slot->done.wait_until(lock, limit, [&] { return slot->result.has_value(); })) {
    return Fail(ErrorKind::kTimeout,
                what + ": no answer before the policy's deadline (or within " +
                    std::to_string(state.options.max_wait.count()) + " ms)");
  }
  return *slot->result;
}

}  // namespace kw::capabilities
