#include "admission/simdjson_dom.h"

#include <charconv>

#include "admission/json_text.h"
#include "admission/json_util.h"

namespace kw::admission::internal {
namespace {

// The container behind `value`, whose type the caller has checked. (get().value_unsafe() would
// do, but makes GCC warn about a maybe-uninitialized tape.)
simdjson::dom::array ArrayOf(simdjson::dom::element value) {
  simdjson::dom::array array;
  (void)value.get(array);
  return array;
}

simdjson::dom::object ObjectOf(simdjson::dom::element value) {
  simdjson::dom::object object;
  (void)value.get(object);
  return object;
}

}  // namespace

void AppendElementJson(std::string& out, simdjson::dom::element value) {
  using T = simdjson::dom::element_type;
  char digits[32];
  switch (value.type()) {
    case T::NULL_VALUE:
      out.append("null");
      return;
    case T::BOOL:
      out.append(value.get_bool().value_unsafe() ? "true" : "false");
      return;
    case T::STRING:
      AppendJsonString(out, value.get_string().value_unsafe());
      return;
    case T::INT64:
      out.append(digits, std::to_chars(digits, digits + sizeof digits,
                                       value.get_int64().value_unsafe()).ptr);
      return;
    case T::UINT64:
      out.append(digits, std::to_chars(digits, digits + sizeof digits,
                                       value.get_uint64().value_unsafe()).ptr);
      return;
    case T::DOUBLE: {
      // Shortest round-trip form; simdjson never yields infinities or NaN.
      const std::string_view text(
          digits, std::to_chars(digits, digits + sizeof digits, value.get_double().value_unsafe())
                      .ptr);
      out.append(text);
      if (text.find_first_of(".e") == std::string_view::npos) out.append(".0");
      return;
    }
    case T::ARRAY: {
      out.push_back('[');
      bool first = true;
      for (const simdjson::dom::element item : ArrayOf(value)) {
        if (!first) out.push_back(',');
        first = false;
        AppendElementJson(out, item);
      }
      out.push_back(']');
      return;
    }
    case T::OBJECT: {
      out.push_back('{');
      bool first = true;
      for (const auto field : ObjectOf(value)) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, field.key);
        out.push_back(':');
        AppendElementJson(out, field.value);
      }
      out.push_back('}');
      return;
    }
  }
}

json::value ElementToJson(simdjson::dom::element value) {
  using T = simdjson::dom::element_type;
  switch (value.type()) {
    case T::NULL_VALUE:
      return nullptr;
    case T::BOOL:
      return value.get_bool().value_unsafe();
    case T::STRING:
      return json::string(value.get_string().value_unsafe());
    case T::INT64:
      return value.get_int64().value_unsafe();
    case T::UINT64:
      return value.get_uint64().value_unsafe();
    case T::DOUBLE:
      return value.get_double().value_unsafe();
    case T::ARRAY: {
      json::array out;
      for (const simdjson::dom::element item : ArrayOf(value)) {
        out.push_back(ElementToJson(item));
      }
      return out;
    }
    case T::OBJECT: {
      json::object out;
      for (const auto field : ObjectOf(value)) {
        out[field.key] = ElementToJson(field.value);  // the last of duplicate keys counts
      }
      return out;
    }
  }
  return nullptr;
}

bool IsJsonNull(std::string_view text) { return TrimJsonSpace(text) == "null"; }

}  // namespace kw::admission::internal
