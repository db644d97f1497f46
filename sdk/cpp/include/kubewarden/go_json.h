// kubewarden/go_json.h: decoding settings the way Go's encoding/json does, for policies whose
// upstream is written in Go (policies.md §1.3: their decode errors are Go's texts).
//
//   GoFieldMatches("allowedtypes", "allowedTypes")  -> true (exact, else ASCII case-insensitive)
//   GoTypeError(value, "Settings.allowedTypes", "[]string")
//     -> json: cannot unmarshal string into Go struct field Settings.allowedTypes of type []string
//   GoDecodeStringList(value, ".allowedTypes", list, error)
//
// All functions are pure.
#ifndef KUBEWARDEN_GO_JSON_H_
#define KUBEWARDEN_GO_JSON_H_

#include <string>
#include <string_view>

#include "kubewarden/json.h"

namespace kubewarden {

// encoding/json's field matching: the key equals the field name, ignoring ASCII case.
inline bool GoFieldMatches(std::string_view key, std::string_view field) {
  if (key.size() != field.size()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    char a = key[i], b = field[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// The text of Go's UnmarshalTypeError for `value` decoded into `type`. `field` is the struct
// field path ("" for the top-level value). Go names a number by its literal when the number
// itself is what does not fit (a negative or fractional number into an unsigned integer):
// `with_number_text` asks for that form ("number -1").
inline std::string GoTypeError(const json::Value& value, std::string_view field,
                               std::string_view type, bool with_number_text = false) {
  static constexpr std::string_view kJsonTypes[] = {"null",   "bool",  "number",
                                                    "string", "array", "object"};
  std::string out = "json: cannot unmarshal ";
  out.append(kJsonTypes[static_cast<int>(value.type())]);
  if (with_number_text && value.IsNumber()) out.append(" ").append(value.NumberText());
  if (field.empty()) {
    out.append(" into Go value of type ");
  } else {
    out.append(" into Go struct field ").append(field).append(" of type ");
  }
  out.append(type);
  return out;
}

// Decodes a `[]string` field the way encoding/json does into `out` (a container of
// std::string_view or std::string with push_back and clear): null leaves it empty, a null
// element becomes "", and the first type error is recorded in `error` (when still empty), so
// that the caller can report the first problem of the whole document.
template <typename List>
void GoDecodeStringList(const json::Value& value, std::string_view field, List& out,
                        std::string& error) {
  out.clear();
  if (value.IsNull()) return;
  if (!value.IsArray()) {
    if (error.empty()) error = GoTypeError(value, field, "[]string");
    return;
  }
  for (const json::Value& e : value) {
    if (e.IsString() || e.IsNull()) {
      out.push_back(typename List::value_type(e.AsString().value_or(std::string_view())));
    } else if (error.empty()) {
      error = GoTypeError(e, field, "string");
    }
  }
}

}  // namespace kubewarden

#endif  // KUBEWARDEN_GO_JSON_H_
