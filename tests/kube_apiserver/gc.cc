#include "kube_apiserver/gc.h"

#include <algorithm>
#include <set>

namespace kw::kube_double {
namespace {

const json::object& MetadataOrEmpty(const json::object& object) {
  static const json::object kEmpty;
  const json::value* m = object.if_contains("metadata");
  return m && m->is_object() ? m->get_object() : kEmpty;
}

std::string Uid(const json::object& object) {
  const json::value* uid = MetadataOrEmpty(object).if_contains("uid");
  return uid && uid->is_string() ? std::string(uid->get_string()) : std::string();
}

const json::array* ArrayAt(const json::object& metadata, std::string_view key) {
  const json::value* v = metadata.if_contains(key);
  return v ? v->if_array() : nullptr;
}

bool HasFinalizer(const json::object& object, std::string_view finalizer) {
  const json::array* finalizers = ArrayAt(MetadataOrEmpty(object), "finalizers");
  return finalizers && std::any_of(finalizers->begin(), finalizers->end(), [&](const auto& f) {
           return f.is_string() && f.get_string() == finalizer;
         });
}

bool Deleting(const json::object& object) {
  return MetadataOrEmpty(object).contains("deletionTimestamp");
}

// An owner the collector waits on: being deleted in the foreground.
bool WaitingForDependents(const json::object& object) {
  return Deleting(object) && HasFinalizer(object, kForegroundFinalizer);
}

std::string RefUid(const json::value& ref) {
  const json::value* uid = ref.is_object() ? ref.get_object().if_contains("uid") : nullptr;
  return uid && uid->is_string() ? std::string(uid->get_string()) : std::string();
}

bool BlocksOwnerDeletion(const json::value& ref) {
  const json::value* block =
      ref.is_object() ? ref.get_object().if_contains("blockOwnerDeletion") : nullptr;
  return block && block->is_bool() && block->get_bool();
}

// `object` without the owner references whose uid `drop` selects (and without the field when
// none is left).
template <typename Drop>
json::object WithoutOwnerReferences(json::object object, Drop drop) {
  json::object& metadata = object["metadata"].get_object();
  json::array kept;
  for (const auto& ref : metadata["ownerReferences"].get_array()) {
    if (!drop(RefUid(ref))) kept.push_back(ref);
  }
  if (kept.empty()) {
    metadata.erase("ownerReferences");
  } else {
    metadata["ownerReferences"] = std::move(kept);
  }
  return object;
}

json::object WithoutFinalizer(json::object object, std::string_view finalizer) {
  json::object& metadata = object["metadata"].get_object();
  json::array kept;
  for (const auto& f : metadata["finalizers"].get_array()) {
    if (!(f.is_string() && f.get_string() == finalizer)) kept.push_back(f);
  }
  if (kept.empty()) {
    metadata.erase("finalizers");
  } else {
    metadata["finalizers"] = std::move(kept);
  }
  return object;
}

}  // namespace

ApiResult<std::string> PropagationFinalizer(const json::object& options, bool orphan_by_default) {
  const json::value* policy = options.if_contains("propagationPolicy");
  const json::value* orphan = options.if_contains("orphanDependents");
  if (policy && policy->is_null()) policy = nullptr;
  if (orphan && orphan->is_null()) orphan = nullptr;
  if (policy && orphan) {
    return Reject(Invalid(
        "meta.k8s.io", "DeleteOptions", "", "propagationPolicy", "FieldValueInvalid",
        "Invalid value: \"" + (policy->is_string() ? std::string(policy->get_string()) : "") +
            "\": orphanDependents and deletionPropagation cannot be both set"));
  }
  if (orphan) return std::string(orphan->is_bool() && orphan->get_bool() ? kOrphanFinalizer : "");
  if (!policy) return std::string(orphan_by_default ? kOrphanFinalizer : "");
  std::string value = policy->is_string() ? std::string(policy->get_string()) : ToJson(*policy);
  if (value == "Orphan") return std::string(kOrphanFinalizer);
  if (value == "Foreground") return std::string(kForegroundFinalizer);
  if (value == "Background") return std::string();
  return Reject(Invalid("meta.k8s.io", "DeleteOptions", "", "propagationPolicy",
                        "FieldValueNotSupported",
                        "Unsupported value: \"" + value +
                            "\": supported values: \"Foreground\", \"Background\", \"Orphan\", "
                            "\"nil\""));
}

json::object StartDeletion(json::object object, std::string_view finalizer,
                           const std::string& now) {
  json::value& m = object["metadata"];
  if (!m.is_object()) m = json::object();
  json::object& metadata = m.get_object();
  if (!metadata.contains("deletionTimestamp")) {
    metadata["deletionTimestamp"] = now;
    metadata["deletionGracePeriodSeconds"] = 0;
    if (const json::value* g = metadata.if_contains("generation"); g && g->is_int64()) {
      metadata["generation"] = g->get_int64() + 1;
    }
  }
  if (!finalizer.empty() && !HasFinalizer(object, finalizer)) {
    json::value& finalizers = object["metadata"].get_object()["finalizers"];
    if (!finalizers.is_array()) finalizers = json::array();
    finalizers.get_array().emplace_back(finalizer);
  }
  return object;
}

std::optional<GarbageCollector::Located> GarbageCollector::FindByUid(const std::string& uid) const {
  if (uid.empty()) return std::nullopt;
  for (const std::string& storage_key : store_.StorageKeys()) {
    for (const auto& [key, object] : *store_.Collection(storage_key)) {
      if (Uid(object->object) == uid) return Located{storage_key, object};
    }
  }
  return std::nullopt;
}

std::vector<GarbageCollector::Located> GarbageCollector::DependentsOf(
    const std::string& uid) const {
  std::vector<Located> out;
  if (uid.empty()) return out;
  for (const std::string& storage_key : store_.StorageKeys()) {
    for (const auto& [key, object] : *store_.Collection(storage_key)) {
      const json::array* refs = ArrayAt(MetadataOrEmpty(object->object), "ownerReferences");
      if (refs && std::any_of(refs->begin(), refs->end(),
                              [&](const json::value& ref) { return RefUid(ref) == uid; })) {
        out.push_back({storage_key, object});
      }
    }
  }
  return out;
}

void GarbageCollector::AfterRemoval(const StoredObject& removed) { AfterRemovals({&removed}); }

void GarbageCollector::AfterRemovals(const std::vector<const StoredObject*>& removed) {
  // One pass over the store for all of them (a namespace's contents go at once).
  std::set<std::string> gone, their_owners;
  for (const StoredObject* object : removed) {
    gone.insert(Uid(object->object));
    if (const json::array* refs = ArrayAt(MetadataOrEmpty(object->object), "ownerReferences")) {
      for (const json::value& ref : *refs) their_owners.insert(RefUid(ref));
    }
  }
  gone.erase("");
  their_owners.erase("");
  std::vector<Located> dependents, waiting_owners;
  for (const std::string& storage_key : store_.StorageKeys()) {
    for (const auto& [key, object] : *store_.Collection(storage_key)) {
      if (!their_owners.empty() && WaitingForDependents(object->object) &&
          their_owners.contains(Uid(object->object))) {
        waiting_owners.push_back({storage_key, object});
      }
      const json::array* refs = ArrayAt(MetadataOrEmpty(object->object), "ownerReferences");
      if (refs && std::any_of(refs->begin(), refs->end(),
                              [&](const json::value& ref) { return gone.contains(RefUid(ref)); })) {
        dependents.push_back({storage_key, object});
      }
    }
  }
  // Each step may change or remove what a later one looks at: each looks at the current state.
  for (const Located& dependent : dependents) {
    if (ObjectPtr current = store_.Find(dependent.storage_key, dependent.object->key)) {
      AttemptToDelete({dependent.storage_key, current});
    }
  }
  for (const Located& owner : waiting_owners) ProcessDeleting(owner.storage_key, owner.object->key);
}

void GarbageCollector::AttemptToDelete(const Located& dependent) {
  const json::object& object = dependent.object->object;
  const json::array* refs = ArrayAt(MetadataOrEmpty(object), "ownerReferences");
  if (!refs) return;
  std::vector<std::string> gone;  // dangling, or waiting for their dependents
  bool solid = false, waiting = false;
  for (const json::value& ref : *refs) {
    std::string uid = RefUid(ref);
    auto owner = FindByUid(uid);
    if (!owner) {
      gone.push_back(uid);
    } else if (WaitingForDependents(owner->object->object)) {
      gone.push_back(uid);
      waiting = true;
    } else {
      solid = true;
    }
  }
  if (gone.empty()) return;
  const std::string& key = dependent.object->key;
  if (solid) {
    writes_.put(dependent.storage_key, key,
                WithoutOwnerReferences(object, [&](const std::string& uid) {
                  return std::find(gone.begin(), gone.end(), uid) != gone.end();
                }));
    return;
  }
  if (Deleting(object)) return;  // its deletion is under way already
  // Dependents of owners deleted in the foreground go in the foreground too.
  std::string_view finalizer = waiting ? kForegroundFinalizer : std::string_view();
  const json::array* finalizers = ArrayAt(MetadataOrEmpty(object), "finalizers");
  if (finalizer.empty() && (!finalizers || finalizers->empty())) {
    writes_.remove(dependent.storage_key, key, std::nullopt);
    return;
  }
  writes_.put(dependent.storage_key, key, StartDeletion(object, finalizer, writes_.now()));
  ProcessDeleting(dependent.storage_key, key);
}

void GarbageCollector::ProcessDeleting(const std::string& storage_key, const std::string& key) {
  ObjectPtr live = store_.Find(storage_key, key);
  if (!live || !Deleting(live->object)) return;
  std::string uid = Uid(live->object);
  json::object object = live->object;
  if (HasFinalizer(object, kOrphanFinalizer)) {
    for (const Located& dependent : DependentsOf(uid)) {
      writes_.put(dependent.storage_key, dependent.object->key,
                  WithoutOwnerReferences(dependent.object->object,
                                         [&](const std::string& ref) { return ref == uid; }));
    }
    object = WithoutFinalizer(std::move(object), kOrphanFinalizer);
  }
  if (HasFinalizer(object, kForegroundFinalizer)) {
    for (const Located& dependent : DependentsOf(uid)) {
      if (ObjectPtr current = store_.Find(dependent.storage_key, dependent.object->key)) {
        AttemptToDelete({dependent.storage_key, current});
      }
    }
    // The steps above may have finished this object's deletion already (a dependent's removal
    // looks at its waiting owners again).
    ObjectPtr now = store_.Find(storage_key, key);
    if (!now || now->object != live->object) return;
    bool blocked = false;
    for (const Located& dependent : DependentsOf(uid)) {
      for (const json::value& ref :
           *ArrayAt(MetadataOrEmpty(dependent.object->object), "ownerReferences")) {
        if (RefUid(ref) == uid && BlocksOwnerDeletion(ref)) blocked = true;
      }
    }
    if (!blocked) object = WithoutFinalizer(std::move(object), kForegroundFinalizer);
  }
  if (object == live->object) return;
  const json::array* finalizers = ArrayAt(MetadataOrEmpty(object), "finalizers");
  if (!finalizers || finalizers->empty()) {
    writes_.remove(storage_key, key, std::move(object));
  } else {
    writes_.put(storage_key, key, std::move(object));
  }
}

}  // namespace kw::kube_double
