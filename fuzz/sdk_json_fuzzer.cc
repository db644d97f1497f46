// The policy SDK's JSON parser (sdk/cpp/include/kubewarden/json.h), built natively: whatever it
// accepts must serialize to text it parses back to an equal tree, and whatever our host parser
// (Boost.JSON) accepts the SDK must accept too. Read on demand (ParseOnDemand), the same text
// must give the same tree when valid, and an error (at once or when read) when not. Written
// back as read (AppendJsonAsRead, how a policy hands a mutated object back), untouched text is
// copied whole, and after edits chosen by the input the text still holds the edited tree.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "kubewarden/json.h"

namespace {

namespace json = kubewarden::json;

// Reads every container of `value` (each read parses one more level on demand).
void ReadAll(const json::Value& value) {
  for (const json::Value& child : value) ReadAll(child);
}

void Collect(json::Value& value, std::vector<json::Value*>& out) {
  out.push_back(&value);
  for (json::Value& child : value) Collect(child, out);
}

// Edits about one value in five of `root`'s tree, each kind of edit in turn, chosen by `seed`:
// members set, erased and moved elsewhere (never into themselves), elements pushed and erased,
// and with `in_place`, scalars changed in place (which switches AppendJsonAsRead from its edit
// marks to looking into every container, for the rest of the process).
void Edit(json::Document& doc, json::Value& root, std::size_t seed, bool in_place) {
  std::vector<json::Value*> values;
  Collect(root, values);
  json::Value* moved = nullptr;  // detached, waiting for a new place
  std::size_t moved_end = 0;     // in `values`, one past the moved value's subtree
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t pick = (i * 2654435761u + seed) % 10;
    json::Value& v = *values[i];
    if (pick >= 3) continue;
    if (pick == 2) {
      if (moved != nullptr && i >= moved_end && v.IsObject()) {
        doc.Set(v, "moved", moved);
        moved = nullptr;
      } else if (moved == nullptr && v.IsObject() && !v.empty()) {
        // Taken out with its subtree, which comes next in `values` (pre-order).
        std::vector<json::Value*> subtree;
        json::Value* member = &*v.begin();
        Collect(*member, subtree);
        std::size_t at = i + 1;
        while (at < values.size() && values[at] != member) ++at;
        moved_end = at + subtree.size();
        std::string key(member->key());
        if (doc.Erase(v, key)) moved = member;
      }
      continue;
    }
    if (v.IsObject()) {
      if (pick == 0 || v.empty()) {
        doc.Set(v, "edited", doc.Int(static_cast<std::int64_t>(i)));
      } else {
        doc.Erase(v, v.begin()->key());
      }
    } else if (v.IsArray()) {
      if (pick == 0 || v.empty()) {
        doc.PushBack(v, doc.String("added"));
      } else {
        doc.EraseAt(v, 0);
      }
    } else if (in_place) {
      v.SetBool(pick == 0);
    }
  }
}

// AppendJsonAsRead(value) is `value` (the same tree as its compact text).
void CheckAsRead(const json::Value& value) {
  std::string as_read;
  json::AppendJsonAsRead(as_read, value);
  json::Document a, b;
  const json::Value* from_as_read = a.Parse(as_read);
  const std::string compact = json::Serialize(value);
  const json::Value* from_compact = b.Parse(compact);
  if (from_as_read == nullptr || from_compact == nullptr ||
      !json::Equal(*from_as_read, *from_compact)) {
    __builtin_trap();
  }
}

std::string_view Trimmed(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  json::Document doc;
  json::Value* value = doc.Parse(text);
  json::Document lazy_doc;
  json::Value* lazy = lazy_doc.ParseOnDemand(text);
  if (value != nullptr) {
    std::string again = json::Serialize(*value);
    json::Document doc2;
    json::Value* value2 = doc2.Parse(again);
    if (value2 == nullptr || !json::Equal(*value, *value2)) __builtin_trap();
    // Unread containers are written as they were read: still the same tree.
    if (lazy == nullptr) __builtin_trap();
    std::string written = json::Serialize(*lazy);
    json::Document doc3;
    json::Value* value3 = doc3.Parse(written);
    if (value3 == nullptr || !json::Equal(*value, *value3)) __builtin_trap();
    if (!json::Equal(*value, *lazy) || !lazy_doc.deferred_error().empty()) __builtin_trap();

    // Nothing edited: a container is copied as it was read, whole.
    std::string as_read;
    json::AppendJsonAsRead(as_read, *value);
    if ((value->IsObject() || value->IsArray()) && as_read != Trimmed(text)) __builtin_trap();
    CheckAsRead(*value);
    // Edited: in the tree Parse read whole, and in the one read level by level on demand;
    // first found by the edit marks alone, then again after changes in place.
    json::internal::g_values_reset_in_place = false;
    Edit(doc, *value, size, false);
    CheckAsRead(*value);
    Edit(lazy_doc, *lazy, size + 1, false);
    CheckAsRead(*lazy);
    Edit(doc, *value, size + 2, true);
    CheckAsRead(*value);
    Edit(lazy_doc, *lazy, size + 3, true);
    CheckAsRead(*lazy);
  } else {
    if (kw::ParseJson(text)) {
      // The host sends policies JSON it parsed itself; the SDK must never refuse it.
      __builtin_trap();
    }
    if (lazy != nullptr) {
      ReadAll(*lazy);
      if (lazy_doc.deferred_error().empty()) __builtin_trap();
    }
  }
  return 0;
}
