#include "kube_apiserver/patches.h"

#include <algorithm>
#include <functional>

namespace kw::kube_double {
namespace {

// Metadata fields a manager can own; the rest of metadata belongs to the server.
constexpr std::string_view kOwnableMetadata[] = {"labels", "annotations", "finalizers",
                                                 "ownerReferences"};

bool IsNameKeyedList(const json::value& v) {
  if (!v.is_array() || v.get_array().empty()) return false;
  return std::all_of(v.get_array().begin(), v.get_array().end(), [](const json::value& e) {
    const json::object* o = e.if_object();
    const json::value* name = o ? o->if_contains("name") : nullptr;
    return name && name->is_string();
  });
}

std::string KeyToken(const json::value& element) {
  json::object key;
  key["name"] = element.get_object().at("name");
  return "k:" + ToJson(key);
}

void Collect(const json::value& v, FieldPath& path, FieldSet& out) {
  if (v.is_object() && !v.get_object().empty()) {
    for (const auto& [k, child] : v.get_object()) {
      path.push_back("f:" + std::string(k));
      Collect(child, path, out);
      path.pop_back();
    }
  } else if (IsNameKeyedList(v)) {
    for (const auto& element : v.get_array()) {
      path.push_back(KeyToken(element));
      path.push_back(".");
      out.insert(path);
      path.pop_back();
      for (const auto& [k, child] : element.get_object()) {
        path.push_back("f:" + std::string(k));
        Collect(child, path, out);
        path.pop_back();
      }
      path.pop_back();
    }
  } else {
    out.insert(path);
  }
}

json::value* ElementByToken(json::array& list, std::string_view token) {
  for (auto& e : list) {
    if (e.is_object() && e.get_object().contains("name") && KeyToken(e) == token) return &e;
  }
  return nullptr;
}

// The value at `path` (a "." token is the list element itself), or nullptr.
const json::value* ValueAt(const json::value& root, const FieldPath& path) {
  const json::value* at = &root;
  for (const auto& token : path) {
    if (token == ".") break;
    if (token.starts_with("f:")) {
      const json::object* o = at->if_object();
      at = o ? o->if_contains(std::string_view(token).substr(2)) : nullptr;
    } else if (token.starts_with("k:")) {
      at = at->is_array() ? ElementByToken(const_cast<json::array&>(at->get_array()), token)
                          : nullptr;
    } else {
      return nullptr;
    }
    if (!at) return nullptr;
  }
  return at;
}

// Removes what `path` names from `root`, then the objects it leaves empty on the way up.
void RemoveAt(json::value& root, const FieldPath& path) {
  std::vector<json::value*> chain = {&root};
  for (const auto& token : path) {
    if (token == ".") break;
    json::value* at = chain.back();
    json::value* next = nullptr;
    if (token.starts_with("f:")) {
      json::object* o = at->if_object();
      next = o ? o->if_contains(std::string_view(token).substr(2)) : nullptr;
    } else if (token.starts_with("k:") && at->is_array()) {
      next = ElementByToken(at->get_array(), token);
    }
    if (!next) return;
    chain.push_back(next);
  }
  // chain[i] is reached from chain[i-1] by path[i-1].
  for (std::size_t i = chain.size() - 1; i >= 1; --i) {
    json::value* parent = chain[i - 1];
    const std::string& token = path[i - 1];
    bool child_empty_object = chain[i]->is_object() && chain[i]->get_object().empty();
    if (i != chain.size() - 1 && !child_empty_object) break;
    if (i == 1 && token == "f:metadata") break;
    if (token.starts_with("f:")) {
      parent->get_object().stable_erase(std::string_view(token).substr(2));
    } else {
      auto& list = parent->get_array();
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (&*it == chain[i]) {
          list.erase(it);
          break;
        }
      }
    }
    if (!(parent->is_object() && parent->get_object().empty())) break;
  }
}

json::value ApplyMerge(const json::value& live, const json::value& config) {
  if (config.is_object() && live.is_object()) {
    json::object result = live.get_object();
    for (const auto& [k, v] : config.get_object()) {
      if (v.is_null()) continue;
      const json::value* existing = result.if_contains(k);
      result[k] = existing ? ApplyMerge(*existing, v) : v;
    }
    return result;
  }
  if (IsNameKeyedList(config) && IsNameKeyedList(live)) {
    json::array result = live.get_array();
    for (const auto& element : config.get_array()) {
      if (json::value* existing = ElementByToken(result, KeyToken(element))) {
        *existing = ApplyMerge(*existing, element);
      } else {
        result.push_back(element);
      }
    }
    return result;
  }
  return config;
}

struct Entry {
  json::object fields;  // the entry without fieldsV1
  FieldSet set;
};

std::vector<Entry> ReadEntries(const json::object& object) {
  std::vector<Entry> entries;
  const json::value* metadata = object.if_contains("metadata");
  const json::value* managed = metadata && metadata->is_object()
                                   ? metadata->get_object().if_contains("managedFields")
                                   : nullptr;
  if (!managed || !managed->is_array()) return entries;
  for (const auto& e : managed->get_array()) {
    if (!e.is_object()) continue;
    Entry entry;
    entry.fields = e.get_object();
    if (const json::value* f = entry.fields.if_contains("fieldsV1")) entry.set = FromFieldsV1(*f);
    entry.fields.stable_erase("fieldsV1");
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string Field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

void WriteEntries(json::object& object, const std::vector<Entry>& entries) {
  json::array managed;
  for (const auto& e : entries) {
    if (e.set.empty()) continue;
    json::object out;
    for (std::string_view key : {"manager", "operation", "apiVersion", "time"}) {
      if (const json::value* v = e.fields.if_contains(key)) out[key] = *v;
    }
    out["fieldsType"] = "FieldsV1";
    out["fieldsV1"] = ToFieldsV1(e.set);
    if (const json::value* v = e.fields.if_contains("subresource")) out["subresource"] = *v;
    managed.push_back(std::move(out));
  }
  json::value& metadata = object["metadata"];
  if (!metadata.is_object()) metadata = json::object();
  if (managed.empty()) {
    metadata.get_object().stable_erase("managedFields");
  } else {
    metadata.get_object()["managedFields"] = std::move(managed);
  }
}

Entry& EntryFor(std::vector<Entry>& entries, const std::string& manager,
                std::string_view operation, const std::string& api_version,
                const std::string& subresource, const std::string& time) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
    return Field(e.fields, "manager") == manager && Field(e.fields, "operation") == operation &&
           Field(e.fields, "subresource") == subresource;
  });
  if (it == entries.end()) {
    entries.push_back({});
    it = entries.end() - 1;
    it->fields["manager"] = manager;
    it->fields["operation"] = operation;
    if (!subresource.empty()) it->fields["subresource"] = subresource;
  }
  it->fields["apiVersion"] = api_version;
  it->fields["time"] = time;
  return *it;
}

bool SameEntry(const Entry& e, const std::string& manager, std::string_view operation,
               const std::string& subresource) {
  return Field(e.fields, "manager") == manager && Field(e.fields, "operation") == operation &&
         Field(e.fields, "subresource") == subresource;
}

}  // namespace

json::value MergePatch(const json::value& target, const json::value& patch) {
  if (!patch.is_object()) return patch;
  json::object result = target.is_object() ? target.get_object() : json::object();
  for (const auto& [k, v] : patch.get_object()) {
    if (v.is_null()) {
      result.stable_erase(k);
      continue;
    }
    const json::value* existing = result.if_contains(k);
    result[k] = MergePatch(existing ? *existing : json::value(), v);
  }
  return result;
}

json::value StrategicMergePatch(const json::value& target, const json::value& patch) {
  if (!patch.is_object()) return patch;
  const json::object& p = patch.get_object();
  if (const json::value* directive = p.if_contains("$patch");
      directive && directive->is_string() && directive->get_string() == "replace") {
    json::object replaced = p;
    replaced.stable_erase("$patch");
    return replaced;
  }
  json::object result = target.is_object() ? target.get_object() : json::object();
  for (const auto& [k, v] : p) {
    if (k == "$patch" || k.starts_with("$setElementOrder/") || k == "$retainKeys") continue;
    if (k.starts_with("$deleteFromPrimitiveList/")) {
      std::string_view field = std::string_view(k).substr(25);
      json::value* list = result.if_contains(field);
      if (list && list->is_array() && v.is_array()) {
        json::array& items = list->get_array();
        items.erase(std::remove_if(items.begin(), items.end(),
                                   [&](const json::value& e) {
                                     return std::find(v.get_array().begin(), v.get_array().end(),
                                                      e) != v.get_array().end();
                                   }),
                    items.end());
      }
      continue;
    }
    if (v.is_null()) {
      result.stable_erase(k);
      continue;
    }
    json::value* existing = result.if_contains(k);
    if (existing && k == "finalizers" && existing->is_array() && v.is_array()) {
      // metadata.finalizers merges as a set of strings (patchStrategy=merge).
      for (const auto& f : v.get_array()) {
        auto& list = existing->get_array();
        if (std::find(list.begin(), list.end(), f) == list.end()) list.push_back(f);
      }
      continue;
    }
    if (existing && v.is_array() && existing->is_array() && IsNameKeyedList(*existing) &&
        std::all_of(v.get_array().begin(), v.get_array().end(), [](const json::value& e) {
          return e.is_object() && e.get_object().contains("name") &&
                 e.get_object().at("name").is_string();
        })) {
      json::array merged = existing->get_array();
      for (const auto& element : v.get_array()) {
        json::value* match = ElementByToken(merged, KeyToken(element));
        const json::value* directive = element.get_object().if_contains("$patch");
        if (directive && directive->is_string() && directive->get_string() == "delete") {
          if (match) merged.erase(match);
        } else if (match) {
          *match = StrategicMergePatch(*match, element);
        } else {
          merged.push_back(StrategicMergePatch(json::object(), element));
        }
      }
      result[k] = std::move(merged);
      continue;
    }
    result[k] = StrategicMergePatch(existing ? *existing : json::value(), v);
  }
  return result;
}

FieldSet FieldsOf(const json::object& object, bool skip_status) {
  FieldSet out;
  FieldPath path;
  for (const auto& [k, v] : object) {
    if (k == "apiVersion" || k == "kind") continue;
    if (skip_status && k == "status") continue;
    if (k == "metadata") {
      const json::object* metadata = v.if_object();
      if (!metadata) continue;
      for (std::string_view field : kOwnableMetadata) {
        const json::value* value = metadata->if_contains(field);
        if (!value || value->is_null()) continue;
        path = {"f:metadata", "f:" + std::string(field)};
        // finalizers and ownerReferences: atomic here (the real server keys them by value/uid).
        if (field == "labels" || field == "annotations") {
          Collect(*value, path, out);
        } else {
          out.insert(path);
        }
      }
      continue;
    }
    path = {"f:" + std::string(k)};
    Collect(v, path, out);
  }
  return out;
}

json::object ToFieldsV1(const FieldSet& fields) {
  json::object root;
  for (const auto& path : fields) {
    json::object* at = &root;
    for (const auto& token : path) {
      json::value& next = (*at)[token];
      if (!next.is_object()) next = json::object();
      at = &next.get_object();
    }
  }
  return root;
}

FieldSet FromFieldsV1(const json::value& fields_v1) {
  FieldSet out;
  FieldPath path;
  std::function<void(const json::object&)> walk = [&](const json::object& node) {
    for (const auto& [k, v] : node) {
      path.emplace_back(k);
      const json::object* child = v.if_object();
      if (k == "." || !child || child->empty()) {
        out.insert(path);
      } else {
        walk(*child);
      }
      path.pop_back();
    }
  };
  if (fields_v1.is_object()) walk(fields_v1.get_object());
  return out;
}

FieldSet ChangedFields(const json::object& before, const json::object& after, bool skip_status) {
  FieldSet changed;
  json::value before_value = before;
  json::value after_value = after;
  for (const auto& path : FieldsOf(after, skip_status)) {
    const json::value* old_value = ValueAt(before_value, path);
    if (!old_value || (path.back() != "." && *old_value != *ValueAt(after_value, path))) {
      changed.insert(path);
    }
  }
  return changed;
}

std::string FieldPathText(const FieldPath& path) {
  std::string out;
  for (const auto& token : path) {
    if (token == ".") break;
    if (token.starts_with("f:")) {
      out += "." + token.substr(2);
    } else if (token.starts_with("k:")) {
      auto key = ParseJson(std::string_view(token).substr(2));
      std::string inner;
      if (key && key->is_object()) {
        for (const auto& [k, v] : key->get_object()) {
          if (!inner.empty()) inner += ",";
          inner += std::string(k) + "=" + ToJson(v);
        }
      }
      out += "[" + inner + "]";
    }
  }
  return out;
}

ApplyResult Apply(const json::object& live, const json::object& config, const std::string& manager,
                  const std::string& api_version, bool force, const std::string& subresource,
                  const std::string& time) {
  ApplyResult result;
  std::vector<Entry> entries = ReadEntries(live);
  FieldSet applied = FieldsOf(config, false);
  json::value live_value = live;
  json::value config_value = config;
  for (const auto& field : applied) {
    if (field.back() == ".") continue;
    const json::value* current = ValueAt(live_value, field);
    // A path of the applied field set may resolve to nothing in a hostile configuration.
    const json::value* wanted = ValueAt(config_value, field);
    if (!current || !wanted || *current == *wanted) continue;
    for (auto& entry : entries) {
      if (Field(entry.fields, "manager") == manager) continue;
      if (!entry.set.contains(field)) continue;
      if (force) {
        entry.set.erase(field);
      } else {
        result.conflicts.push_back(
            {Field(entry.fields, "manager"), Field(entry.fields, "apiVersion"), field});
      }
    }
  }
  if (!result.conflicts.empty()) return result;

  json::value merged = ApplyMerge(live_value, config_value);
  FieldSet previous;
  for (const auto& e : entries) {
    if (SameEntry(e, manager, "Apply", subresource)) previous = e.set;
  }
  for (auto it = previous.rbegin(); it != previous.rend(); ++it) {
    if (applied.contains(*it)) continue;
    bool owned_elsewhere = std::any_of(entries.begin(), entries.end(), [&](const Entry& e) {
      return !SameEntry(e, manager, "Apply", subresource) && e.set.contains(*it);
    });
    if (!owned_elsewhere) RemoveAt(merged, *it);
  }
  EntryFor(entries, manager, "Apply", api_version, subresource, time).set = applied;
  result.object = std::move(merged.get_object());
  WriteEntries(result.object, entries);
  return result;
}

void RecordUpdate(const json::object* before, json::object& after, const std::string& manager,
                  const std::string& api_version, const std::string& subresource,
                  const std::string& time) {
  std::vector<Entry> entries = before ? ReadEntries(*before) : std::vector<Entry>();
  FieldSet present = FieldsOf(after, false);
  FieldSet changed = before ? ChangedFields(*before, after, false) : present;
  for (auto& entry : entries) {
    std::erase_if(entry.set, [&](const FieldPath& p) {
      return !present.contains(p) ||
             (changed.contains(p) && !SameEntry(entry, manager, "Update", subresource));
    });
  }
  if (!changed.empty()) {
    Entry& mine = EntryFor(entries, manager, "Update", api_version, subresource, time);
    mine.set.insert(changed.begin(), changed.end());
  }
  WriteEntries(after, entries);
}

}  // namespace kw::kube_double
