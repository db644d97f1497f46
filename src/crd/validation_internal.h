// Shared by the validation of policies (policy_validation.cc) and of policy servers
// (policy_server_validation.cc): typed reads of the raw object that report a wrong type on its
// field, as the API server's schema validation words it. Private to the crd component.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.h"
#include "crd/field_error.h"
#include "crd/validation.h"

namespace kw::crd::internal {

// Reads fields of one JSON object at `path` ("spec"), appending a wrong type to `errors`. A key
// that is absent or null reads as nothing.
class FieldReader {
 public:
  FieldReader(const json::object& object, std::string path, FieldErrors& errors)
      : object_(object), path_(std::move(path)), errors_(errors) {}

  std::string PathOf(std::string_view key) const { return Child(path_, key); }
  const json::value* Find(std::string_view key) const;

  const json::object* Object(std::string_view key) const;
  const json::array* Array(std::string_view key) const;
  std::optional<std::string_view> String(std::string_view key) const;
  std::optional<bool> Bool(std::string_view key) const;
  // An integer within [min, max], else the schema's "should be less/greater than or equal to".
  std::optional<std::int64_t> Integer(std::string_view key, std::int64_t min,
                                      std::int64_t max) const;
  // A list of strings; elements of another type are reported and skipped.
  std::optional<std::vector<std::string_view>> StringList(std::string_view key) const;

  FieldErrors& errors() const { return errors_; }

 private:
  const json::object& object_;
  std::string path_;
  FieldErrors& errors_;
};

// "<path>: Invalid value: \"string\": <path> in body must be of type array: \"string\"".
FieldError WrongType(std::string path, std::string_view expected, const json::value& got);

// The elements of `array` that are strings, the others reported as wrong types at `path`[i].
std::vector<std::string_view> StringElements(const json::array& array, const std::string& path,
                                             FieldErrors& errors);

// The rules of each kind, over the object's `spec` (`old_object`: the stored object of an update).
void ValidatePolicy(PolicyKind kind, const FieldReader& spec, const json::object* old_object,
                    const WebhookOptions& options);
void ValidatePolicyServerName(std::string_view name, FieldErrors& errors);
void ValidatePolicyServer(const FieldReader& spec, ObjectLookup& lookup,
                          const WebhookOptions& options);

}  // namespace kw::crd::internal
