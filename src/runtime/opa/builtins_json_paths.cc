// json.filter and json.remove: keep or drop the parts of an object that paths name, as OPA's
// topdown does. A path is "a/b/0" (JSON Pointer escapes ~0 and ~1, the leading "/" optional) or
// an array of segments; array elements are named by their index.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/opa/builtins_internal.h"
#include "runtime/opa/rego_value.h"

namespace kw::runtime::opa::internal {
namespace {

// The paths as a tree, OPA's pathsToObject: each segment a key, a path's end null (everything
// below it). A shorter path over a longer one keeps the shorter's null.
Result<json::value> PathTree(std::string_view builtin, const json::value& operand) {
  const json::array* paths = ArrayOrSetElements(operand);
  if (paths == nullptr) return std::unexpected(OperandTypesError(builtin, 2, {"set", "array"}, operand));
  json::value root = json::object();
  for (const json::value& path : *paths) {
    std::vector<std::string> segments;
    if (path.is_string()) {
      std::string_view text = path.get_string();
      if (text.empty()) continue;
      while (!text.empty() && text.front() == '/') text.remove_prefix(1);
      while (true) {
        std::size_t slash = text.find('/');
        std::string part(text.substr(0, slash));
        std::string unescaped;
        for (std::size_t i = 0; i < part.size(); ++i) {
          if (part[i] == '~' && i + 1 < part.size() && (part[i + 1] == '1' || part[i + 1] == '0')) {
            unescaped.push_back(part[i + 1] == '1' ? '/' : '~');
            ++i;
          } else {
            unescaped.push_back(part[i]);
          }
        }
        segments.push_back(std::move(unescaped));
        if (slash == std::string_view::npos) break;
        text.remove_prefix(slash + 1);
      }
    } else if (path.is_array()) {
      for (const json::value& segment : path.get_array()) segments.push_back(ObjectKeyText(segment));
    } else {
      return std::unexpected(BuiltinError(
          builtin, "operand 2 must be one of {set, array} containing string paths or array of path segments but got " +
                       std::string(TypeName(path))));
    }
    if (segments.empty()) continue;
    json::value* node = &root;
    bool covered = false;  // by a shorter path already
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
      json::object& members = node->get_object();
      json::value* child = members.if_contains(segments[i]);
      if (child == nullptr) {
        node = &(members[segments[i]] = json::object());
      } else if (child->is_null()) {
        covered = true;
        break;
      } else {
        node = child;
      }
    }
    if (!covered) node->get_object()[segments.back()] = nullptr;
  }
  return root;
}

// OPA's filterObject: what `filter` (a path tree, or null for everything) names in `value`.
json::value Filtered(const json::value& value, const json::value& filter) {
  if (filter.is_null()) return value;
  const json::object& names = filter.get_object();
  if (IsSet(value)) {
    json::array kept;
    for (const json::value& element : *ArrayOrSetElements(value)) {
      if (const json::value* sub = names.if_contains(ObjectKeyText(element))) kept.push_back(Filtered(element, *sub));
    }
    return MakeSet(std::move(kept));
  }
  if (value.is_array()) {
    json::array kept;
    const json::array& elements = value.get_array();
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (const json::value* sub = names.if_contains(std::to_string(i))) kept.push_back(Filtered(elements[i], *sub));
    }
    return json::value(std::move(kept));
  }
  if (value.is_object()) {
    json::object kept;
    for (const auto& kv : value.get_object()) {
      if (const json::value* sub = names.if_contains(kv.key())) kept[kv.key()] = Filtered(kv.value(), *sub);
    }
    return json::value(std::move(kept));
  }
  return value;
}

// OPA's jsonRemove: `value` without what the path tree `paths` ends on (nullopt: all of it).
// Removed array elements close up, as in JSON Patch.
std::optional<json::value> Removed(const json::value& value, const json::value* paths) {
  if (paths == nullptr || (!paths->is_null() && !paths->is_object())) return value;
  if (paths->is_null()) return std::nullopt;
  const json::object& names = paths->get_object();
  if (IsSet(value)) {
    json::array kept;
    for (const json::value& element : *ArrayOrSetElements(value)) {
      if (auto rest = Removed(element, names.if_contains(ObjectKeyText(element)))) kept.push_back(std::move(*rest));
    }
    return MakeSet(std::move(kept));
  }
  if (value.is_array()) {
    json::array kept;
    const json::array& elements = value.get_array();
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (auto rest = Removed(elements[i], names.if_contains(std::to_string(i)))) kept.push_back(std::move(*rest));
    }
    return json::value(std::move(kept));
  }
  if (value.is_object()) {
    json::object kept;
    for (const auto& kv : value.get_object()) {
      if (auto rest = Removed(kv.value(), names.if_contains(kv.key()))) kept[kv.key()] = std::move(*rest);
    }
    return json::value(std::move(kept));
  }
  return value;
}

Result<const json::value*> ObjectOperand(std::string_view builtin, std::span<const json::value> args) {
  if (!args[0].is_object() || IsSet(args[0])) return std::unexpected(OperandTypeError(builtin, 1, "object", args[0]));
  return &args[0];
}

Result<json::value> JsonFilter(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "json.filter";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(const json::value* object, ObjectOperand(kName, args));
  KW_ASSIGN_OR_RETURN(json::value paths, PathTree(kName, args[1]));
  return Filtered(*object, paths);
}

Result<json::value> JsonRemove(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "json.remove";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(const json::value* object, ObjectOperand(kName, args));
  KW_ASSIGN_OR_RETURN(json::value paths, PathTree(kName, args[1]));
  // The tree is an object, so the object itself is never removed whole.
  return *Removed(*object, &paths);
}

constexpr BuiltinEntry kBuiltins[] = {
    {"json.filter", JsonFilter},
    {"json.remove", JsonRemove},
};

}  // namespace

std::span<const BuiltinEntry> JsonPathsBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
