#include "admission/json_patch.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

#include "admission/json_patch_dom.h"
#include "admission/json_util.h"
#include "admission/simdjson_dom.h"

namespace kw::admission {
namespace {

namespace dom = simdjson::dom;

// serde_json's equality of two scalars: 1 and 1.0 differ, integers compare by value whatever
// their representation.
bool ScalarsEqual(dom::element a, dom::element b) {
  using T = dom::element_type;
  const T ta = a.type(), tb = b.type();
  if ((ta == T::INT64 || ta == T::UINT64) && (tb == T::INT64 || tb == T::UINT64)) {
    if (ta == tb) {
      return ta == T::INT64 ? a.get_int64().value_unsafe() == b.get_int64().value_unsafe()
                            : a.get_uint64().value_unsafe() == b.get_uint64().value_unsafe();
    }
    const std::int64_t i = (ta == T::INT64 ? a : b).get_int64().value_unsafe();
    const std::uint64_t u = (ta == T::UINT64 ? a : b).get_uint64().value_unsafe();
    return i >= 0 && static_cast<std::uint64_t>(i) == u;
  }
  if (ta != tb) return false;
  switch (ta) {
    case T::NULL_VALUE:
      return true;
    case T::BOOL:
      return a.get_bool().value_unsafe() == b.get_bool().value_unsafe();
    case T::STRING:
      return a.get_string().value_unsafe() == b.get_string().value_unsafe();
    case T::DOUBLE:
      return a.get_double().value_unsafe() == b.get_double().value_unsafe();
    default:
      return false;  // containers are never compared here
  }
}

// The DOM walk of DiffElements.
class DomDiff {
 public:
  explicit DomDiff(internal::PatchWriter& writer) : writer_(writer) {}

  void Diff(dom::element from, dom::element to) {
    using T = dom::element_type;
    if (from.type() == T::OBJECT && to.type() == T::OBJECT) return DiffObjects(from, to);
    if (from.type() == T::ARRAY && to.type() == T::ARRAY) return DiffArrays(from, to);
    const bool containers = from.type() == T::OBJECT || from.type() == T::ARRAY ||
                            to.type() == T::OBJECT || to.type() == T::ARRAY;
    if (containers || !ScalarsEqual(from, to)) writer_.Op("replace", &to);
  }

 private:
  void DiffObjects(dom::object a, dom::object b) {
    // Policies edit objects in place, so members usually come in the same order on both sides:
    // walk the common run of equal keys in step, and look keys up only after it.
    auto ia = a.begin(), ib = b.begin();
    for (; ia != a.end() && ib != b.end() && (*ia).key == (*ib).key; ++ia, ++ib) {
      writer_.PushKey((*ia).key);
      Diff((*ia).value, (*ib).value);
      writer_.Pop();
    }
    if (ia == a.end() && ib == b.end()) return;
    // The rest: members of `a` missing from `b` are removed, the others diffed; members of `b`
    // missing from `a` are added. Keys are unique, so none of the rest is among the common run.
    const internal::MemberIndex rest_of_b(ib, b.end()), rest_of_a(ia, a.end());
    for (; ia != a.end(); ++ia) {
      writer_.PushKey((*ia).key);
      if (const auto other = rest_of_b.Find((*ia).key)) {
        Diff((*ia).value, *other);
      } else {
        writer_.Op("remove", nullptr);
      }
      writer_.Pop();
    }
    for (; ib != b.end(); ++ib) {
      if (rest_of_a.Find((*ib).key)) continue;
      writer_.PushKey((*ib).key);
      const dom::element added = (*ib).value;
      writer_.Op("add", &added);
      writer_.Pop();
    }
  }

  void DiffArrays(dom::array a, dom::array b) {
    std::size_t i = 0;
    auto ia = a.begin(), ib = b.begin();
    for (; ia != a.end() && ib != b.end(); ++ia, ++ib, ++i) {
      writer_.PushIndex(i);
      Diff(*ia, *ib);
      writer_.Pop();
    }
    for (; ib != b.end(); ++ib, ++i) {
      writer_.PushIndex(i);
      const dom::element added = *ib;
      writer_.Op("add", &added);
      writer_.Pop();
    }
    // Surplus elements go from the last one down, so that every index is valid when applied.
    std::size_t from_size = i;
    for (; ia != a.end(); ++ia) ++from_size;
    for (std::size_t k = from_size; k > i; --k) {
      writer_.PushIndex(k - 1);
      writer_.Op("remove", nullptr);
      writer_.Pop();
    }
  }

  internal::PatchWriter& writer_;
};

std::unexpected<Error> OpError(std::size_t index, std::string_view op, std::string_view path,
                               std::string_view what) {
  std::string msg = "patch operation " + std::to_string(index);
  if (!op.empty()) {
    msg.append(" (").append(op);
    if (!path.empty()) msg.append(" ").append(path);
    msg.append(")");
  }
  msg.append(": ").append(what);
  return Fail(ErrorKind::kInvalidArgument, std::move(msg));
}

// Splits and unescapes an RFC 6901 pointer; nullopt when malformed.
std::optional<std::vector<std::string>> ParsePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') return std::nullopt;
  std::size_t pos = 1;
  while (true) {
    const std::size_t end = std::min(pointer.find('/', pos), pointer.size());
    std::string token;
    token.reserve(end - pos);
    for (std::size_t i = pos; i < end; ++i) {
      if (pointer[i] != '~') {
        token.push_back(pointer[i]);
        continue;
      }
      if (i + 1 >= end) return std::nullopt;
      if (pointer[i + 1] == '0') {
        token.push_back('~');
      } else if (pointer[i + 1] == '1') {
        token.push_back('/');
      } else {
        return std::nullopt;
      }
      ++i;
    }
    tokens.push_back(std::move(token));
    if (end == pointer.size()) break;
    pos = end + 1;
  }
  return tokens;
}

// An existing-element array index: "0" or digits without a leading zero, below `size`.
std::optional<std::size_t> ParseIndex(std::string_view token, std::size_t size) {
  if (token.empty() || (token.size() > 1 && token.front() == '0')) return std::nullopt;
  std::size_t index = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  if (index >= size) return std::nullopt;
  return index;
}

json::value* Child(json::value& node, const std::string& token) {
  if (json::object* obj = node.if_object()) {
    auto it = obj->find(token);
    return it == obj->end() ? nullptr : &it->value();
  }
  if (json::array* arr = node.if_array()) {
    auto index = ParseIndex(token, arr->size());
    return index ? &(*arr)[*index] : nullptr;
  }
  return nullptr;
}

json::value* Resolve(json::value& root, const std::vector<std::string>& tokens, std::size_t count) {
  json::value* node = &root;
  for (std::size_t i = 0; i < count && node != nullptr; ++i) node = Child(*node, tokens[i]);
  return node;
}

class Patcher {
 public:
  explicit Patcher(json::value& doc) : doc_(doc) {}

  Result<void> Apply(std::size_t index, const json::value& op_value) {
    index_ = index;
    const json::object* op = op_value.if_object();
    if (op == nullptr) return OpError(index_, {}, {}, "an operation must be an object");
    const json::value* name = op->if_contains("op");
    if (name == nullptr || !name->is_string()) {
      return OpError(index_, {}, {}, "missing or non-string `op`");
    }
    op_ = name->get_string();
    const json::value* path_value = op->if_contains("path");
    if (path_value == nullptr || !path_value->is_string()) {
      return OpError(index_, op_, {}, "missing or non-string `path`");
    }
    path_ = path_value->get_string();
    auto tokens = ParsePointer(path_);
    if (!tokens) return OpFail("malformed JSON pointer");

    if (op_ == "add" || op_ == "replace" || op_ == "test") {
      const json::value* value = op->if_contains("value");
      if (value == nullptr) return OpFail("missing `value`");
      if (op_ == "add") return Add(*tokens, json::value(*value));
      if (op_ == "replace") return Replace(*tokens, *value);
      json::value* target = Resolve(doc_, *tokens, tokens->size());
      if (target == nullptr) return OpFail("path not found");
      if (*target != *value) return OpFail("test failed");
      return {};
    }
    if (op_ == "remove") {
      KW_ASSIGN_OR_RETURN(json::value removed, Remove(*tokens));
      return {};
    }
    if (op_ == "move" || op_ == "copy") {
      const json::value* from_value = op->if_contains("from");
      if (from_value == nullptr || !from_value->is_string()) {
        return OpFail("missing or non-string `from`");
      }
      const std::string_view from = from_value->get_string();
      auto from_tokens = ParsePointer(from);
      if (!from_tokens) return OpFail("malformed `from` JSON pointer");
      if (op_ == "copy") {
        json::value* source = Resolve(doc_, *from_tokens, from_tokens->size());
        if (source == nullptr) return OpFail("`from` path not found");
        return Add(*tokens, json::value(*source));
      }
      // A value cannot be moved into one of its own children.
      if (path_.size() > from.size() && path_.starts_with(from) && path_[from.size()] == '/') {
        return OpFail("cannot move a value into one of its children");
      }
      if (path_ == from) {
        if (Resolve(doc_, *from_tokens, from_tokens->size()) == nullptr) {
          return OpFail("`from` path not found");
        }
        return {};
      }
      KW_ASSIGN_OR_RETURN(json::value moved, Remove(*from_tokens));
      return Add(*tokens, std::move(moved));
    }
    return OpFail("unknown operation");
  }

 private:
  std::unexpected<kw::Error> OpFail(std::string_view what) const {
    return OpError(index_, op_, path_, what);
  }

  Result<void> Add(const std::vector<std::string>& tokens, json::value value) {
    if (tokens.empty()) {
      doc_ = std::move(value);
      return {};
    }
    json::value* parent = Resolve(doc_, tokens, tokens.size() - 1);
    if (parent == nullptr) return OpFail("parent path not found");
    const std::string& last = tokens.back();
    if (json::object* obj = parent->if_object()) {
      (*obj)[last] = std::move(value);
      return {};
    }
    if (json::array* arr = parent->if_array()) {
      if (last == "-") {
        arr->emplace_back(std::move(value));
        return {};
      }
      // Inserting at `size` (one past the end) is allowed for add.
      auto index = ParseIndex(last, arr->size() + 1);
      if (!index) return OpFail("array index out of range or malformed");
      arr->insert(arr->begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
      return {};
    }
    return OpFail("parent is neither an object nor an array");
  }

  Result<json::value> Remove(const std::vector<std::string>& tokens) {
    if (tokens.empty()) return OpFail("cannot remove the document root");
    json::value* parent = Resolve(doc_, tokens, tokens.size() - 1);
    if (parent == nullptr) return OpFail("path not found");
    const std::string& last = tokens.back();
    if (json::object* obj = parent->if_object()) {
      auto it = obj->find(last);
      if (it == obj->end()) return OpFail("path not found");
      json::value removed = std::move(it->value());
      obj->erase(it);
      return removed;
    }
    if (json::array* arr = parent->if_array()) {
      auto index = ParseIndex(last, arr->size());
      if (!index) return OpFail("path not found");
      json::value removed = std::move((*arr)[*index]);
      arr->erase(arr->begin() + static_cast<std::ptrdiff_t>(*index));
      return removed;
    }
    return OpFail("path not found");
  }

  Result<void> Replace(const std::vector<std::string>& tokens, const json::value& value) {
    json::value* target = Resolve(doc_, tokens, tokens.size());
    if (target == nullptr) return OpFail("path not found");
    *target = value;
    return {};
  }

  json::value& doc_;
  std::size_t index_ = 0;
  std::string_view op_;
  std::string_view path_;
};

}  // namespace

void AppendPointerToken(std::string& pointer, std::string_view token) {
  pointer.push_back('/');
  // (Not find_first_of: libstdc++ makes it a memchr call per byte of the token.)
  if (std::none_of(token.begin(), token.end(), [](char c) { return c == '~' || c == '/'; })) {
    pointer.append(token);
    return;
  }
  for (char c : token) {
    if (c == '~') {
      pointer.append("~0");
    } else if (c == '/') {
      pointer.append("~1");
    } else {
      pointer.push_back(c);
    }
  }
}

void internal::PatchWriter::Begin(std::string_view op) {
  pointer_.clear();
  for (const Token& token : path_) {
    if (token.key.data() != nullptr) {
      AppendPointerToken(pointer_, token.key);
    } else {
      char digits[24];
      pointer_.push_back('/');
      pointer_.append(digits, std::to_chars(digits, digits + sizeof digits, token.index).ptr);
    }
  }
  if (ops_++ != 0) out_.push_back(',');
  out_.append(R"({"op":")").append(op).append(R"(","path":)");
  AppendJsonString(out_, pointer_);
}

void internal::PatchWriter::Op(std::string_view op, const dom::element* value) {
  Begin(op);
  if (value != nullptr) {
    out_.append(R"(,"value":)");
    internal::AppendElementJson(out_, *value);
  }
  out_.push_back('}');
}

void internal::PatchWriter::Op(std::string_view op, std::string_view verbatim_value) {
  Begin(op);
  out_.append(R"(,"value":)").append(verbatim_value).push_back('}');
}

void internal::DiffElements(PatchWriter& writer, dom::element from, dom::element to) {
  DomDiff(writer).Diff(from, to);
}

Result<std::string> Diff(std::string_view from_json, std::string_view to_json) {
  const auto syntax_error = [](simdjson::error_code code) -> Result<std::string> {
    return Fail(ErrorKind::kSyntax,
                std::string(kInvalidJsonPrefix) + simdjson::error_message(code));
  };
  return internal::WithDom(from_json, syntax_error, [&](dom::element from) {
    return internal::WithDom(to_json, syntax_error, [&](dom::element to) -> Result<std::string> {
      std::string patch = "[";
      internal::PatchWriter writer(patch);
      internal::DiffElements(writer, from, to);
      patch.push_back(']');
      return patch;
    });
  });
}

Result<void> ApplyPatchInPlace(json::value& doc, const json::array& patch) {
  Patcher patcher(doc);
  for (std::size_t i = 0; i < patch.size(); ++i) KW_TRY(patcher.Apply(i, patch[i]));
  return {};
}

Result<json::value> ApplyPatch(const json::value& doc, const json::array& patch) {
  json::value copy = doc;
  KW_TRY(ApplyPatchInPlace(copy, patch));
  return copy;
}

}  // namespace kw::admission
