// The double's garbage collector: what kube-controller-manager's garbage collector does with
// metadata.ownerReferences, done at once, in the same process, under the store's lock, right
// after the change that calls for it (the real one reacts to watch events a moment later).
//
//  - When an object is removed, each of its dependents (objects whose ownerReferences name its
//    uid) is looked at: if another of its owners is still alive ("solid"), the references to
//    gone owners are removed from it; otherwise it is deleted (deletionTimestamp first when it
//    has finalizers), and so on down the chain. A reference whose owner does not exist counts as
//    gone.
//  - propagationPolicy=Orphan (or the `orphan` finalizer): the owner's dependents lose their
//    references to it, then the finalizer is removed.
//  - propagationPolicy=Foreground (or the `foregroundDeletion` finalizer): the owner's dependents
//    are deleted (in the foreground too), and the finalizer is removed once no dependent that
//    references it with blockOwnerDeletion=true is left.
//
// Owners are found by uid alone (the real collector also checks apiVersion, kind and the
// dependent's namespace). Thread-safety: every call requires the store's lock.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "kube_apiserver/api_error.h"
#include "kube_apiserver/store.h"

namespace kw::kube_double {

inline constexpr std::string_view kOrphanFinalizer = "orphan";
inline constexpr std::string_view kForegroundFinalizer = "foregroundDeletion";

// The finalizer a DELETE's options (propagationPolicy, or the deprecated orphanDependents) ask
// the collector for ("orphan", "foregroundDeletion"), or "" for background propagation. Without
// either, `orphan_by_default` decides (the real v1 replicationcontrollers orphan by default).
// Invalid options are the real 422s.
ApiResult<std::string> PropagationFinalizer(const json::object& delete_options,
                                            bool orphan_by_default);

// `object` (without apiVersion/kind) as a deletion leaves it: deletionTimestamp `now` and
// deletionGracePeriodSeconds 0 (when not deleting already; metadata.generation + 1 where kept)
// and `finalizer` added to metadata.finalizers (when not "" and not there).
json::object StartDeletion(json::object object, std::string_view finalizer, const std::string& now);

class GarbageCollector {
 public:
  // How the API writes: `put` stores a changed object (as Store::Put, after the API's own
  // normalization); `remove` removes one (with `final_state` as its last state, when given)
  // with everything the API does then (a namespace's contents, a CRD's custom resources) and
  // calls AfterRemoval.
  struct Writes {
    std::function<void(const std::string& storage_key, const std::string& key, json::object)> put;
    std::function<void(const std::string& storage_key, const std::string& key,
                       std::optional<json::object> final_state)>
        remove;
    std::function<std::string()> now;
  };
  GarbageCollector(Store& store, Writes writes) : store_(store), writes_(std::move(writes)) {}

  // `removed` is gone: its dependents are collected, and owners waiting for it in the
  // foreground are looked at again.
  void AfterRemoval(const StoredObject& removed);
  // The same for objects removed together (a namespace's or a CRD's contents).
  void AfterRemovals(const std::vector<const StoredObject*>& removed);
  // The object at (storage_key, key) is being deleted: does the orphan or foreground work its
  // finalizers ask for, removing the finalizer (and the object, when it was the last) when done.
  void ProcessDeleting(const std::string& storage_key, const std::string& key);

 private:
  struct Located {
    std::string storage_key;
    ObjectPtr object;
  };
  std::optional<Located> FindByUid(const std::string& uid) const;
  std::vector<Located> DependentsOf(const std::string& uid) const;
  // The collector's verdict on one dependent of a gone or foreground-deleting owner.
  void AttemptToDelete(const Located& dependent);

  Store& store_;
  Writes writes_;
};

}  // namespace kw::kube_double
