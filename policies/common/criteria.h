// policies/common/criteria.h: the criteria engine of policies-more.md §1.2 (annotations, labels,
// image-cve-policy's cveName): one operator over a configured set V and a resource's set S.
//
// Settings shape {"criteria": "<operator>", "values": [<strings>]}, decoded with serde's rules
// (both keys required; only the camelCase operator names). Sets are std::set: upstream iterates
// hash sets, a port lists them in ascending byte order.
#ifndef POLICIES_COMMON_CRITERIA_H_
#define POLICIES_COMMON_CRITERIA_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <kubewarden/kubewarden.h>

namespace criteria {

enum class Operator {
  kContainsAnyOf,
  kDoesNotContainAnyOf,
  kContainsAllOf,
  kDoesNotContainAllOf,
  kContainsOtherThan,
  kDoesNotContainOtherThan,
};

struct Criteria {
  Operator op = Operator::kContainsAnyOf;
  std::set<std::string_view> values;
};

// Decodes the criteria struct `reader` reads (errors are recorded in it).
inline Criteria Read(kubewarden::SettingsReader& reader) {
  Criteria c;
  auto op = reader.Enum("criteria", {"containsAnyOf", "doesNotContainAnyOf", "containsAllOf",
                                     "doesNotContainAllOf", "containsOtherThan",
                                     "doesNotContainOtherThan"});
  c.op = static_cast<Operator>(op.value_or(0));
  for (std::string_view v : reader.RequiredStringList("values")) c.values.insert(v);
  return c;
}

// `items` joined by ", ", as the messages list them.
template <typename Range>
std::string Join(const Range& items) {
  std::string out;
  bool first = true;
  for (std::string_view item : items) {
    if (!first) out.append(", ");
    first = false;
    out.append(item);
  }
  return out;
}

// The failure message of `c` over the resource's set `found`, or nullopt when it holds. `word`
// is the resource word of the messages ("annotation", "label", "CVE name").
inline std::optional<std::string> Check(const Criteria& c, const std::set<std::string_view>& found,
                                        std::string_view word) {
  const std::string w(word);
  std::set<std::string_view> common, missing, extra;
  for (std::string_view v : c.values) (found.contains(v) ? common : missing).insert(v);
  for (std::string_view s : found) {
    if (!c.values.contains(s)) extra.insert(s);
  }
  switch (c.op) {
    case Operator::kContainsAnyOf:
      if (!common.empty()) return std::nullopt;
      return "Resource must have at least one of the required " + w +
             "s specified by the validation rule. None of the expected " + w +
             "s were found: " + Join(c.values);
    case Operator::kDoesNotContainAnyOf:
      if (common.empty()) return std::nullopt;
      return "Resource must not have any of the " + w +
             "s specified in the validation rule. The following invalid " + w +
             "s were found: " + Join(common);
    case Operator::kContainsAllOf:
      if (missing.empty()) return std::nullopt;
      return "Resource is missing required " + w +
             "s as specified in the validation rules. The following " + w +
             "s are missing: " + Join(missing);
    case Operator::kDoesNotContainAllOf:
      if (!missing.empty()) return std::nullopt;
      return "Resource has conflicting " + w +
             "s set according to the validation rules. The following " + w +
             "s should not be set together: " + Join(c.values);
    case Operator::kContainsOtherThan:
      // Upstream lists nothing after the colon.
      if (!extra.empty()) return std::nullopt;
      return "Resource must not have any " + w +
             "s other than those specified in the validation rule. The following " + w +
             "s were found that should not be present: ";
    case Operator::kDoesNotContainOtherThan:
      if (extra.empty()) return std::nullopt;
      return "Resource must have only " + w + "s from the validation rule. The following " + w +
             "s were found that should not be present: " + Join(extra);
  }
  return std::nullopt;
}

}  // namespace criteria

#endif  // POLICIES_COMMON_CRITERIA_H_
