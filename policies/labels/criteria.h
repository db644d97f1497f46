// The criteria engine of policies-more.md §1.2, shared by labels, annotations and
// environment-variable-policy (policies.md §27), and meant for image-cve's `cveName`: one operator compares the set S found on the resource with the
// configured set V, and a failure is one fixed message naming the resource word <R>
// ("label", "annotation", "CVE name").
//
// Settings are an internally tagged enum, {"criteria": "<operator>", "values": [<strings>]}:
// serde finds the tag first, so an unknown or missing `criteria` is reported before anything
// about `values`. `values` is a set: duplicates collapse, and every list in a message is in
// ascending byte order (upstream iterates hash sets, whose order is unspecified).
#ifndef POLICIES_LABELS_CRITERIA_H_
#define POLICIES_LABELS_CRITERIA_H_

#include <kubewarden/kubewarden.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace criteria {

namespace kw = kubewarden;

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
  std::vector<std::string_view> values;  // sorted, unique
};

using Set = std::vector<std::string_view>;  // sorted, unique

// Decodes the §1.2 settings shape into `out` and applies the base rule (no empty `values`).
// Returns the message that makes the settings invalid.
inline std::optional<std::string> Read(const kw::json::Value& value, std::string_view noun,
                                       Criteria& out) {
  kw::SettingsReader reader(value);
  auto op = reader.Enum("criteria", {"containsAnyOf", "doesNotContainAnyOf", "containsAllOf",
                                     "doesNotContainAllOf", "containsOtherThan",
                                     "doesNotContainOtherThan"});
  if (!reader.ok()) return reader.error();
  out.op = static_cast<Operator>(*op);
  out.values = reader.RequiredStringList("values");
  if (!reader.ok()) return reader.error();
  kw::SortUnique(out.values);
  if (out.values.empty()) return "Empty " + std::string(noun) + " list is not allowed";
  return std::nullopt;
}

// The keys of the object `map` (any other value, or nullptr, has none), sorted and unique.
inline Set Keys(const kw::json::Value* map) {
  Set keys;
  if (map != nullptr && map->IsObject()) {
    for (const kw::json::Value& member : *map) keys.push_back(member.key());
  }
  kw::SortUnique(keys);
  return keys;
}

namespace internal {

inline Set Intersection(const Set& a, const Set& b) {
  Set out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

inline Set Difference(const Set& a, const Set& b) {
  Set out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

inline std::string Join(const Set& items) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace internal

// Each operator's message is <a><R><b><R><c><list>: the three literal parts, by Operator.
struct MessageParts {
  std::string_view a, b, c;
};
inline constexpr MessageParts kMessages[] = {
    {"Resource must have at least one of the required ",
     "s specified by the validation rule. None of the expected ", "s were found: "},
    {"Resource must not have any of the ",
     "s specified in the validation rule. The following invalid ", "s were found: "},
    {"Resource is missing required ",
     "s as specified in the validation rules. The following ", "s are missing: "},
    {"Resource has conflicting ", "s set according to the validation rules. The following ",
     "s should not be set together: "},
    {"Resource must not have any ",
     "s other than those specified in the validation rule. The following ",
     "s were found that should not be present: "},
    {"Resource must have only ", "s from the validation rule. The following ",
     "s were found that should not be present: "},
};

// Checks the resource's set `found` against `criteria`; returns the rejection message, or
// nullopt when the resource satisfies it. `noun` is <R>, singular.
inline std::optional<std::string> Evaluate(const Criteria& criteria, const Set& found,
                                           std::string_view noun) {
  const Set& v = criteria.values;
  Set listed;  // what the message lists
  bool fails = false;
  switch (criteria.op) {
    case Operator::kContainsAnyOf:
      fails = internal::Intersection(found, v).empty();
      listed = v;
      break;
    case Operator::kDoesNotContainAnyOf:
      listed = internal::Intersection(found, v);
      fails = !listed.empty();
      break;
    case Operator::kContainsAllOf:
      listed = internal::Difference(v, found);
      fails = !listed.empty();
      break;
    case Operator::kDoesNotContainAllOf:
      fails = internal::Difference(v, found).empty();
      listed = v;
      break;
    case Operator::kContainsOtherThan:
      // Upstream lists nothing here: the message always ends with ": ".
      fails = internal::Difference(found, v).empty();
      break;
    case Operator::kDoesNotContainOtherThan:
      listed = internal::Difference(found, v);
      fails = !listed.empty();
      break;
  }
  if (!fails) return std::nullopt;
  const MessageParts& m = kMessages[static_cast<std::size_t>(criteria.op)];
  std::string out(m.a);
  out.append(noun).append(m.b).append(noun).append(m.c).append(internal::Join(listed));
  return out;
}

// Read, then every value must be valid: `invalid_note(value)` says why one is not (nullopt when
// it is). The notes of the offenders, in ascending value order and joined with ", ", follow
// `invalid_prefix` ("Invalid annotation names: ", which upstream's labels use too).
template <typename InvalidNote>
std::optional<std::string> ReadValidated(const kw::json::Value& value, std::string_view noun,
                                         std::string_view invalid_prefix, Criteria& out,
                                         InvalidNote invalid_note) {
  if (auto error = Read(value, noun, out)) return error;
  std::string message(invalid_prefix);
  bool any = false;  // a note may be empty (the empty value)
  for (std::string_view v : out.values) {
    auto note = invalid_note(v);
    if (!note) continue;
    message.append(any ? ", " : "").append(*note);
    any = true;
  }
  if (any) return message;
  return std::nullopt;
}

// labels' and annotations' whole verdict: the keys of request.object.metadata.<map> (none when
// absent or not an object) checked against `criteria`; a failure rejects without a code.
inline kw::ValidationResponse ValidateMetadataKeys(const kw::ValidationRequest& request,
                                                   const Criteria& criteria, std::string_view map,
                                                   std::string_view noun) {
  const kw::json::Value* object = request.object();
  const kw::json::Value* metadata = object ? object->Find("metadata") : nullptr;
  if (auto message = Evaluate(criteria, Keys(metadata ? metadata->Find(map) : nullptr), noun)) {
    return kw::Reject(*message);
  }
  return kw::Accept();
}

// Whether `key` is a qualified Kubernetes key: an optional DNS-subdomain prefix and "/", then a
// name of [A-Za-z0-9_.-] that starts and ends alphanumeric. The regular expression of
// labels/annotations settings validation, without its length limits (callers check those).
inline bool IsQualifiedKey(std::string_view key) {
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  auto alnum = [&](char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); };
  std::size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    key.remove_prefix(slash + 1);
    // Dot-separated DNS labels: [a-z0-9] at both ends, '-' inside.
    std::size_t start = 0;
    while (true) {
      std::size_t dot = prefix.find('.', start);
      std::string_view label = prefix.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (label.empty() || !lower_alnum(label.front()) || !lower_alnum(label.back())) return false;
      for (char c : label) {
        if (!lower_alnum(c) && c != '-') return false;
      }
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (key.empty() || !alnum(key.front()) || !alnum(key.back())) return false;
  for (char c : key) {
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace criteria

#endif  // POLICIES_LABELS_CRITERIA_H_
