// The openAPIV3Schema of a CRD version applied to custom resources, as the real server does
// before storing them: unknown fields are pruned (structural pruning), then the value is
// checked against the schema's types, `required`, `enum` and `nullable`.
//
// Pruning: an object keeps the fields its `properties` name; other fields go through
// `additionalProperties` when it is a schema, are kept when it is true or when
// `x-kubernetes-preserve-unknown-fields` is true, and are dropped otherwise. Arrays prune each
// element with `items`. `x-kubernetes-embedded-resource` keeps apiVersion, kind and metadata;
// `x-kubernetes-int-or-string` values are left alone. At the root, apiVersion, kind and metadata
// are always kept. Other validations of the real server (formats, patterns, lengths, CEL rules,
// minimum/maximum) are not checked (see ASSUMPTIONS in main.cc).
//
// Defaulting (after pruning, before validation): top down, a property whose schema has a
// `default` gets a copy of it when the field is absent, or null while the property is not
// `nullable`; so do null elements of arrays and null values of `additionalProperties` whose
// schema has one. Any other field whose null is not nullable is dropped unless `required` (the
// real server prunes those nulls before defaulting). What a default brings is defaulted in turn,
// as everything below it.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"

namespace kw::kube_double {

void PruneUnknownFields(json::object& object, const json::value& schema);

void ApplyDefaults(json::object& object, const json::value& schema);

struct SchemaViolation {
  std::string field;         // "spec.replicas"
  std::string cause_reason;  // "FieldValueTypeInvalid", "FieldValueRequired", ...
  std::string detail;        // "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\""
};

std::vector<SchemaViolation> ValidateAgainstSchema(const json::object& object,
                                                   const json::value& schema);

}  // namespace kw::kube_double
