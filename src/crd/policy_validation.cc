// The rules of policies and policy groups (spec tooling.md §5.2, §5.3); messages: validation.cc.
#include <algorithm>
#include <array>
#include <set>

#include "base/strings.h"
#include "cel/apimachinery_names.h"
#include "crd/group_expression.h"
#include "crd/validation_internal.h"

namespace kw::crd::internal {
namespace {

constexpr std::int64_t kMinTimeout = 2;
constexpr std::int64_t kMaxTimeout = 30;
constexpr std::int64_t kDefaultTimeoutSeconds = 10;
constexpr std::size_t kMaxMatchConditions = 64;

bool IsGroup(PolicyKind kind) {
  return kind == PolicyKind::kClusterAdmissionPolicyGroup || kind == PolicyKind::kAdmissionPolicyGroup;
}

bool Contains(const std::vector<std::string_view>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

void ValidateRules(PolicyKind kind, const FieldReader& spec) {
  FieldErrors& errors = spec.errors();
  const std::string rules_path = spec.PathOf("rules");
  const json::array* rules = spec.Array("rules");
  if (rules == nullptr) {
    if (spec.Find("rules") == nullptr) errors.push_back(Required(rules_path, "a value must be specified"));
    return;
  }
  if (rules->empty()) {
    errors.push_back(Required(rules_path, "a value must be specified"));
    return;
  }
  for (std::size_t i = 0; i < rules->size(); ++i) {
    const std::string rule_path = Index(rules_path, i);
    if (!(*rules)[i].is_object()) {
      errors.push_back(WrongType(rule_path, "object", (*rules)[i]));
      continue;
    }
    FieldReader rule((*rules)[i].get_object(), rule_path, errors);
    auto operations = rule.StringList("operations").value_or(std::vector<std::string_view>{});
    auto api_groups = rule.StringList("apiGroups").value_or(std::vector<std::string_view>{});
    auto api_versions = rule.StringList("apiVersions").value_or(std::vector<std::string_view>{});
    auto resources = rule.StringList("resources").value_or(std::vector<std::string_view>{});
    // One problem per rule, in upstream's order.
    if (operations.empty()) {
      errors.push_back(Required(Child(rules_path, "operations"), "a value must be specified"));
    } else if (api_versions.empty() || resources.empty()) {
      errors.push_back(Required(rules_path, "apiVersions and resources must have specified values"));
    } else {
      if (Contains(operations, "")) {
        errors.push_back(Required(Child(rules_path, "operations"), "must be non-empty"));
      }
      if (Contains(api_versions, "")) {
        errors.push_back(Required(Child(rules_path, "rule.apiVersions"), "must be non-empty"));
      }
      if (Contains(resources, "")) {
        errors.push_back(Required(Child(rules_path, "rule.resources"), "must be non-empty"));
      }
    }
    if (!IsNamespaced(kind)) continue;
    // A namespaced policy must not reach beyond what its namespace's users may rule on.
    const bool all_groups = Contains(api_groups, "*");
    if (all_groups && Contains(resources, "*")) {
      errors.push_back(Forbidden(rule_path,
                                 "namespaced policies cannot use \"*\" for both apiGroups and resources"));
    }
    const bool reports_group = all_groups || Contains(api_groups, "wgpolicyk8s.io");
    const bool reports_resource = std::any_of(resources.begin(), resources.end(), [](std::string_view r) {
      std::string_view base = r.substr(0, r.find('/'));
      return base == "*" || base == "policyreports";
    });
    if (reports_group && reports_resource) {
      errors.push_back(Forbidden(rule_path, "namespaced policies cannot target wgpolicyk8s.io policyreports"));
    }
  }
}

void ValidateMatchConditions(const FieldReader& spec, const WebhookOptions& options) {
  FieldErrors& errors = spec.errors();
  const json::array* conditions = spec.Array("matchConditions");
  if (conditions == nullptr) return;
  const std::string path = spec.PathOf("matchConditions");
  if (conditions->size() > kMaxMatchConditions) {
    errors.push_back(TooMany(path, conditions->size(), kMaxMatchConditions));
  }
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < conditions->size(); ++i) {
    const std::string condition_path = Index(path, i);
    if (!(*conditions)[i].is_object()) {
      errors.push_back(WrongType(condition_path, "object", (*conditions)[i]));
      continue;
    }
    FieldReader condition((*conditions)[i].get_object(), condition_path, errors);
    std::string_view expression = condition.String("expression").value_or("");
    if (TrimWhitespace(expression).empty()) {
      errors.push_back(Required(condition.PathOf("expression"), ""));
    } else if (options.compile_match_condition) {
      // The CEL hook: the Kubernetes admission environment with the authorizer, where the
      // expression must compile to a bool.
      if (auto problem = options.compile_match_condition(expression)) {
        errors.push_back(InvalidString(condition.PathOf("expression"), expression, *problem));
      }
    }
    std::string_view name = condition.String("name").value_or("");
    if (name.empty()) {
      errors.push_back(Required(condition.PathOf("name"), ""));
      continue;
    }
    for (std::string& problem : cel::names::QualifiedName(name)) {
      errors.push_back(InvalidString(condition.PathOf("name"), name, std::move(problem)));
    }
    if (!names.insert(name).second) errors.push_back(Duplicate(condition.PathOf("name"), name));
  }
}

// A timeoutEvalSeconds at `reader` must fit in the webhook's timeout.
void ValidateEvalTimeout(const FieldReader& reader, std::int64_t timeout_seconds,
                         std::string_view timeout_path) {
  const json::value* raw = reader.Find("timeoutEvalSeconds");
  std::optional<std::int64_t> eval = reader.Integer("timeoutEvalSeconds", kMinTimeout, kMaxTimeout);
  if (eval && *eval > timeout_seconds) {
    reader.errors().push_back(Invalid(reader.PathOf("timeoutEvalSeconds"), *raw,
                                      "must be less than or equal to " + std::string(timeout_path) +
                                          " (" + std::to_string(timeout_seconds) + ")"));
  }
}

// ^[_a-zA-Z][_a-zA-Z0-9]*$
bool IsCelIdentifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsCelReservedWord(std::string_view s) {
  static constexpr std::array<std::string_view, 21> kReserved = {
      "true",     "false",   "null",   "in",     "as",      "break",   "const", "continue",
      "else",     "for",     "function", "if",   "import",  "let",     "loop",  "package",
      "namespace", "return", "var",    "void",   "while"};
  return std::find(kReserved.begin(), kReserved.end(), s) != kReserved.end();
}

void ValidateGroup(const FieldReader& spec, std::int64_t timeout_seconds) {
  FieldErrors& errors = spec.errors();
  const std::string policies_path = spec.PathOf("policies");
  const json::object* policies = spec.Object("policies");
  std::set<std::string> members;
  if (policies == nullptr || policies->empty()) {
    if (policies != nullptr || spec.Find("policies") == nullptr) {
      errors.push_back(Required(policies_path, "a policy group must have at least one policy"));
    }
  } else {
    for (const auto& [key, member] : *policies) {
      std::string_view name = key;
      const std::string member_path = Key(policies_path, name);
      if (!IsCelIdentifier(name)) {
        errors.push_back(InvalidString(member_path, name,
                                       "policy name must be a valid CEL identifier (regex used for "
                                       "validation is '^[_a-zA-Z][_a-zA-Z0-9]*$')"));
      } else if (IsCelReservedWord(name)) {
        errors.push_back(InvalidString(member_path, name, "policy name must not be a CEL reserved keyword"));
      }
      members.insert(std::string(name));
      if (!member.is_object()) {
        errors.push_back(WrongType(member_path, "object", member));
        continue;
      }
      FieldReader reader(member.get_object(), member_path, errors);
      std::optional<std::string_view> module = reader.String("module");
      if (reader.Find("module") == nullptr || (module && module->empty())) {
        errors.push_back(Required(reader.PathOf("module"), ""));
      }
      ValidateEvalTimeout(reader, timeout_seconds, spec.PathOf("timeoutSeconds"));
    }
  }

  const std::string expression_path = spec.PathOf("expression");
  std::optional<std::string_view> expression = spec.String("expression");
  if (!expression && spec.Find("expression") != nullptr) {
    // The wrong type is already reported.
  } else if (!expression || expression->empty()) {
    errors.push_back(Required(expression_path, "must be non-empty"));
  } else if (!members.empty()) {
    if (auto problem = CheckGroupExpression(*expression, members)) {
      errors.push_back(InvalidString(expression_path, *expression, std::move(*problem)));
    }
  }

  std::optional<std::string_view> message = spec.String("message");
  if (!message && spec.Find("message") != nullptr) return;
  if (!message || message->empty()) errors.push_back(Required(spec.PathOf("message"), "must be non-empty"));
}

}  // namespace

void ValidatePolicy(PolicyKind kind, const FieldReader& spec, const json::object* old_object,
                    const WebhookOptions& options) {
  FieldErrors& errors = spec.errors();
  ValidateRules(kind, spec);
  ValidateMatchConditions(spec, options);

  std::optional<std::string_view> policy_server = spec.String("policyServer");
  std::optional<std::string_view> mode = spec.String("mode");
  if (mode && *mode != "protect" && *mode != "monitor") {
    errors.push_back(NotSupported(spec.PathOf("mode"), *mode, {"protect", "monitor"}));
  }
  const std::int64_t timeout_seconds =
      spec.Integer("timeoutSeconds", kMinTimeout, kMaxTimeout).value_or(kDefaultTimeoutSeconds);
  if (IsGroup(kind)) {
    ValidateGroup(spec, timeout_seconds);
  } else {
    std::optional<std::string_view> module = spec.String("module");
    if (spec.Find("module") == nullptr || (module && module->empty())) {
      errors.push_back(Required(spec.PathOf("module"), ""));
    }
    ValidateEvalTimeout(spec, timeout_seconds, spec.PathOf("timeoutSeconds"));
  }

  if (old_object == nullptr) return;
  // Updates: the stored object's spec, read without reporting (it was valid when stored).
  FieldErrors ignored;
  const json::object* old_spec = FieldReader(*old_object, "", ignored).Object("spec");
  if (old_spec == nullptr) return;
  FieldReader old(*old_spec, "spec", ignored);
  if (old.String("policyServer").value_or("") != policy_server.value_or("")) {
    errors.push_back(Forbidden(spec.PathOf("policyServer"), "the field is immutable"));
  }
  // Both default to protect.
  if (old.String("mode").value_or("protect") == "protect" && mode.value_or("protect") == "monitor") {
    errors.push_back(Forbidden(spec.PathOf("mode"),
                               "field cannot transition from protect to monitor. Recreate instead."));
  }
}

}  // namespace kw::crd::internal
