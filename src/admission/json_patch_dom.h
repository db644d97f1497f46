// The pieces of json_patch.h's diff that its two walkers share: the DOM walk over simdjson
// elements (json_patch.cc) and the walk over JSON text (json_text_diff.cc), which hands the
// subtrees it cannot settle by comparing bytes to the DOM walk. Private to the admission
// component.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kw::admission::internal {

// Writes the operations of a patch into `out`, between the caller's `[` and `]`. The path to
// the current node is kept as a stack of tokens and turned into a JSON Pointer only when an
// operation is emitted: most nodes of a mutated object are unchanged, and building their paths
// costs more than comparing them. Keys must stay alive while they are on the stack.
class PatchWriter {
 public:
  explicit PatchWriter(std::string& out) : out_(out) {}

  void PushKey(std::string_view key) { path_.push_back({key, 0}); }
  void PushIndex(std::size_t index) { path_.push_back({{}, index}); }
  void Pop() { path_.pop_back(); }

  // One operation on the current path, with `value` (serialized as AppendElementJson does)
  // when there is one.
  void Op(std::string_view op, const simdjson::dom::element* value);
  // The same with a value whose JSON text is known to be what AppendElementJson writes.
  void Op(std::string_view op, std::string_view verbatim_value);

  std::size_t ops() const { return ops_; }

 private:
  struct Token {
    std::string_view key;  // for object members
    std::size_t index;     // for array elements, when key.data() is null
  };

  // Writes the operation up to its value (excluded).
  void Begin(std::string_view op);

  std::string& out_;
  std::vector<Token> path_;
  std::string pointer_;
  std::size_t ops_ = 0;
};

// Writes the operations that turn `from` into `to` at the writer's current path.
void DiffElements(PatchWriter& writer, simdjson::dom::element from, simdjson::dom::element to);

// Finds members by key among those of an object from `first` to its end (`last`): a linear
// search for a few, a hash table for objects too wide for it (a hostile mutated object with
// 100,000 keys must not cost 10^10 comparisons). Of duplicate keys the last one counts, as in
// serde_json and Boost.JSON. `It` dereferences to something with `key` and `value` members.
template <typename It>
class MemberIndex {
 public:
  using Value = std::remove_cvref_t<decltype((*std::declval<It>()).value)>;
  static constexpr std::size_t kLinearLookupLimit = 32;

  MemberIndex(It first, It last) : first_(first), last_(last) {
    std::size_t count = 0;
    for (auto it = first; it != last && count <= kLinearLookupLimit; ++it) ++count;
    if (count <= kLinearLookupLimit) return;
    for (auto it = first; it != last; ++it) index_.insert_or_assign((*it).key, (*it).value);
  }

  std::optional<Value> Find(std::string_view key) const {
    if (index_.empty()) {
      std::optional<Value> found;
      for (auto it = first_; it != last_; ++it) {
        if ((*it).key == key) found = (*it).value;
      }
      return found;
    }
    const auto found = index_.find(key);
    if (found == index_.end()) return std::nullopt;
    return found->second;
  }

 private:
  It first_, last_;
  std::unordered_map<std::string_view, Value> index_;
};

}  // namespace kw::admission::internal
