#include "kube_apiserver/store.h"

#include <openssl/rand.h>

#include <cstdio>

namespace kw::kube_double {

std::string NewUid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}
namespace {

bool InNamespace(const StoredObject& object, const std::string& ns) {
  return ns.empty() || (object.key.size() > ns.size() && object.key.compare(0, ns.size(), ns) == 0 &&
                        object.key[ns.size()] == '/');
}

bool Selects(const Watcher::Filter& filter, const StoredObject* object) {
  if (!object || !InNamespace(*object, filter.ns)) return false;
  const json::value* metadata = object->object.if_contains("metadata");
  const json::value* labels =
      metadata && metadata->is_object() ? metadata->get_object().if_contains("labels") : nullptr;
  return filter.labels.Matches(labels) && filter.fields.Matches(object->object);
}

}  // namespace

std::string RenderObject(const StoredObject& object, std::string_view kind,
                         std::string_view api_version) {
  std::string out;
  out.reserve(object.body.size() + kind.size() + api_version.size() + 32);
  out += R"({"kind":)";
  out += ToJson(json::string(kind));
  out += R"(,"apiVersion":)";
  out += ToJson(json::string(api_version));
  if (object.body.size() > 2) {
    out += ',';
    out.append(object.body, 1);
  } else {
    out += '}';
  }
  return out;
}

std::string RenderEvent(std::string_view type, std::string_view object_json) {
  std::string out;
  out.reserve(object_json.size() + 32);
  out += R"({"type":")";
  out += type;
  out += R"(","object":)";
  out += object_json;
  out += "}\n";
  return out;
}

void Watcher::SetWakeup(std::function<void()> wakeup) {
  std::lock_guard lock(mutex_);
  wakeup_ = std::move(wakeup);
}

void Watcher::Push(std::string line) {
  std::function<void()> wakeup;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (lines_.size() >= kMaxPendingLines) {
      lines_.clear();
      closed_ = true;
    } else {
      lines_.push_back(std::move(line));
    }
    wakeup = wakeup_;
  }
  if (wakeup) wakeup();
}

std::deque<std::string> Watcher::Take() {
  std::lock_guard lock(mutex_);
  return std::exchange(lines_, {});
}

void Watcher::Close() {
  std::function<void()> wakeup;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    wakeup = wakeup_;
  }
  if (wakeup) wakeup();
}

bool Watcher::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

Store::Store(std::size_t history_limit) : history_limit_(history_limit) {}

ObjectPtr Store::Find(const std::string& storage_key, const std::string& key) const {
  auto c = collections_.find(storage_key);
  if (c == collections_.end()) return nullptr;
  auto it = c->second.find(key);
  return it == c->second.end() ? nullptr : it->second;
}

std::vector<std::string> Store::StorageKeys() const {
  std::vector<std::string> keys;
  for (const auto& [key, collection] : collections_) keys.push_back(key);
  return keys;
}

const std::map<std::string, ObjectPtr>* Store::Collection(const std::string& storage_key) const {
  auto c = collections_.find(storage_key);
  return c == collections_.end() ? nullptr : &c->second;
}

ObjectPtr Store::Put(const std::string& storage_key, const std::string& key, json::object object) {
  auto stored = std::make_shared<StoredObject>();
  stored->rv = ++rv_;
  json::value& metadata = object["metadata"];
  if (!metadata.is_object()) metadata = json::object();
  metadata.get_object()["resourceVersion"] = std::to_string(stored->rv);
  stored->body = ToJson(object);
  stored->object = std::move(object);
  stored->key = key;
  ObjectPtr& slot = collections_[storage_key][key];
  ObjectPtr previous = std::move(slot);
  slot = stored;
  Emit({previous ? "MODIFIED" : "ADDED", storage_key, stored, previous});
  return stored;
}

ObjectPtr Store::Remove(const std::string& storage_key, const std::string& key,
                        std::optional<json::object> final_state) {
  auto c = collections_.find(storage_key);
  if (c == collections_.end()) return nullptr;
  auto it = c->second.find(key);
  if (it == c->second.end()) return nullptr;
  ObjectPtr previous = it->second;
  c->second.erase(it);
  auto last = std::make_shared<StoredObject>(*previous);
  if (final_state) last->object = std::move(*final_state);
  last->rv = ++rv_;
  last->object["metadata"].get_object()["resourceVersion"] = std::to_string(last->rv);
  last->body = ToJson(last->object);
  Emit({"DELETED", storage_key, last, previous});
  return last;
}

void Store::Emit(Event event) {
  auto [first, last] = watchers_.equal_range(event.storage_key);
  for (auto it = first; it != last; ++it) Deliver(*it->second, event);
  history_.push_back(std::move(event));
  while (history_.size() > history_limit_) {
    compacted_rv_ = history_.front().object->rv;
    history_.pop_front();
  }
}

void Store::Deliver(Watcher& watcher, const Event& event) const {
  const Watcher::Filter& filter = watcher.filter();
  std::string_view type = event.type;
  bool deleted = type == "DELETED";
  bool now = !deleted && Selects(filter, event.object.get());
  bool before = deleted ? Selects(filter, event.previous.get())
                        : Selects(filter, event.previous.get());
  const StoredObject* shown = event.object.get();
  StoredObject moved_out;
  if (deleted) {
    if (!before) return;
  } else if (now && before) {
    type = "MODIFIED";
  } else if (now) {
    type = "ADDED";
  } else if (before) {
    // The object left the selection: the previous state, at this event's resourceVersion.
    type = "DELETED";
    moved_out = *event.previous;
    moved_out.object["metadata"].get_object()["resourceVersion"] = std::to_string(event.object->rv);
    moved_out.body = ToJson(moved_out.object);
    shown = &moved_out;
  } else {
    return;
  }
  watcher.Push(RenderEvent(type, RenderObject(*shown, filter.kind, filter.api_version)));
}

ApiResult<std::shared_ptr<Watcher>> Store::Watch(Watcher::Filter filter,
                                                 std::optional<std::uint64_t> since,
                                                 bool initial_events_end_bookmark) {
  auto watcher = std::make_shared<Watcher>(std::move(filter));
  const Watcher::Filter& f = watcher->filter();
  if (since) {
    if (*since < compacted_rv_) {
      return Reject(Expired("too old resource version: " + std::to_string(*since) + " (" +
                            std::to_string(compacted_rv_) + ")"));
    }
    for (const Event& event : history_) {
      if (event.object->rv > *since && event.storage_key == f.storage_key) {
        Deliver(*watcher, event);
      }
    }
  } else {
    if (const auto* collection = Collection(f.storage_key)) {
      for (const auto& [key, object] : *collection) {
        if (Selects(f, object.get())) {
          watcher->Push(RenderEvent("ADDED", RenderObject(*object, f.kind, f.api_version)));
        }
      }
    }
    if (initial_events_end_bookmark) {
      json::object metadata;
      metadata["resourceVersion"] = std::to_string(rv_);
      metadata["annotations"] = json::object{{"k8s.io/initial-events-end", "true"}};
      json::object object{{"kind", f.kind}, {"apiVersion", f.api_version}, {"metadata", metadata}};
      watcher->Push(RenderEvent("BOOKMARK", ToJson(object)));
    }
  }
  watchers_.emplace(f.storage_key, watcher);
  return watcher;
}

void Store::Unwatch(const std::shared_ptr<Watcher>& watcher) {
  auto [first, last] = watchers_.equal_range(watcher->filter().storage_key);
  for (auto it = first; it != last; ++it) {
    if (it->second == watcher) {
      watchers_.erase(it);
      return;
    }
  }
}

void Store::CloseWatches(const std::string& storage_key) {
  auto [first, last] = watchers_.equal_range(storage_key);
  for (auto it = first; it != last; ++it) it->second->Close();
  watchers_.erase(first, last);
}

void Store::Compact() {
  history_.clear();
  compacted_rv_ = ++rv_;
}

std::shared_ptr<const std::vector<ObjectPtr>> Store::TakeSnapshot(const std::string& storage_key) {
  if (auto existing = FindSnapshot(storage_key, rv_)) return existing;
  auto snapshot = std::make_shared<std::vector<ObjectPtr>>();
  if (const auto* collection = Collection(storage_key)) {
    snapshot->reserve(collection->size());
    for (const auto& [key, object] : *collection) snapshot->push_back(object);
  }
  snapshots_.emplace_front(std::pair{storage_key, rv_}, snapshot);
  if (snapshots_.size() > kSnapshots) snapshots_.pop_back();
  return snapshot;
}

std::shared_ptr<const std::vector<ObjectPtr>> Store::FindSnapshot(const std::string& storage_key,
                                                                  std::uint64_t rv) const {
  for (const auto& [id, snapshot] : snapshots_) {
    if (id.first == storage_key && id.second == rv) return snapshot;
  }
  return nullptr;
}

}  // namespace kw::kube_double
