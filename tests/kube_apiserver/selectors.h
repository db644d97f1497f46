// Label and field selectors, parsed from the `labelSelector` / `fieldSelector` query parameters
// as k8s.io/apimachinery parses them, and matched against stored objects.
//
// Label selectors: comma-separated requirements `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
// `k notin (a,b)`, `k` (exists), `!k` (does not exist), `k>N`, `k<N`. Keys are qualified names
// ([prefix/]name), values label values; a malformed selector is an error whose message follows
// the real server's wording. Field selectors: `path=v`, `path==v`, `path!=v` joined by commas,
// `\` escaping `,`, `=`, `!` and `\` in values. Which paths are valid depends on the resource
// (FieldSelectorPaths) and is checked by ParseFieldSelector.
//
// Parsers take untrusted text and never throw; their cost is linear in the text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace kw::kube_double {

struct LabelRequirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGreater, kLess };
  std::string key;
  Op op = Op::kEquals;
  std::vector<std::string> values;
};

struct LabelSelector {
  std::vector<LabelRequirement> requirements;  // empty = everything
  bool Matches(const json::value* labels) const;  // labels: the metadata.labels object or null
};

// Errors are kInvalidArgument with the message the real server puts in its 400 Status.
Result<LabelSelector> ParseLabelSelector(std::string_view text);

struct FieldRequirement {
  std::string path;  // "metadata.name", "spec.nodeName", ...
  bool equals = true;
  std::string value;
};

struct FieldSelector {
  std::vector<FieldRequirement> requirements;
  bool Matches(const json::object& object) const;
  // The value an `=` requirement on `path` pins, or nullptr.
  const std::string* Pinned(std::string_view path) const;
};

// `supported` lists the paths the resource answers to. `custom` picks the message style: the
// real server words an unsupported field differently for custom resources.
Result<FieldSelector> ParseFieldSelector(std::string_view text,
                                         const std::vector<std::string>& supported, bool custom);

// A field selector path's value in `object` as the real server's field sets render it (absent =
// "", booleans "true"/"false").
std::string FieldValue(const json::object& object, std::string_view path);

}  // namespace kw::kube_double
