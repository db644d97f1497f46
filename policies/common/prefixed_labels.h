// policies/common/prefixed_labels.h: copying `propagate.`-style entries of one object's map
// (labels, annotations) onto another object's labels, shared by context-aware-demo and
// rancher-project-propagate-labels.
#ifndef POLICIES_COMMON_PREFIXED_LABELS_H_
#define POLICIES_COMMON_PREFIXED_LABELS_H_

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include <kubewarden/kubewarden.h>

namespace upstream {

// Sets, on metadata.labels of `object` (a decoded object of `doc`; metadata and labels are
// created when absent or null), every entry of `source` (a map of strings, or nullptr) whose
// key starts with `prefix`, without it, when the label is absent or has another value. Keys
// are visited in ascending order, as upstream walks a BTreeMap. Returns whether a label changed.
inline bool CopyPrefixedAsLabels(kubewarden::json::Document& doc,
                                 const kubewarden::json::Value* source, std::string_view prefix,
                                 kubewarden::json::Value& object) {
  namespace json = kubewarden::json;
  std::vector<std::pair<std::string_view, std::string_view>> wanted;
  if (source != nullptr) {
    for (const json::Value& entry : *source) {
      if (entry.key().starts_with(prefix)) {
        wanted.emplace_back(entry.key().substr(prefix.size()), entry.AsString().value_or(""));
      }
    }
  }
  if (wanted.empty()) return false;
  std::sort(wanted.begin(), wanted.end());
  json::Value* metadata = doc.GetOrAddObject(object, "metadata");
  json::Value* labels = metadata ? doc.GetOrAddObject(*metadata, "labels") : nullptr;
  if (labels == nullptr) return false;  // not objects: the caller's decode rules this out
  bool changed = false;
  for (const auto& [key, value] : wanted) {
    const json::Value* current = labels->Find(key);
    if (current != nullptr && current->AsString() == value) continue;
    doc.Set(*labels, key, doc.String(value));
    changed = true;
  }
  return changed;
}

}  // namespace upstream

#endif  // POLICIES_COMMON_PREFIXED_LABELS_H_
