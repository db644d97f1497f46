#include "variables.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "jmespath.h"
#include "scalars.h"

namespace kyverno {
namespace {

constexpr int kMaxSubstitutions = 1000;
constexpr std::size_t kMaxCachedExpressions = 512;

// A guest is single-threaded, and wasi-libc has no __cxa_thread_atexit for thread_local
// objects with destructors; on the host each thread keeps its own cache.
#if defined(__wasm__)
#define KYVERNO_CACHE_STORAGE static
#else
#define KYVERNO_CACHE_STORAGE thread_local
#endif

// The resource value at a pattern path (keys with anchors already stripped by the caller).
const Value* AtPath(const Value* v, const std::vector<std::string>& path) {
  for (const std::string& k : path) {
    if (v == nullptr) return nullptr;
    if (v->is_array()) {
      std::size_t i = static_cast<std::size_t>(ParseUnsignedPrefix(k, 10).value);
      v = i < v->as_array().size() ? &v->as_array()[i] : nullptr;
    } else {
      v = v->Find(k);
    }
  }
  return v;
}

// The key without its anchor: (k) <(k) X(k) =(k) ^(k) +(k) → k.
std::string StripAnchor(const std::string& key) {
  if (key.size() >= 3 && key.back() == ')') {
    std::size_t open = key.find('(');
    if (open != std::string::npos && open <= 1) return key.substr(open + 1, key.size() - open - 2);
  }
  return key;
}

bool Substitute(std::string_view text, const VariableScope& scope, const std::vector<std::string>* path, Value* out,
                std::string* error) {
  std::string s(text);
  for (int round = 0; round < kMaxSubstitutions; ++round) {
    // The innermost unescaped "{{ ... }}": the last "{{" that a "}}" follows.
    std::size_t open = std::string::npos;
    std::size_t search = s.size();
    while (search > 0) {
      std::size_t k = s.rfind("{{", search - 1);
      if (k == std::string::npos) break;
      if (k > 0 && s[k - 1] == '\\') {
        search = k;
        continue;
      }
      if (s.find("}}", k + 2) != std::string::npos) {
        open = k;
        break;
      }
      search = k;
    }
    if (open == std::string::npos) break;
    std::size_t close = s.find("}}", open + 2);
    // A "}}}" closes with its last two braces (a hash {a: b} ends the expression).
    while (close + 2 < s.size() && s[close + 2] == '}') ++close;
    std::string expr(s.substr(open + 2, close - open - 2));
    std::size_t b = expr.find_first_not_of(" \t\n");
    std::size_t e = expr.find_last_not_of(" \t\n");
    expr = b == std::string::npos ? "" : expr.substr(b, e - b + 1);
    Value result;
    if (expr == "@" && scope.resource != nullptr && path != nullptr) {
      const Value* at = AtPath(scope.resource, *path);
      result = at != nullptr ? *at : Value();
    } else if (!Query(expr, scope, &result, error)) {
      return false;
    }
    if (open == 0 && close + 2 == s.size()) {
      *out = std::move(result);
      return true;
    }
    std::string text_value = result.is_string() ? result.as_string() : ToJson(result);
    s.replace(open, close + 2 - open, text_value);
  }
  *out = Value(ReplaceAll(std::move(s), "\\{{", "{{"));
  return true;
}

// Whether a string anywhere in `in` holds "{{" (beyond the walk's depth limit: assume so, and
// let the walk report the depth).
bool HasVariables(const Value& in, int depth) {
  if (depth > 256) return true;
  switch (in.type()) {
    case Value::Type::kString: return in.as_string().find("{{") != std::string::npos;
    case Value::Type::kArray:
      for (const Value& e : in.as_array()) {
        if (HasVariables(e, depth + 1)) return true;
      }
      return false;
    case Value::Type::kObject:
      for (const auto& [k, v] : in.as_object()) {
        if (HasVariables(v, depth + 1)) return true;
      }
      return false;
    default: return false;
  }
}

bool SubstituteWalk(const Value& in, const VariableScope& scope, std::vector<std::string>* path, Value* out,
                    std::string* error, int depth) {
  if (depth > 256) {
    *error = "value nests too deeply";
    return false;
  }
  switch (in.type()) {
    case Value::Type::kString:
      if (in.as_string().find("{{") == std::string::npos) {
        *out = in;
        return true;
      }
      return Substitute(in.as_string(), scope, path, out, error);
    case Value::Type::kArray: {
      Array items;
      const Array& a = in.as_array();
      for (std::size_t i = 0; i < a.size(); ++i) {
        path->push_back(std::to_string(i));
        items.emplace_back();
        bool ok = SubstituteWalk(a[i], scope, path, &items.back(), error, depth + 1);
        path->pop_back();
        if (!ok) return false;
      }
      *out = Value(std::move(items));
      return true;
    }
    case Value::Type::kObject: {
      Object members;
      for (const auto& [k, v] : in.as_object()) {
        path->push_back(StripAnchor(k));
        Value member;
        bool ok = SubstituteWalk(v, scope, path, &member, error, depth + 1);
        path->pop_back();
        if (!ok) return false;
        members.emplace(k, std::move(member));
      }
      *out = Value(std::move(members));
      return true;
    }
    default:
      *out = in;
      return true;
  }
}

}  // namespace

bool Query(std::string_view expression, const VariableScope& scope, Value* out, std::string* error) {
  std::string deleted;
  std::string_view expr = expression;
  if (scope.is_delete) {
    deleted = ReplaceAll(std::string(expression), "request.object", "request.oldObject");
    expr = deleted;
  }
  // A policy's variables are the same on every request: parse each once (a bounded cache,
  // emptied when full, so hostile policies cannot grow it without end). Sorted by text and
  // looked up by string_view, so a cache hit allocates nothing; a vector rather than a tree
  // keeps the module free of another container family.
  using Parsed = std::pair<std::string, std::optional<jmespath::Expression>>;
  KYVERNO_CACHE_STORAGE std::vector<Parsed> parsed;
  auto it = std::lower_bound(parsed.begin(), parsed.end(), expr,
                             [](const Parsed& entry, std::string_view text) { return entry.first < text; });
  if (it == parsed.end() || it->first != expr) {
    std::optional<jmespath::Expression> e = jmespath::Expression::Parse(expr, error);
    if (!e) return false;
    if (parsed.size() >= kMaxCachedExpressions) {
      parsed.clear();
      it = parsed.end();
    }
    it = parsed.emplace(it, std::string(expr), std::move(e));
  }
  return it->second->Evaluate(*scope.context, out, error);
}

bool SubstituteString(std::string_view text, const VariableScope& scope, Value* out, std::string* error) {
  return Substitute(text, scope, nullptr, out, error);
}

bool SubstituteAll(const Value& in, const VariableScope& scope, Value* out, std::string* error) {
  // Most patterns have no variable: share them instead of rebuilding them on every request.
  if (!HasVariables(in, 0)) {
    *out = in;
    return true;
  }
  std::vector<std::string> path;
  return SubstituteWalk(in, scope, &path, out, error, 0);
}

}  // namespace kyverno
