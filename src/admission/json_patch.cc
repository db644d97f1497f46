#include "admission/json_patch.h"

#include <charconv>
#include <optional>
#include <utility>
#include <vector>

namespace kw::admission {
namespace {

void AddOp(json::array& ops, std::string_view op, const std::string& path,
           const json::value* value) {
  json::object o(ops.storage());
  o.reserve(value != nullptr ? 3 : 2);
  o.emplace("op", op);
  o.emplace("path", path);
  if (value != nullptr) o.emplace("value", *value);
  ops.emplace_back(std::move(o));
}

// `path` is a shared buffer: each level appends its token and truncates back, so no path
// string is built per node unless an operation is emitted.
void DiffInto(const json::value& from, const json::value& to, std::string& path, json::array& ops) {
  if (from.kind() == json::kind::object && to.kind() == json::kind::object) {
    const json::object& a = from.get_object();
    const json::object& b = to.get_object();
    const std::size_t base = path.size();
    for (const auto& kv : a) {
      auto it = b.find(kv.key());
      AppendPointerToken(path, kv.key());
      if (it == b.end()) {
        AddOp(ops, "remove", path, nullptr);
      } else {
        DiffInto(kv.value(), it->value(), path, ops);
      }
      path.resize(base);
    }
    for (const auto& kv : b) {
      if (a.contains(kv.key())) continue;
      AppendPointerToken(path, kv.key());
      AddOp(ops, "add", path, &kv.value());
      path.resize(base);
    }
    return;
  }
  if (from.kind() == json::kind::array && to.kind() == json::kind::array) {
    const json::array& a = from.get_array();
    const json::array& b = to.get_array();
    const std::size_t base = path.size();
    const std::size_t common = std::min(a.size(), b.size());
    const auto append_index = [&](std::size_t i) {
      path.push_back('/');
      path.append(std::to_string(i));
    };
    for (std::size_t i = 0; i < common; ++i) {
      append_index(i);
      DiffInto(a[i], b[i], path, ops);
      path.resize(base);
    }
    for (std::size_t i = common; i < b.size(); ++i) {
      append_index(i);
      AddOp(ops, "add", path, &b[i]);
      path.resize(base);
    }
    for (std::size_t i = a.size(); i > common; --i) {
      append_index(i - 1);
      AddOp(ops, "remove", path, nullptr);
      path.resize(base);
    }
    return;
  }
  if (from != to) AddOp(ops, "replace", path, &to);
}

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

json::array Diff(const json::value& from, const json::value& to) {
  json::array ops;
  std::string path;
  DiffInto(from, to, path, ops);
  return ops;
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
