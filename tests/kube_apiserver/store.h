// The double's storage: every object of every type, one global resourceVersion counter, the
// event history watches resume from, the watches themselves, and list snapshots for paging.
//
// Everything is guarded by one mutex (mutex()); every method below but the Watcher's requires
// the caller to hold it. A write is therefore atomic with the events it sends, and a watch
// registration atomic with the initial state it replays: a watcher sees every change exactly
// once, in resourceVersion order.
//
// Objects are immutable once stored (StoredObject, shared by the collection, the history, list
// snapshots and responses in flight). Each keeps its JSON text without `apiVersion` and `kind`
// (`body`), serialized once when stored: lists and watch events are built by concatenation,
// with the `kind`/`apiVersion` of the version the client asked for.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "kube_apiserver/api_error.h"
#include "kube_apiserver/selectors.h"

namespace kw::kube_double {

struct StoredObject {
  json::object object;  // without apiVersion and kind
  std::string body;     // `object` serialized
  std::string key;      // "<namespace>/<name>" or "<name>"
  std::uint64_t rv = 0;
};
using ObjectPtr = std::shared_ptr<const StoredObject>;

// A random UUID (version 4), as the real server makes uids.
std::string NewUid();

// `object` rendered as `{"kind":..,"apiVersion":..,<body fields>}`.
std::string RenderObject(const StoredObject& object, std::string_view kind,
                         std::string_view api_version);
// `{"type":"<type>","object":<object>}` and a newline.
std::string RenderEvent(std::string_view type, std::string_view object_json);

// One open watch: what it selects, and the event lines waiting to be written.
class Watcher {
 public:
  struct Filter {
    std::string storage_key;
    std::string ns;  // "" = all namespaces
    LabelSelector labels;
    FieldSelector fields;
    std::string kind, api_version;  // how objects are rendered
  };

  explicit Watcher(Filter filter) : filter_(std::move(filter)) {}
  const Filter& filter() const { return filter_; }

  // More lines than this waiting means the client does not read: the watch is closed (as the
  // real server closes unresponsive watchers), rather than holding every event for it.
  static constexpr std::size_t kMaxPendingLines = 100'000;

  // Called (under the store's lock) whenever lines are added; must not block.
  void SetWakeup(std::function<void()> wakeup);
  void Push(std::string line);
  // The lines so far (thread-safe).
  std::deque<std::string> Take();
  // Made by the store when the watch can go no further (the type was removed).
  void Close();
  bool closed() const;

 private:
  Filter filter_;
  mutable std::mutex mutex_;
  std::deque<std::string> lines_;
  bool closed_ = false;
  std::function<void()> wakeup_;
};

class Store {
 public:
  explicit Store(std::size_t history_limit);

  std::mutex& mutex() { return mutex_; }

  std::uint64_t current_rv() const { return rv_; }
  ObjectPtr Find(const std::string& storage_key, const std::string& key) const;
  // The objects of a type in key order (nullptr when there are none).
  const std::map<std::string, ObjectPtr>* Collection(const std::string& storage_key) const;
  // The storage keys of the types that have (or had) objects.
  std::vector<std::string> StorageKeys() const;

  // Stores `object` (without apiVersion/kind) under a new resourceVersion, written into its
  // metadata, and sends ADDED or MODIFIED.
  ObjectPtr Put(const std::string& storage_key, const std::string& key, json::object object);
  // Removes the object, sending DELETED with its last state (`final_state` when given: the
  // update that removed the last finalizer) under a new resourceVersion.
  ObjectPtr Remove(const std::string& storage_key, const std::string& key,
                   std::optional<json::object> final_state = std::nullopt);

  // Registers a watch from `since` (nullopt: replay the current state as ADDED first). Rejects a
  // `since` older than the history kept: the caller answers with the 410 ERROR event.
  ApiResult<std::shared_ptr<Watcher>> Watch(Watcher::Filter filter,
                                            std::optional<std::uint64_t> since,
                                            bool initial_events_end_bookmark);
  void Unwatch(const std::shared_ptr<Watcher>& watcher);
  // Closes the watches of a type (its CRD is gone).
  void CloseWatches(const std::string& storage_key);
  // Forgets the history: every resourceVersion handed out so far becomes too old to watch from.
  void Compact();
  std::uint64_t compacted_rv() const { return compacted_rv_; }

  // The objects of a type at `rv` (the current one), for the pages of one list. Snapshots are
  // kept for the last kSnapshots lists that had more pages; nullptr when gone.
  std::shared_ptr<const std::vector<ObjectPtr>> TakeSnapshot(const std::string& storage_key);
  std::shared_ptr<const std::vector<ObjectPtr>> FindSnapshot(const std::string& storage_key,
                                                             std::uint64_t rv) const;

 private:
  struct Event {
    const char* type;
    std::string storage_key;
    ObjectPtr object;
    ObjectPtr previous;
  };
  void Emit(Event event);
  void Deliver(Watcher& watcher, const Event& event) const;

  static constexpr std::size_t kSnapshots = 64;

  std::mutex mutex_;
  std::uint64_t rv_ = 0;
  std::uint64_t compacted_rv_ = 0;
  std::size_t history_limit_;
  std::map<std::string, std::map<std::string, ObjectPtr>> collections_;
  std::deque<Event> history_;
  std::multimap<std::string, std::shared_ptr<Watcher>> watchers_;
  std::list<std::pair<std::pair<std::string, std::uint64_t>,
                      std::shared_ptr<const std::vector<ObjectPtr>>>>
      snapshots_;
};

}  // namespace kw::kube_double
