// The checks shared by safe-labels (policies.md §17) and safe-annotations (§18): a deny list, a
// mandatory list and regular-expression constraints on one string map of
// request.object.metadata. What differs (the map, the settings fields, the wording, safe-labels'
// JSON check) is a Kind, kLabels or kAnnotations; each policy.cc registers its handlers with
// KUBEWARDEN_SAFE_METADATA_POLICY(kind).
//
// Go-origin. Settings decode like encoding/json into upstream's raw struct
// ({denied,mandatory}_<noun> []string, constrained_<noun> map[string]string): field names match
// case-insensitively, null is absent (a null list entry or map value is ""), a repeated field
// replaces a list but adds to the map, and the first type error in document order is reported
// (`json: cannot unmarshal string into Go struct field .denied_labels of type []string`). The
// constraints are then compiled as Go regular expressions (kubewarden/regex.h); upstream does
// that in map order, which Go randomises: here the first failing one in document order is
// reported. validate_settings prefixes every problem with "Provided settings are not valid: ".
//
// The map is read the way upstream's gjson does: an object's members in document order
// (duplicates included), the elements of an array under the keys "0", "1"...; values that are
// not strings are matched as their JSON text (null as ""). A missing map has no entries.
#ifndef POLICIES_SAFE_LABELS_SAFE_METADATA_H_
#define POLICIES_SAFE_LABELS_SAFE_METADATA_H_

#include <kubewarden/go_json.h>
#include <kubewarden/kubewarden.h>
#include <kubewarden/regex.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safe_metadata {

namespace kw = kubewarden;

// What differs between the two policies.
struct Kind {
  std::string_view map;                // "labels": the metadata map and the noun of the messages
  std::string_view denied_field;       // "denied_labels"
  std::string_view mandatory_field;    // "mandatory_labels"
  std::string_view constrained_field;  // "constrained_labels"
  std::string_view denied_verb;        // "The following labels are <denied_verb>: a,b"
  bool rejects_invalid_json;           // safe-labels' own check (code 400, fixed message)
};

inline constexpr Kind kLabels{
    .map = "labels",
    .denied_field = "denied_labels",
    .mandatory_field = "mandatory_labels",
    .constrained_field = "constrained_labels",
    .denied_verb = "denied",
    .rejects_invalid_json = true,
};

inline constexpr Kind kAnnotations{
    .map = "annotations",
    .denied_field = "denied_annotations",
    .mandatory_field = "mandatory_annotations",
    .constrained_field = "constrained_annotations",
    .denied_verb = "not allowed",
    .rejects_invalid_json = false,
};

struct Constraint {
  std::string_view key;
  const kw::json::Value* pattern = nullptr;  // a string or null (the empty pattern)
  const kw::regex::Regexp* regexp = nullptr;
  std::optional<kw::regex::Regexp> own;  // the compiled pattern when the cache is full
};

// Patterns compiled by earlier calls. A policy instance keeps its settings, so every `validate`
// would otherwise compile the same expressions again (a few µs each). The capacity is reserved
// once and entries are never removed: the pointers handed out stay valid.
struct CachedRegexp {
  std::string pattern;
  kw::regex::Regexp regexp;
};
inline constexpr std::size_t kCacheCapacity = 64;
inline std::vector<CachedRegexp> g_regexp_cache;

// Compiles `pattern` into `c.regexp`; returns Go's error, if any.
inline std::optional<std::string> Compile(std::string_view pattern, Constraint& c) {
  if (g_regexp_cache.capacity() == 0) g_regexp_cache.reserve(kCacheCapacity);
  for (const CachedRegexp& cached : g_regexp_cache) {
    if (cached.pattern == pattern) {
      c.regexp = &cached.regexp;
      return std::nullopt;
    }
  }
  auto compiled = kw::regex::Regexp::Compile(pattern);
  if (!compiled) return compiled.error();
  if (g_regexp_cache.size() < kCacheCapacity) {
    g_regexp_cache.push_back({std::string(pattern), std::move(*compiled)});
    c.regexp = &g_regexp_cache.back().regexp;
  } else {
    c.regexp = &c.own.emplace(std::move(*compiled));
  }
  return std::nullopt;
}

struct Settings {
  std::vector<std::string_view> denied;     // sorted, unique
  std::vector<std::string_view> mandatory;  // sorted, unique
  std::vector<Constraint> constrained;      // in document order, keys unique
};

// The map[string]string field: an object adds its members (a later duplicate key replaces the
// pattern in place), null clears it.
inline void DecodeMap(const kw::json::Value& m, std::string_view field,
                      std::vector<Constraint>& out, std::string& error) {
  if (m.IsNull()) {
    out.clear();
    return;
  }
  if (!m.IsObject()) {
    if (error.empty()) error = kw::GoTypeError(m, field, "map[string]string");
    return;
  }
  for (const kw::json::Value& e : m) {
    if (!e.IsString() && !e.IsNull()) {
      if (error.empty()) error = kw::GoTypeError(e, field, "string");
      continue;
    }
    auto same_key = [&e](const Constraint& c) { return c.key == e.key(); };
    auto it = std::find_if(out.begin(), out.end(), same_key);
    if (it == out.end()) {
      Constraint& c = out.emplace_back();
      c.key = e.key();
      c.pattern = &e;
    } else {
      it->pattern = &e;
    }
  }
}

// Decodes `value` and compiles the constraints; returns Go's decode or regexp error, if any.
inline std::optional<std::string> ReadSettings(const kw::json::Value& value, const Kind& kind,
                                               Settings& settings) {
  if (!value.IsObject()) {
    if (value.IsNull()) return std::nullopt;
    return kw::GoTypeError(value, "", "main.Settings");
  }
  std::string error;
  // Go names the fields of upstream's anonymous struct ".<json name>".
  auto field = [](std::string_view name) { return "." + std::string(name); };
  for (const kw::json::Value& m : value) {
    if (kw::GoFieldMatches(m.key(), kind.denied_field)) {
      kw::GoDecodeStringList(m, field(kind.denied_field), settings.denied, error);
    } else if (kw::GoFieldMatches(m.key(), kind.mandatory_field)) {
      kw::GoDecodeStringList(m, field(kind.mandatory_field), settings.mandatory, error);
    } else if (kw::GoFieldMatches(m.key(), kind.constrained_field)) {
      DecodeMap(m, field(kind.constrained_field), settings.constrained, error);
    }
  }
  if (!error.empty()) return error;
  kw::SortUnique(settings.denied);
  kw::SortUnique(settings.mandatory);
  for (Constraint& c : settings.constrained) {
    if (auto compile_error = Compile(c.pattern->AsString().value_or(""), c)) return compile_error;
  }
  return std::nullopt;
}

// Keys joined by "," (no space), as upstream's messages list them.
inline std::string Join(const std::vector<std::string_view>& keys) {
  std::string out;
  for (std::string_view k : keys) {
    if (!out.empty()) out.push_back(',');
    out.append(k);
  }
  return out;
}

// The keys that are also in the sorted `denied`, sorted and unique.
inline std::vector<std::string_view> DeniedAmong(std::vector<std::string_view> keys,
                                                 const std::vector<std::string_view>& denied) {
  std::erase_if(keys, [&denied](std::string_view k) {
    return !std::binary_search(denied.begin(), denied.end(), k);
  });
  kw::SortUnique(keys);
  return keys;
}

inline kw::SettingsValidationResponse ValidateSettings(const kw::json::Value& value,
                                                       const Kind& kind) {
  constexpr std::string_view kPrefix = "Provided settings are not valid: ";
  Settings settings;
  if (auto error = ReadSettings(value, kind, settings)) {
    return kw::SettingsInvalid(std::string(kPrefix) + *error);
  }
  std::vector<std::string_view> constrained;
  for (const Constraint& c : settings.constrained) constrained.push_back(c.key);
  std::string problems;
  auto add = [&](std::string_view what, const std::vector<std::string_view>& keys) {
    if (keys.empty()) return;
    problems.append(problems.empty() ? kPrefix : "; ");
    problems.append("These ").append(kind.map).append(" cannot be ").append(what);
    problems.append(" and denied at the same time: ").append(Join(keys));
  };
  add("constrained", DeniedAmong(std::move(constrained), settings.denied));
  add("mandatory", DeniedAmong(settings.mandatory, settings.denied));
  if (!problems.empty()) return kw::SettingsInvalid(problems);
  return kw::SettingsValid();
}

// gjson's String() of a map value: strings decoded, null empty, anything else its JSON text.
inline std::string_view ValueText(const kw::json::Value& v, std::string& buffer) {
  switch (v.type()) {
    case kw::json::Type::kString:
      return *v.AsString();
    case kw::json::Type::kNull:
      return "";
    case kw::json::Type::kNumber:
      return v.NumberText();
    default:
      buffer = kw::json::Serialize(v);
      return buffer;
  }
}

inline kw::ValidationResponse Validate(kw::ValidationRequest& request, const Kind& kind) {
  Settings settings;
  if (auto error = ReadSettings(request.settings(), kind, settings)) {
    return kw::Reject(*error, 400);
  }
  const kw::json::Value* object = request.object();
  const kw::json::Value* metadata = object ? object->Find("metadata") : nullptr;
  const kw::json::Value* map = metadata ? metadata->Find(kind.map) : nullptr;

  std::vector<std::string_view> present, denied, violating;
  std::vector<std::string> index_keys;  // the keys of an array's elements
  std::string buffer;
  auto check = [&](std::string_view key, const kw::json::Value& value) {
    present.push_back(key);
    if (std::binary_search(settings.denied.begin(), settings.denied.end(), key)) {
      denied.push_back(key);
      return;
    }
    for (const Constraint& c : settings.constrained) {
      if (c.key == key && !c.regexp->Match(ValueText(value, buffer))) violating.push_back(key);
    }
  };
  if (map != nullptr && map->IsObject()) {
    for (const kw::json::Value& m : *map) check(m.key(), m);
  } else if (map != nullptr && map->IsArray()) {
    index_keys.reserve(map->size());  // `present` keeps views into these strings
    for (const kw::json::Value& e : *map) {
      index_keys.push_back(std::to_string(index_keys.size()));
      check(index_keys.back(), e);
    }
  } else if (map != nullptr) {
    check("", *map);  // gjson iterates a scalar once, with an empty key
  }

  std::sort(present.begin(), present.end());
  std::vector<std::string_view> missing;
  for (std::string_view m : settings.mandatory) {
    if (!std::binary_search(present.begin(), present.end(), m)) missing.push_back(m);
  }

  std::string message;
  auto part = [&](std::string_view which, std::string_view verb,
                  const std::vector<std::string_view>& keys) {
    if (keys.empty()) return;
    if (!message.empty()) message.append(". ");
    message.append("The following ").append(which).append(kind.map).append(" are ").append(verb);
    message.append(": ").append(Join(keys));
  };
  part("", kind.denied_verb, denied);
  part("", "violating user constraints", violating);
  part("mandatory ", "missing", missing);
  if (!message.empty()) return kw::Reject(message);
  return kw::Accept();
}

// What `validate` answers to a payload that is not a JSON object. safe-labels checks the JSON
// first (400, "Not a valid JSON document"); other JSON holds no request, hence no settings and
// no labels, which passes. safe-annotations decodes the payload as Go's ValidationRequest:
// anything else is rejected with 400 and the decoder's error.
inline kw::ValidationResponse RejectPayload(std::string_view payload, const Kind& kind) {
  kw::json::Document doc;
  const kw::json::Value* value = doc.Parse(payload);
  if (kind.rejects_invalid_json) {
    if (value == nullptr) return kw::Reject("Not a valid JSON document", 400);
    return kw::Accept();
  }
  if (value == nullptr) return kw::Reject(doc.error(), 400);
  return kw::Reject(kw::GoTypeError(*value, "", "protocol.ValidationRequest"), 400);
}

// The `validate` operation. Unlike KUBEWARDEN_POLICY's, a payload that is not a JSON object is
// answered (RejectPayload), not a failed call.
template <const Kind& kKind>
bool ValidateHandler(std::string_view payload, std::string& out) {
  kw::ValidationRequest request;
  if (!request.Parse(payload)) {
    out = RejectPayload(payload, kKind).ToJson();
    return true;
  }
  out = Validate(request, kKind).ToJson();
  return true;
}

template <const Kind& kKind>
kw::SettingsValidationResponse ValidateSettingsOf(const kw::json::Value& value) {
  return ValidateSettings(value, kKind);
}

template <const Kind& kKind>
void Register() {
  kw::wapc::RegisterFunction("validate", ValidateHandler<kKind>);
  kw::wapc::RegisterFunction("validate_settings",
                             kw::internal::ValidateSettingsHandler<ValidateSettingsOf<kKind>>);
}

}  // namespace safe_metadata

// Registers the policy's operations for `kind` (kLabels or kAnnotations) and defines the
// module's exports. Use once, at namespace scope.
#define KUBEWARDEN_SAFE_METADATA_POLICY(kind) KUBEWARDEN_WAPC_GUEST(::safe_metadata::Register<kind>)

#endif  // POLICIES_SAFE_LABELS_SAFE_METADATA_H_
