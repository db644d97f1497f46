#include "kube_apiserver/schema.h"

#include <algorithm>

namespace kw::kube_double {
namespace {

// Schemas nest as deep as the CRD's JSON, which ParseJson bounds; objects are walked only as
// deep as their schema goes.
const json::object* AsObject(const json::value* v) { return v ? v->if_object() : nullptr; }

bool Flag(const json::object& schema, std::string_view key) {
  const json::value* v = schema.if_contains(key);
  return v && v->is_bool() && v->get_bool();
}

void Prune(json::value& value, const json::object& schema, bool root);

void PruneObject(json::object& object, const json::object& schema, bool root) {
  const json::object* properties = AsObject(schema.if_contains("properties"));
  const json::value* additional = schema.if_contains("additionalProperties");
  bool preserve = Flag(schema, "x-kubernetes-preserve-unknown-fields");
  bool embedded = Flag(schema, "x-kubernetes-embedded-resource");
  std::vector<std::string> doomed;
  for (auto& [key, child] : object) {
    if ((root || embedded) && (key == "apiVersion" || key == "kind" || key == "metadata")) continue;
    if (const json::object* property = properties ? AsObject(properties->if_contains(key)) : nullptr) {
      Prune(child, *property, false);
    } else if (const json::object* each = AsObject(additional)) {
      Prune(child, *each, false);
    } else if (!preserve && !(additional && additional->is_bool() && additional->get_bool())) {
      doomed.emplace_back(key);
    }
  }
  for (const auto& key : doomed) object.stable_erase(key);
}

void Prune(json::value& value, const json::object& schema, bool root) {
  if (Flag(schema, "x-kubernetes-int-or-string")) return;
  if (value.is_object()) {
    PruneObject(value.get_object(), schema, root);
  } else if (value.is_array()) {
    if (const json::object* items = AsObject(schema.if_contains("items"))) {
      for (auto& element : value.get_array()) Prune(element, *items, false);
    }
  }
}

std::string TypeOf(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: return "object";
    case json::kind::array: return "array";
    case json::kind::string: return "string";
    case json::kind::bool_: return "boolean";
    case json::kind::null: return "null";
    case json::kind::double_: return "number";
    default: return "integer";
  }
}

bool HasType(const json::value& v, std::string_view type) {
  if (type == "number") return v.is_number();
  if (type == "integer") {
    return v.is_int64() || v.is_uint64() ||
           (v.is_double() && v.get_double() == static_cast<double>(static_cast<long long>(v.get_double())));
  }
  return TypeOf(v) == type;
}

std::string Child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

void Validate(const json::value& value, const json::object& schema, const std::string& path,
              std::vector<SchemaViolation>& out) {
  if (Flag(schema, "x-kubernetes-int-or-string")) return;
  if (value.is_null()) {
    if (!Flag(schema, "nullable") && schema.contains("type")) {
      out.push_back({path, "FieldValueTypeInvalid",
                     "Invalid value: \"null\": " + path + " in body must be of type " +
                         std::string(schema.at("type").is_string() ? schema.at("type").get_string()
                                                                   : "object") +
                         ": \"null\""});
    }
    return;
  }
  if (const json::value* type = schema.if_contains("type"); type && type->is_string()) {
    if (!HasType(value, type->get_string())) {
      std::string actual = TypeOf(value);
      out.push_back({path, "FieldValueTypeInvalid",
                     "Invalid value: \"" + actual + "\": " + path + " in body must be of type " +
                         std::string(type->get_string()) + ": \"" + actual + "\""});
      return;
    }
  }
  if (const json::value* values = schema.if_contains("enum"); values && values->is_array()) {
    const json::array& allowed = values->get_array();
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + ToJson(a);
      out.push_back({path, "FieldValueNotSupported",
                     "Unsupported value: " + ToJson(value) + ": supported values: " + list});
    }
  }
  if (value.is_object()) {
    const json::object& object = value.get_object();
    if (const json::value* required = schema.if_contains("required"); required && required->is_array()) {
      for (const auto& key : required->get_array()) {
        if (key.is_string() && !object.contains(key.get_string())) {
          out.push_back({Child(path, key.get_string()), "FieldValueRequired", "Required value"});
        }
      }
    }
    const json::object* properties = AsObject(schema.if_contains("properties"));
    const json::object* additional = AsObject(schema.if_contains("additionalProperties"));
    for (const auto& [key, child] : object) {
      if (path.empty() && (key == "apiVersion" || key == "kind" || key == "metadata")) continue;
      if (const json::object* property = properties ? AsObject(properties->if_contains(key)) : nullptr) {
        Validate(child, *property, Child(path, key), out);
      } else if (additional) {
        Validate(child, *additional, Child(path, key), out);
      }
    }
  } else if (value.is_array()) {
    if (const json::object* items = AsObject(schema.if_contains("items"))) {
      const json::array& array = value.get_array();
      for (std::size_t i = 0; i < array.size(); ++i) {
        Validate(array[i], *items, path + "[" + std::to_string(i) + "]", out);
      }
    }
  }
}

}  // namespace

void PruneUnknownFields(json::object& object, const json::value& schema) {
  if (const json::object* root = schema.if_object()) PruneObject(object, *root, true);
}

std::vector<SchemaViolation> ValidateAgainstSchema(const json::object& object,
                                                   const json::value& schema) {
  std::vector<SchemaViolation> out;
  if (const json::object* root = schema.if_object()) Validate(object, *root, "", out);
  return out;
}

}  // namespace kw::kube_double
