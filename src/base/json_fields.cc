#include "base/json_fields.h"

#include <algorithm>

namespace kw::json_fields {

std::string_view KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "a list";
    case json::kind::object: return "an object";
  }
  return "an unknown value";
}

std::unexpected<Error> Invalid(std::string message) {
  return Fail(ErrorKind::kInvalidArgument, std::move(message));
}

std::unexpected<Error> WrongType(std::string_view field, std::string_view expected,
                                 const json::value& got) {
  return Invalid("field '" + std::string(field) + "' must be " + std::string(expected) + ", got " +
                 std::string(KindName(got)));
}

std::string Indexed(std::string_view field, std::size_t index) {
  return std::string(field) + "[" + std::to_string(index) + "]";
}

std::vector<std::string> UnknownKeys(const json::object& object,
                                     std::span<const std::string_view> known) {
  std::vector<std::string> unknown;
  for (const auto& member : object) {
    if (std::find(known.begin(), known.end(), member.key()) == known.end()) {
      unknown.emplace_back(member.key());
    }
  }
  return unknown;
}

std::string JoinNames(std::span<const std::string_view> names) {
  std::string joined;
  for (std::string_view name : names) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

// Looks up a key that upstream declares with a serde default: absent and null both mean "use the
// default". (serde itself rejects an explicit null for non-Option fields; accepting it costs
// nothing and spares users of `key:` in YAML a confusing error.)
const json::value* FindSet(const json::object& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

Result<const json::value*> FindRequired(const json::object& object, std::string_view key,
                                        std::string_view path) {
  auto it = object.find(key);
  if (it == object.end()) return Invalid("missing field '" + std::string(path) + "'");
  return &it->value();
}

Result<std::string> GetString(const json::value& v, std::string_view field) {
  if (!v.is_string()) return WrongType(field, "a string", v);
  return std::string(v.get_string());
}

Result<std::string> GetBytes(const json::value& v, std::string_view field) {
  constexpr std::string_view kByteList = "a list of bytes (numbers from 0 to 255)";
  if (!v.is_array()) return WrongType(field, kByteList, v);
  const json::array& bytes = v.get_array();
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const json::value& b = bytes[i];
    if (b.is_int64() && b.get_int64() >= 0 && b.get_int64() <= 255) {
      out.push_back(static_cast<char>(b.get_int64()));
    } else if (b.is_uint64() && b.get_uint64() <= 255) {
      out.push_back(static_cast<char>(b.get_uint64()));
    } else {
      return Invalid("field '" + Indexed(field, i) +
                     "' must be a byte (a number from 0 to 255), got " +
                     (b.is_number() ? ToJson(b) : std::string(KindName(b))));
    }
  }
  return out;
}

Result<bool> GetBool(const json::value& v, std::string_view field) {
  if (!v.is_bool()) return WrongType(field, "a boolean", v);
  return v.get_bool();
}

Result<std::vector<std::string>> GetStringList(const json::value& v, std::string_view field) {
  if (!v.is_array()) return WrongType(field, "a list of strings", v);
  std::vector<std::string> out;
  out.reserve(v.get_array().size());
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    KW_ASSIGN_OR_RETURN(std::string s, GetString(v.get_array()[i], Indexed(field, i)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::uint64_t> GetUnsigned(const json::value& v, std::string_view field) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  return WrongType(field, "a non-negative integer", v);
}

}  // namespace kw::json_fields
