// Reflectors: a resource kept in memory from one list and then a watch, so that policies read the
// cluster at memory speed instead of asking the API server on every admission request.
//
// A Reflector watches one (resource, label selector, field selector, field masks) cluster-wide
// and indexes the objects by namespace, so every namespace's list is served from one watch.
// Each object is stored once, as compact JSON text with `metadata.managedFields` dropped and the
// field masks applied (a parsed JSON tree costs ~10x its text; upstream's policy-server was
// killed holding 10k role bindings that way), with apiVersion and kind set as in watch events.
//
// The watch resumes from the last resourceVersion seen (bookmarks keep it fresh), relists on
// 410 Gone, and reconnects with exponential backoff (up to 30 s) when the stream breaks or the
// server answers garbage; the store keeps serving the last good state meanwhile.
//
// ReflectorCache shares reflectors between every policy and worker asking for the same thing,
// starting each on its first use. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/error.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/field_mask.h"
#include "kube/resources.h"

namespace kw::kube {

struct ReflectorOptions {
  // Lists and watches only this namespace (a controller with namespaced permissions); empty:
  // the whole cluster.
  std::string ns;
  // Called after every change the store takes (an object added, modified or deleted; after a
  // relist, each object that differs from before), outside the store lock, from the
  // reflector's thread: what a controller turns into work-queue keys.
  std::function<void(std::string_view ns, std::string_view name)> on_change;
  std::size_t page_size = 500;
  std::chrono::milliseconds max_backoff{30000};
  std::chrono::milliseconds initial_backoff{200};
};

class Reflector {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts listing and watching in a thread of its own.
  Reflector(std::shared_ptr<const Client> client, ResourceType type, Selectors selectors,
            std::vector<std::string> field_masks, ReflectorOptions options = {});
  ~Reflector();  // stops the watch and joins
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Waits until the first list is stored. Fails with that list's error when it failed before
  // being stored once (later failures only delay updates), or kTimeout at the deadline.
  Result<void> WaitSynced(Clock::time_point deadline) const;

  // Calls `visit` with each stored object of namespace `ns` (every object when `ns` is empty),
  // as JSON text, in namespace then name order, under the store's read lock: keep it quick.
  void Visit(std::string_view ns,
             const std::function<void(std::string_view ns, std::string_view name,
                                      std::string_view json)>& visit) const;

  // An object's stored JSON text. Immutable and shared: an update stores a new one, so the same
  // pointer means the same version (what lets the controller keep what it derives from a large
  // object without copying or comparing its text).
  using Text = std::shared_ptr<const std::string>;

  // The stored JSON of one object, or nullptr.
  Text Find(std::string_view ns, std::string_view name) const;

  // When the store last changed (an object added, modified or deleted, or a relist).
  Clock::time_point last_change() const;
  std::size_t size() const;
  const ResourceType& type() const { return type_; }

 private:
  using Namespace = std::map<std::string, Text, std::less<>>;  // name -> JSON
  using Store = std::map<std::string, Namespace, std::less<>>;        // namespace -> objects

  void Run();
  Result<std::string> Relist();
  Result<void> Watch(std::string& resource_version);
  // The object as stored (see the top of this file), with its namespace and name.
  struct Stored {
    std::string ns, name, json;
  };
  Stored Compact(json::value& object) const;
  void MarkChanged();
  void NotifyDifferences(const Store& previous) const;
  bool SleepUnlessStopped(std::chrono::milliseconds delay);

  const std::shared_ptr<const Client> client_;
  const ResourceType type_;
  const Selectors selectors_;
  const FieldMask mask_;
  const ReflectorOptions options_;

  mutable std::shared_mutex store_mutex_;
  Store store_;
  std::size_t size_ = 0;
  Clock::time_point last_change_;

  mutable std::mutex state_mutex_;
  mutable std::condition_variable state_changed_;
  bool synced_ = false;
  std::optional<Error> first_failure_;
  bool stopping_ = false;
  Client::StreamHandle stream_;
  std::thread thread_;
};

// What distinguishes one reflector from another.
struct ReflectorKey {
  std::string api_version;
  std::string kind;
  Selectors selectors;
  std::vector<std::string> field_masks;  // sorted, deduplicated
  std::string ns;  // one namespace; empty: the whole cluster

  bool operator<(const ReflectorKey& other) const;
};

class ReflectorCache {
 public:
  ReflectorCache(std::shared_ptr<const Client> client, std::shared_ptr<Discovery> discovery,
                 std::size_t max_reflectors = 256, ReflectorOptions options = {});

  // The reflector for `key`, started on first use and shared afterwards; synced by `deadline`
  // (see Reflector::WaitSynced). Discovery errors as Discovery::Find. More distinct keys than
  // `max_reflectors` (guests choose selectors) is kInvalidArgument rather than unbounded watches.
  Result<std::shared_ptr<const Reflector>> Get(ReflectorKey key,
                                               std::chrono::steady_clock::time_point deadline);

  Discovery& discovery() { return *discovery_; }

 private:
  const std::shared_ptr<const Client> client_;
  const std::shared_ptr<Discovery> discovery_;
  const std::size_t max_reflectors_;
  const ReflectorOptions options_;
  std::mutex mutex_;
  std::map<ReflectorKey, std::shared_ptr<const Reflector>> reflectors_;
};

}  // namespace kw::kube
