// Watches: the API server's stream of changes to a resource, as JSON events
// {"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": {...}} one after the other.
//
// WatchDecoder splits the byte stream into events whatever the chunking (the server writes one
// event per line, but chunks and TCP reads cut anywhere), bounding each event's size, so a
// server that never ends an event cannot make us buffer without limit. WatchOnce runs one watch
// request to its end.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/resources.h"

namespace kw::kube {

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  json::value object;
};

class WatchDecoder {
 public:
  explicit WatchDecoder(std::size_t max_event_bytes = std::size_t{64} << 20);
  ~WatchDecoder();

  // Decodes what `bytes` completes; each event goes to `on_event`, which returns false to stop
  // (Feed then returns true: stopped). A malformed event (not JSON, no known type, no object)
  // or one larger than the cap is kIo; the decoder is unusable afterwards.
  Result<bool> Feed(std::string_view bytes, const std::function<bool(WatchEvent&)>& on_event);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct WatchOptions {
  std::string ns;  // empty: every namespace
  Selectors selectors;
  std::string resource_version;  // start after this version (from a list or a bookmark)
  bool bookmarks = true;
  // The server ends the watch after this (client-go picks 5-10 minutes at random).
  std::chrono::seconds server_timeout{300};
  // No event, not even a bookmark, for this long: the connection is presumed dead.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(330)};
};

// Runs one watch request until the server ends it (success) or `on_event` returns false. An
// ERROR event is returned as StatusError of its Status (410 Gone: the resourceVersion is too old,
// relist). A stream cut mid-way, or one that sends garbage, is kIo.
Result<void> WatchOnce(const Client& client, const ResourceType& type, const WatchOptions& options,
                       const std::function<bool(WatchEvent&)>& on_event,
                       Client::StreamHandle* handle = nullptr);

}  // namespace kw::kube
