// The test knobs of the double (/double/...): injected faults and request counters.
//
// A fault rule matches requests by path prefix and, optionally, Kubernetes verb ("list",
// "watch", "get", "create", ...) and applies to the next `count` of them (default 1). What it
// does, in this order: wait `delayMs`; then, if `garbage`, write bytes that are not HTTP and
// close the connection; else, if `status`, answer it with `body` (as given) or a Status built
// from `reason` and `message`; else, for a watch, cut the stream (no final chunk) after
// `cutAfterEvents` events; else serve the request normally (a pure delay).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace kw::kube_double {

struct Fault {
  std::string path_prefix;
  std::string verb;  // "" = any
  int remaining = 1;
  std::chrono::milliseconds delay{0};
  bool garbage = false;
  int status = 0;  // 0 = none
  std::optional<std::string> body;
  std::string reason, message;
  int cut_after_events = -1;  // -1 = none
};

class Faults {
 public:
  // `rules`: one rule object or a list of them. kInvalidArgument names what is wrong.
  Result<void> Add(const json::value& rules);
  void Clear();
  // The fault the next request (verb, path) gets, counting it; nullopt when none.
  std::optional<Fault> Take(std::string_view verb, std::string_view path);

 private:
  std::mutex mutex_;
  std::vector<Fault> rules_;
};

class RequestCounter {
 public:
  void Count(const std::string& verb, const std::string& path);
  // {"requests":[{"verb":..,"path":..,"count":N},...]}, sorted by path then verb.
  json::object ToJson() const;
  std::uint64_t Get(const std::string& verb, const std::string& path) const;
  void Reset();

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> counts_;  // (path, verb)
};

}  // namespace kw::kube_double
