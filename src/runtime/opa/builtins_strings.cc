// strings.*, array.* and object.* builtins that `opa build -t wasm` leaves to the host.
//
// Sets are held as rego_value.h says; where a module cannot exchange them they arrive and leave
// as arrays, so a builtin that takes "a set or an array" treats both alike.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/utf8.h"
#include "runtime/opa/builtins_internal.h"
#include "runtime/opa/rego_value.h"

namespace kw::runtime::opa::internal {
namespace {

// OPA's StringSliceOperand: a string array (or set), or "operand <n> must be array of strings
// but got array containing number".
Result<std::vector<std::string_view>> StringElements(std::string_view builtin,
                                                     const json::array& array, std::size_t n) {
  std::vector<std::string_view> out;
  out.reserve(array.size());
  for (const json::value& element : array) {
    if (!element.is_string()) {
      return std::unexpected(BuiltinError(builtin, "operand " + std::to_string(n) +
                                                       " must be array of strings but got array "
                                                       "containing " +
                                                       std::string(TypeName(element))));
    }
    out.emplace_back(element.get_string());
  }
  return out;
}

// A string, or an array or set of strings (strings.any_prefix_match's operands).
Result<std::vector<std::string_view>> StringOrStrings(std::string_view builtin,
                                                      std::span<const json::value> args,
                                                      std::size_t n) {
  const json::value& arg = args[n - 1];
  if (arg.is_string()) return std::vector<std::string_view>{std::string_view(arg.get_string())};
  if (const json::array* elements = ArrayOrSetElements(arg)) {
    return StringElements(builtin, *elements, n);
  }
  return std::unexpected(OperandTypesError(builtin, n, {"string", "set", "array"}, arg));
}

template <bool kSuffix>
Result<json::value> AnyAffixMatch(std::string_view name, std::span<const json::value> args) {
  KW_TRY(CheckArity(name, args, 2));
  KW_ASSIGN_OR_RETURN(auto strings, StringOrStrings(name, args, 1));
  KW_ASSIGN_OR_RETURN(auto affixes, StringOrStrings(name, args, 2));
  for (std::string_view s : strings) {
    for (std::string_view affix : affixes) {
      if (kSuffix ? s.ends_with(affix) : s.starts_with(affix)) return json::value(true);
    }
  }
  return json::value(false);
}

Result<json::value> AnyPrefixMatch(const BuiltinContext&, std::span<const json::value> args) {
  return AnyAffixMatch<false>("strings.any_prefix_match", args);
}

Result<json::value> AnySuffixMatch(const BuiltinContext&, std::span<const json::value> args) {
  return AnyAffixMatch<true>("strings.any_suffix_match", args);
}

// Go's strings.Replacer: at each offset the highest-priority old string (the earliest pair)
// that starts there is replaced and the scan resumes after it; an empty old string matches
// before each rune and at the end, but not twice in a row at the same offset.
std::string ReplaceAll(std::string_view s,
                       const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  std::string out;
  bool previous_match_empty = false;
  for (std::size_t i = 0; i <= s.size();) {
    const std::pair<std::string_view, std::string_view>* match = nullptr;
    for (const auto& pair : pairs) {
      if (pair.first.empty() && previous_match_empty) continue;
      if (s.substr(i).starts_with(pair.first)) {
        match = &pair;
        break;
      }
    }
    previous_match_empty = match != nullptr && match->first.empty();
    if (match != nullptr) {
      out += match->second;
      i += match->first.size();
      continue;
    }
    // No match here: the next match starts at the next rune (old strings are UTF-8, so only
    // the empty one could match inside a rune; Go inserts it after each UTF-8 sequence).
    std::size_t width = i < s.size() ? DecodeUtf8OrReplacement(s.substr(i)).length : 1;
    out += s.substr(i, width);
    i += width;
  }
  return out;
}

// Bounds what one strings.replace_n call may build (every offset may receive a replacement)
// and the prefix tests it may make (host code is not interrupted by the policy's deadline).
constexpr std::size_t kMaxReplacedBytes = 64 * 1024 * 1024;
constexpr std::size_t kMaxReplaceWork = 200'000'000;

Result<json::value> ReplaceN(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "strings.replace_n";
  KW_TRY(CheckArity(kName, args, 2));
  if (!args[0].is_object()) return std::unexpected(OperandTypeError(kName, 1, "object", args[0]));
  KW_ASSIGN_OR_RETURN(std::string_view s, StringOperand(kName, args, 2));
  // OPA hands the pairs to strings.NewReplacer in key order, which is also their priority.
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  std::size_t longest_new = 0;
  for (const auto& kv : args[0].get_object()) {
    if (!kv.value().is_string()) {
      return std::unexpected(
          BuiltinError(kName, "operand 1 non-string value found in pattern object"));
    }
    pairs.emplace_back(std::string_view(kv.key()), std::string_view(kv.value().get_string()));
    longest_new = std::max(longest_new, pairs.back().second.size());
  }
  std::sort(pairs.begin(), pairs.end());
  if ((s.size() + 1) * longest_new > kMaxReplacedBytes ||
      (s.size() + 1) * pairs.size() > kMaxReplaceWork) {
    return std::unexpected(BuiltinError(kName, "result too large"));
  }
  return json::value(json::string(ReplaceAll(s, pairs)));
}

Result<json::value> Reverse(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "strings.reverse";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view s, StringOperand(kName, args, 1));
  std::vector<std::string_view> runes;
  while (!s.empty()) {
    std::size_t length = DecodeUtf8OrReplacement(s).length;
    runes.push_back(s.substr(0, length));
    s.remove_prefix(length);
  }
  std::string out;
  for (auto it = runes.rbegin(); it != runes.rend(); ++it) out += *it;
  return json::value(json::string(out));
}

// Go's strings.Count: non-overlapping occurrences; an empty substring is found between runes.
Result<json::value> Count(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "strings.count";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view s, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view sub, StringOperand(kName, args, 2));
  if (sub.empty()) return json::value(static_cast<std::int64_t>(CountRunes(s) + 1));
  std::int64_t count = 0;
  for (std::size_t pos = s.find(sub); pos != std::string_view::npos;
       pos = s.find(sub, pos + sub.size())) {
    ++count;
  }
  return json::value(count);
}

// indexof_n: every index (in runes, as OPA's indexof) where `search` starts, overlaps included.
Result<json::value> IndexOfN(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "indexof_n";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view s, StringOperand(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view search, StringOperand(kName, args, 2));
  if (search.empty()) return std::unexpected(BuiltinError(kName, "empty search character"));
  json::array out;
  std::int64_t rune_index = 0;
  for (std::size_t i = 0; i < s.size(); ++rune_index) {
    if (s.substr(i).starts_with(search)) out.emplace_back(rune_index);
    i += DecodeUtf8OrReplacement(s.substr(i)).length;
  }
  return json::value(std::move(out));
}

Result<json::value> ArrayReverse(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "array.reverse";
  KW_TRY(CheckArity(kName, args, 1));
  if (!args[0].is_array()) return std::unexpected(OperandTypeError(kName, 1, "array", args[0]));
  json::array out(args[0].get_array().rbegin(), args[0].get_array().rend());
  return json::value(std::move(out));
}

Result<json::value> ObjectKeys(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "object.keys";
  KW_TRY(CheckArity(kName, args, 1));
  if (!args[0].is_object()) return std::unexpected(OperandTypeError(kName, 1, "object", args[0]));
  std::vector<std::string_view> keys;
  for (const auto& kv : args[0].get_object()) keys.emplace_back(kv.key());
  json::array out;
  for (std::string_view key : keys) out.emplace_back(json::string(key));
  return MakeSet(std::move(out));
}

// OPA's object.subset: every key of `sub` in `super`, objects compared recursively; an array
// is a subset of another when it appears in it as a contiguous run.
bool IsSubset(const json::value& super, const json::value& sub) {
  if (IsSet(sub) && ArrayOrSetElements(super) != nullptr) {
    // A set is a subset of a set, or of an array, holding each of its elements.
    const json::array& a = *ArrayOrSetElements(super);
    for (const json::value& element : *ArrayOrSetElements(sub)) {
      if (std::find(a.begin(), a.end(), element) == a.end()) return false;
    }
    return true;
  }
  if (super.is_object() && sub.is_object()) {
    for (const auto& kv : sub.get_object()) {
      const json::value* value = super.get_object().if_contains(kv.key());
      if (value == nullptr) return false;
      if (ArrayOrSetElements(kv.value()) == nullptr && value->is_object() &&
          kv.value().is_object()) {
        if (!IsSubset(*value, kv.value())) return false;
      } else if (*value != kv.value()) {
        return false;
      }
    }
    return true;
  }
  if (super.is_array() && sub.is_array()) {
    const json::array& a = super.get_array();
    const json::array& b = sub.get_array();
    if (b.empty()) return true;
    return std::search(a.begin(), a.end(), b.begin(), b.end()) != a.end();
  }
  return super == sub;
}

Result<json::value> ObjectSubset(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "object.subset";
  KW_TRY(CheckArity(kName, args, 2));
  bool same_kind = (args[0].is_object() && args[1].is_object() &&
                    IsSet(args[0]) == IsSet(args[1])) ||
                   (args[0].is_array() && args[1].is_array()) ||
                   (ArrayOrSetElements(args[0]) != nullptr && IsSet(args[1]));
  if (!same_kind) {
    return std::unexpected(BuiltinError(
        kName, "both arguments object.subset must be of the same type or array and set"));
  }
  return json::value(IsSubset(args[0], args[1]));
}

// object.union's merge: `b` wins, objects present in both are merged key by key.
void MergeInto(json::object& a, const json::object& b) {
  for (const auto& kv : b) {
    json::value* existing = a.if_contains(kv.key());
    if (existing != nullptr && existing->is_object() && kv.value().is_object()) {
      MergeInto(existing->get_object(), kv.value().get_object());
    } else {
      a[kv.key()] = kv.value();
    }
  }
}

Result<json::value> ObjectUnionN(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "object.union_n";
  KW_TRY(CheckArity(kName, args, 1));
  if (!args[0].is_array()) return std::unexpected(OperandTypeError(kName, 1, "array", args[0]));
  json::object out;
  for (const json::value& element : args[0].get_array()) {
    if (!element.is_object()) {
      return std::unexpected(BuiltinError(kName, "operand 1 must be array of objects but got "
                                                 "array containing " +
                                                     std::string(TypeName(element))));
    }
    MergeInto(out, element.get_object());
  }
  return json::value(std::move(out));
}

constexpr BuiltinEntry kBuiltins[] = {
    {"array.reverse", ArrayReverse},
    {"indexof_n", IndexOfN},
    {"object.keys", ObjectKeys},
    {"object.subset", ObjectSubset},
    {"object.union_n", ObjectUnionN},
    {"strings.any_prefix_match", AnyPrefixMatch},
    {"strings.any_suffix_match", AnySuffixMatch},
    {"strings.count", Count},
    {"strings.replace_n", ReplaceN},
    {"strings.reverse", Reverse},
};

}  // namespace

std::span<const BuiltinEntry> StringsBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
