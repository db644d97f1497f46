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

bool IsRequired(const json::object& schema, std::string_view key) {
  const json::value* required = schema.if_contains("required");
  if (!required || !required->is_array()) return false;
  for (const auto& name : required->get_array()) {
    if (name.is_string() && name.get_string() == key) return true;
  }
  return false;
}

// A non-nullable null takes the schema's default; true when it has one.
bool DefaultNull(json::value& value, const json::object& schema) {
  if (!value.is_null() || Flag(schema, "nullable")) return false;
  const json::value* fallback = schema.if_contains("default");
  if (!fallback) return false;
  value = *fallback;
  return true;
}

void Default(json::value& value, const json::object& schema);

void DefaultObject(json::object& object, const json::object& schema, bool root) {
  const json::object* properties = AsObject(schema.if_contains("properties"));
  const json::object* additional = AsObject(schema.if_contains("additionalProperties"));
  auto schema_of = [&](std::string_view key) -> const json::object* {
    if (const json::object* property = properties ? AsObject(properties->if_contains(key)) : nullptr) {
      return property;
    }
    return additional;
  };
  std::vector<std::string> doomed;
  for (auto& [key, child] : object) {
    if (root && (key == "apiVersion" || key == "kind" || key == "metadata")) continue;
    const json::object* child_schema = schema_of(key);
    if (child_schema && !DefaultNull(child, *child_schema) && child.is_null() &&
        !Flag(*child_schema, "nullable") && !IsRequired(schema, key)) {
      doomed.emplace_back(key);
    }
  }
  for (const auto& key : doomed) object.stable_erase(key);
  if (properties) {
    for (const auto& [key, property] : *properties) {
      const json::value* fallback = property.is_object() ? property.get_object().if_contains("default")
                                                         : nullptr;
      if (fallback && !object.contains(key)) object.emplace(key, *fallback);
    }
  }
  for (auto& [key, child] : object) {
    if (root && (key == "apiVersion" || key == "kind" || key == "metadata")) continue;
    if (const json::object* child_schema = schema_of(key)) Default(child, *child_schema);
  }
}

void Default(json::value& value, const json::object& schema) {
  if (value.is_object()) {
    DefaultObject(value.get_object(), schema, false);
  } else if (value.is_array()) {
    if (const json::object* items = AsObject(schema.if_contains("items"))) {
      for (auto& element : value.get_array()) {
        DefaultNull(element, *items);
        Default(element, *items);
      }
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

void ApplyDefaults(json::object& object, const json::value& schema) {
  if (const json::object* root = schema.if_object()) DefaultObject(object, *root, true);
}

std::vector<SchemaViolation> ValidateAgainstSchema(const json::object& object,
                                                   const json::value& schema) {
  std::vector<SchemaViolation> out;
  if (const json::object* root = schema.if_object()) Validate(object, *root, "", out);
  return out;
}

}  // namespace kw::kube_double
