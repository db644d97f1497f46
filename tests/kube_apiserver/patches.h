// The bodies of PATCH requests and server-side apply, on JSON values.
//
//  - MergePatch: RFC 7386 (null deletes, objects merge, everything else replaces).
//  - StrategicMergePatch: a merge patch in which lists of objects that all carry a string
//    `name` (containers, volumes, env, ...) merge element by element on that key, and
//    `$patch: delete` on such an element removes it. The real server knows each field's patch
//    strategy from the Go types; this keys only on `name`, the common case (see ASSUMPTIONS).
//  - Field sets: the paths an object sets, in the managedFields `fieldsV1` format
//    (`f:<field>`, `k:{"name":"x"}` for elements of name-keyed lists with `.` for the element
//    itself). Lists keyed otherwise are atomic (one leaf).
//  - Apply: server-side apply of a configuration by a manager over the live object and its
//    managedFields, with conflicts between managers.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/json.h"

namespace kw::kube_double {

json::value MergePatch(const json::value& target, const json::value& patch);
json::value StrategicMergePatch(const json::value& target, const json::value& patch);

using FieldPath = std::vector<std::string>;  // e.g. {"f:spec", "f:containers", "k:{...}", "."}
using FieldSet = std::set<FieldPath>;

// The fields `object` sets, without the ones the server owns (apiVersion, kind, metadata.name,
// namespace, uid, resourceVersion, generation, creationTimestamp, managedFields, ...) and
// without `status` when `skip_status`.
FieldSet FieldsOf(const json::object& object, bool skip_status);
json::object ToFieldsV1(const FieldSet& fields);
FieldSet FromFieldsV1(const json::value& fields_v1);

// The fields that differ between `before` and `after` (present in `after` with another value,
// or only in `after`).
FieldSet ChangedFields(const json::object& before, const json::object& after, bool skip_status);

struct ApplyConflict {
  std::string manager;
  std::string api_version;  // of the manager's entry
  FieldPath field;
};

// A field path as the real server prints it in conflicts: ".spec.replicas",
// ".spec.containers[name=\"nginx\"].image".
std::string FieldPathText(const FieldPath& path);

struct ApplyResult {
  json::object object;  // the merged object, managedFields updated
  std::vector<ApplyConflict> conflicts;  // non-empty: nothing applied
};

// Server-side apply of `config` by `manager` onto `live` (empty object when creating).
// `subresource` is "" or "status"; `time` the RFC 3339 timestamp for the entry.
ApplyResult Apply(const json::object& live, const json::object& config, const std::string& manager,
                  const std::string& api_version, bool force, const std::string& subresource,
                  const std::string& time);

// Records a non-apply write (create, update, patch) by `manager` in `after`'s managedFields:
// the fields it changed become its own and leave the other managers; fields gone from the
// object leave everyone. `before` is null on create.
void RecordUpdate(const json::object* before, json::object& after, const std::string& manager,
                  const std::string& api_version, const std::string& subresource,
                  const std::string& time);

}  // namespace kw::kube_double
