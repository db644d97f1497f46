// A cache of slow look-ups (registry and API-server requests) for host capabilities, answered
// within the caller's deadline.
//
// A look-up runs on a helper thread of its own while the caller waits at most until its deadline
// (or `max_wait` without one): the watchdog cannot interrupt a guest waiting in the host, so a
// slow registry must not hold the worker. A look-up that outlives its caller still completes and
// fills the cache, so the policy's next call finds the answer. Callers that ask for a key while
// it is being looked up wait for that same look-up instead of starting another.
//
// Successes are kept for `ttl`; failures are never kept (the next call tries again). Memory is
// bounded: at most `max_entries` entries and `max_bytes` of keys and values, the least recently
// used going first, and at most `max_lookups_in_flight` helper threads at once (beyond that a
// miss fails at once), so a policy asking for 100,000 distinct images cannot grow either.
// Thread-safe; helper threads may outlive the cache.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"

namespace kw::capabilities {

struct LookupCacheOptions {
  std::chrono::milliseconds ttl{std::chrono::seconds(60)};
  std::size_t max_entries = 1024;
  std::size_t max_bytes = 64u << 20;
  std::size_t max_lookups_in_flight = 16;
  std::chrono::milliseconds max_wait{std::chrono::seconds(30)};
  // The clock entries expire by (tests substitute one they move); empty: steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
};

class LookupCache {
 public:
  using Lookup = std::function<Result<std::string>()>;
  using Deadline = std::optional<std::chrono::steady_clock::time_point>;

  explicit LookupCache(LookupCacheOptions options = {});
  ~LookupCache();
  LookupCache(const LookupCache&) = delete;
  LookupCache& operator=(const LookupCache&) = delete;

  // The value cached for `key`, else what `lookup` returns (run on a helper thread, and cached
  // when it succeeds). kTimeout naming `what` when the answer does not come by `deadline`; kIo
  // when too many look-ups are in flight.
  Result<std::string> Get(const std::string& key, const std::string& what, Lookup lookup,
                          Deadline deadline);

  // How many entries (cached or in flight) the cache holds.
  std::size_t size() const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the helper threads
};

}  // namespace kw::capabilities
