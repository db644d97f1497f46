// policies/common/go_decode.h: decoding JSON into Go-style structs with Go's encoding/json rules
// and error texts, for the ports of upstream Go policies (policies-more.md §21, §24-§26).
//
//   std::string error;  // the first problem, in document order, as encoding/json keeps it
//   GoDecodeStruct(payload, {"", "main.RawValidationRequest"}, {"request", "settings"},
//                  /*strict=*/true, error, [&](std::size_t field, const kw::json::Value& v) {...});
//
// Go matches keys to fields ignoring ASCII case, leaves a field untouched on `null`, and goes on
// decoding after a type error (or, with DisallowUnknownFields, an unknown key), reporting the
// first one only. Type errors name the innermost struct and the path of JSON keys from the
// root: `json: cannot unmarshal number into Go struct field Request.request.user of type
// string`. Pure functions; the SDK's go_json.h gives the texts.
#ifndef POLICIES_COMMON_GO_DECODE_H_
#define POLICIES_COMMON_GO_DECODE_H_

#include <initializer_list>
#include <string>
#include <string_view>

#include <kubewarden/go_json.h>
#include <kubewarden/json.h>

namespace kw_policies {

namespace kw = kubewarden;

// Where a value sits, for error texts: `field` is "<Struct>.<json path>" ("" at the top
// level), `go_type` the Go type it decodes into.
struct GoTarget {
  std::string field;
  std::string_view go_type;
};

inline void GoKeepFirst(std::string& error, std::string message) {
  if (error.empty()) error = std::move(message);
}

// Decodes a struct: null leaves it as it is, a non-object is a type error, and each member goes
// to on_field(index of the matching name in `fields`, value). Unmatched members are ignored, or
// with `strict` reported as `json: unknown field "<key>"`.
template <typename OnField>
void GoDecodeStruct(const kw::json::Value& value, const GoTarget& target,
                    std::initializer_list<std::string_view> fields, bool strict,
                    std::string& error, OnField on_field) {
  if (value.IsNull()) return;
  if (!value.IsObject()) {
    GoKeepFirst(error, kw::GoTypeError(value, target.field, target.go_type));
    return;
  }
  for (const kw::json::Value& member : value) {
    std::size_t index = 0;
    for (std::string_view name : fields) {
      if (kw::GoFieldMatches(member.key(), name)) break;
      ++index;
    }
    if (index < fields.size()) {
      on_field(index, member);
    } else if (strict) {
      std::string message = "json: unknown field \"";
      message.append(member.key()).append("\"");
      GoKeepFirst(error, std::move(message));
    }
  }
}

// Decodes a string field: null leaves `out` as it is.
inline void GoDecodeString(const kw::json::Value& value, std::string_view field,
                           std::string_view& out, std::string& error) {
  if (value.IsString()) {
    out = *value.AsString();
  } else if (!value.IsNull()) {
    GoKeepFirst(error, kw::GoTypeError(value, field, "string"));
  }
}

// The Go struct field path of a member: "<Struct>.<parent path>.<key>".
inline std::string GoFieldPath(std::string_view struct_name, std::string_view parent_path,
                               std::string_view key) {
  std::string out(struct_name);
  out.append(".");
  if (!parent_path.empty()) out.append(parent_path).append(".");
  out.append(key);
  return out;
}

// Parses settings text into `doc` (an empty text counts as {}) and decodes it with
// `decode(value, error)`. Returns the first problem (the parser's, or the decoder's), or "".
template <typename Decode>
std::string GoParseSettings(kw::json::Document& doc, std::string_view text, Decode decode) {
  const kw::json::Value* root = doc.Parse(text.empty() ? std::string_view("{}") : text);
  if (root == nullptr) return doc.error();
  std::string error;
  decode(*root, error);
  return error;
}

}  // namespace kw_policies

#endif  // POLICIES_COMMON_GO_DECODE_H_
