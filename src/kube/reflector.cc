#include "kube/reflector.h"

#include <algorithm>

#include "kube/watch.h"

namespace kw::kube {

Reflector::Reflector(std::shared_ptr<const Client> client, ResourceType type, Selectors selectors,
                     std::vector<std::string> field_masks, ReflectorOptions options)
    : client_(std::move(client)),
      type_(std::move(type)),
      selectors_(std::move(selectors)),
      mask_(field_masks),
      options_(options),
      last_change_(Clock::now()) {
  thread_ = std::thread([this] { Run(); });
}

Reflector::~Reflector() {
  {
    std::lock_guard lock(state_mutex_);
    stopping_ = true;
  }
  state_changed_.notify_all();
  stream_.Cancel();
  thread_.join();
}

Result<void> Reflector::WaitSynced(Clock::time_point deadline) const {
  std::unique_lock lock(state_mutex_);
  const bool done = state_changed_.wait_until(
      lock, deadline, [this] { return synced_ || first_failure_.has_value() || stopping_; });
  if (synced_) return {};
  if (first_failure_) {
    return std::unexpected(first_failure_->Wrap("cannot list " + type_.plural));
  }
  (void)done;
  return Fail(ErrorKind::kTimeout, "the list of " + type_.plural + " did not arrive in time");
}

void Reflector::Visit(std::string_view ns,
                      const std::function<void(std::string_view, std::string_view,
                                               std::string_view)>& visit) const {
  std::shared_lock lock(store_mutex_);
  const auto visit_namespace = [&](const std::string& name_of_ns, const Namespace& objects) {
    for (const auto& [name, json] : objects) visit(name_of_ns, name, *json);
  };
  if (ns.empty()) {
    for (const auto& [name_of_ns, objects] : store_) visit_namespace(name_of_ns, objects);
    return;
  }
  auto found = store_.find(ns);
  if (found != store_.end()) visit_namespace(found->first, found->second);
}

Reflector::Text Reflector::Find(std::string_view ns, std::string_view name) const {
  std::shared_lock lock(store_mutex_);
  auto found_ns = store_.find(ns);
  if (found_ns == store_.end()) return nullptr;
  auto found = found_ns->second.find(name);
  if (found == found_ns->second.end()) return nullptr;
  return found->second;
}

Reflector::Clock::time_point Reflector::last_change() const {
  std::shared_lock lock(store_mutex_);
  return last_change_;
}

std::size_t Reflector::size() const {
  std::shared_lock lock(store_mutex_);
  return size_;
}

Reflector::Stored Reflector::Compact(json::value& value) const {
  json::object& object = value.as_object();
  Stored stored;
  if (json::value* metadata = object.if_contains("metadata"); metadata && metadata->is_object()) {
    metadata->as_object().erase("managedFields");
    stored.ns = StringAt(*metadata, {"namespace"});
    stored.name = StringAt(*metadata, {"name"});
  }
  mask_.Apply(object);
  // List items come without apiVersion and kind, watch events with them (after each other in
  // either order). Stored objects always start with both, so a policy sees the same bytes
  // whichever way an object arrived.
  const bool typed = object.size() >= 2 && object.begin()->key() == "apiVersion" &&
                     std::next(object.begin())->key() == "kind";
  if (!typed) {
    json::object typed;
    typed.reserve(object.size() + 2);
    typed.emplace("apiVersion", type_.ApiVersion());
    typed.emplace("kind", type_.kind);
    for (auto& [key, field] : object) {
      if (key != "apiVersion" && key != "kind") typed.emplace(key, std::move(field));
    }
    object = std::move(typed);
  }
  stored.json = ToJson(value);
  return stored;
}

void Reflector::MarkChanged() { last_change_ = Clock::now(); }

void Reflector::NotifyDifferences(const Store& previous) const {
  std::vector<std::pair<std::string, std::string>> changed;
  {
    std::shared_lock lock(store_mutex_);
    const auto differs_from = [&](const Store& from, const Store& to, bool compare) {
      for (const auto& [ns, objects] : from) {
        auto other_ns = to.find(ns);
        for (const auto& [name, json] : objects) {
          if (other_ns == to.end()) {
            changed.emplace_back(ns, name);
            continue;
          }
          auto other = other_ns->second.find(name);
          if (other == other_ns->second.end() || (compare && *other->second != *json)) {
            changed.emplace_back(ns, name);
          }
        }
      }
    };
    differs_from(store_, previous, true);   // added or changed
    differs_from(previous, store_, false);  // removed
  }
  for (const auto& [ns, name] : changed) options_.on_change(ns, name);
}

Result<std::string> Reflector::Relist() {
  Store fresh;
  std::size_t count = 0;
  ListOptions list;
  list.ns = options_.ns;
  list.selectors = selectors_;
  list.limit = options_.page_size;
  auto resource_version = ListAll(*client_, type_, list, [&](ListPage& page) -> Result<void> {
    {
      // A reflector being destroyed stops between pages rather than read a large list to its end.
      std::lock_guard lock(state_mutex_);
      if (stopping_) return Fail(ErrorKind::kIo, "stopped");
    }
    for (json::value& item : page.items) {
      if (!item.is_object()) continue;
      Stored stored = Compact(item);
      auto [it, added] = fresh[stored.ns].insert_or_assign(
          std::move(stored.name), std::make_shared<const std::string>(std::move(stored.json)));
      (void)it;
      if (added) ++count;
    }
    return {};
  });
  if (!resource_version) return resource_version;
  {
    std::unique_lock lock(store_mutex_);
    store_.swap(fresh);
    size_ = count;
    MarkChanged();
  }
  {
    std::lock_guard lock(state_mutex_);
    synced_ = true;
  }
  state_changed_.notify_all();
  // `fresh` now holds the previous state (freed here, outside the lock).
  if (options_.on_change) NotifyDifferences(fresh);
  return resource_version;
}

Result<void> Reflector::Watch(std::string& resource_version) {
  WatchOptions watch;
  watch.ns = options_.ns;
  watch.selectors = selectors_;
  watch.resource_version = resource_version;
  return WatchOnce(
      *client_, type_, watch,
      [&](WatchEvent& event) {
        if (!event.object.is_object()) return true;
        // Every event, bookmarks included, moves the version the watch would resume from.
        if (const json::value* metadata = event.object.as_object().if_contains("metadata");
            metadata != nullptr && metadata->is_object()) {
          std::string version = StringAt(*metadata, {"resourceVersion"});
          if (!version.empty()) resource_version = std::move(version);
        }
        if (event.type == WatchEvent::Type::kBookmark) return true;
        Stored stored = Compact(event.object);
        {
          std::unique_lock lock(store_mutex_);
          if (event.type == WatchEvent::Type::kDeleted) {
            auto ns = store_.find(stored.ns);
            if (ns != store_.end() && ns->second.erase(stored.name) > 0) {
              --size_;
              if (ns->second.empty()) store_.erase(ns);
            }
          } else {
            auto [it, added] = store_[stored.ns].insert_or_assign(
                stored.name, std::make_shared<const std::string>(std::move(stored.json)));
            (void)it;
            if (added) ++size_;
          }
          MarkChanged();
        }
        if (options_.on_change) options_.on_change(stored.ns, stored.name);
        return true;
      },
      &stream_);
}

bool Reflector::SleepUnlessStopped(std::chrono::milliseconds delay) {
  std::unique_lock lock(state_mutex_);
  return !state_changed_.wait_for(lock, delay, [this] { return stopping_; });
}

void Reflector::Run() {
  std::chrono::milliseconds backoff = options_.initial_backoff;
  const auto next_backoff = [&] {
    const auto delay = backoff;
    backoff = std::min(backoff * 2, options_.max_backoff);
    return delay;
  };
  std::string resource_version;
  bool listed = false;
  while (true) {
    {
      std::lock_guard lock(state_mutex_);
      if (stopping_) return;
    }
    if (!listed) {
      auto relisted = Relist();
      if (!relisted) {
        {
          std::lock_guard lock(state_mutex_);
          if (!synced_ && !first_failure_) first_failure_ = relisted.error();
        }
        state_changed_.notify_all();
        if (!SleepUnlessStopped(next_backoff())) return;
        continue;
      }
      resource_version = std::move(*relisted);
      listed = true;
      backoff = options_.initial_backoff;
    }
    const Clock::time_point watch_started = Clock::now();
    auto watched = Watch(resource_version);
    if (watched) {
      // The server ended the watch as it does after its timeout: resume at once. One that ends
      // watches as soon as they start would make this loop spin: back off then.
      if (Clock::now() - watch_started >= std::chrono::seconds(1)) {
        backoff = options_.initial_backoff;
      } else if (!SleepUnlessStopped(next_backoff())) {
        return;
      }
      continue;
    }
    // 410 Gone: the version is too old to resume from; everything must be listed again.
    if (watched.error().http_status == 410) {
      listed = false;
      continue;
    }
    if (!SleepUnlessStopped(next_backoff())) return;
  }
}

bool ReflectorKey::operator<(const ReflectorKey& other) const {
  return std::tie(api_version, kind, selectors.label_selector, selectors.field_selector,
                  field_masks, ns) < std::tie(other.api_version, other.kind,
                                              other.selectors.label_selector,
                                              other.selectors.field_selector, other.field_masks,
                                              other.ns);
}

ReflectorCache::ReflectorCache(std::shared_ptr<const Client> client,
                               std::shared_ptr<Discovery> discovery, std::size_t max_reflectors,
                               ReflectorOptions options)
    : client_(std::move(client)),
      discovery_(std::move(discovery)),
      max_reflectors_(max_reflectors),
      options_(options) {}

Result<std::shared_ptr<const Reflector>> ReflectorCache::Get(
    ReflectorKey key, std::chrono::steady_clock::time_point deadline) {
  std::sort(key.field_masks.begin(), key.field_masks.end());
  key.field_masks.erase(std::unique(key.field_masks.begin(), key.field_masks.end()),
                        key.field_masks.end());
  std::shared_ptr<const Reflector> reflector;
  {
    std::lock_guard lock(mutex_);
    auto found = reflectors_.find(key);
    if (found != reflectors_.end()) reflector = found->second;
  }
  if (!reflector) {
    KW_ASSIGN_OR_RETURN(ResourceType type, discovery_->Find(key.api_version, key.kind));
    std::lock_guard lock(mutex_);
    auto found = reflectors_.find(key);
    if (found != reflectors_.end()) {
      reflector = found->second;
    } else {
      if (reflectors_.size() >= max_reflectors_) {
        return Fail(ErrorKind::kInvalidArgument,
                    "too many distinct watches (" + std::to_string(max_reflectors_) +
                        "): the selectors and field masks policies use must not vary per request");
      }
      ReflectorOptions options = options_;
      options.ns = key.ns;
      reflector = std::make_shared<Reflector>(client_, std::move(type), key.selectors,
                                              key.field_masks, std::move(options));
      reflectors_.emplace(key, reflector);
    }
  }
  auto synced = reflector->WaitSynced(deadline);
  if (!synced) {
    // The API server refused the list itself (a bad selector, no permission): asking again
    // later must start afresh rather than find a reflector retrying forever.
    if (synced.error().http_status >= 400 && synced.error().http_status < 500) {
      std::lock_guard lock(mutex_);
      auto found = reflectors_.find(key);
      if (found != reflectors_.end() && found->second == reflector) reflectors_.erase(found);
    }
    return std::unexpected(std::move(synced).error());
  }
  return reflector;
}

}  // namespace kw::kube
