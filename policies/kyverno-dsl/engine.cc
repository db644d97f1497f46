#include "engine.h"

#include <optional>

#include "conditions.h"
#include "jmespath.h"
#include "pattern.h"
#include "scalars.h"
#include "variables.h"
#include "yaml.h"

namespace kyverno {
namespace {

// ---- decoding: the fields Go's encoding/json would refuse for their type -------------------

struct FieldType {
  std::string_view path;      // dotted path with [] for list items
  Value::Type type;
  std::string_view struct_name;
  std::string_view go_type;
};

// The ClusterPolicy fields whose type this port reads; a mismatch is reported as Go does.
constexpr FieldType kFieldTypes[] = {
    {"metadata", Value::Type::kObject, "ClusterPolicy", "v1.ObjectMeta"},
    {"metadata.name", Value::Type::kString, "ObjectMeta", "string"},
    {"metadata.namespace", Value::Type::kString, "ObjectMeta", "string"},
    {"metadata.annotations", Value::Type::kObject, "ObjectMeta", "map[string]string"},
    {"spec", Value::Type::kObject, "ClusterPolicy", "v1.Spec"},
    {"spec.rules", Value::Type::kArray, "Spec", "[]v1.Rule"},
    {"spec.rules[]", Value::Type::kObject, "Spec", "v1.Rule"},
    {"spec.rules[].name", Value::Type::kString, "Rule", "string"},
    {"spec.rules[].match", Value::Type::kObject, "Rule", "v1.MatchResources"},
    {"spec.rules[].exclude", Value::Type::kObject, "Rule", "v1.MatchResources"},
    {"spec.rules[].context", Value::Type::kArray, "Rule", "[]v1.ContextEntry"},
    {"spec.rules[].validate", Value::Type::kObject, "Rule", "v1.Validation"},
    {"spec.rules[].validate.message", Value::Type::kString, "Validation", "string"},
    {"spec.rules[].validate.anyPattern", Value::Type::kArray, "Validation", "[]interface {}"},
    {"spec.rules[].validate.foreach", Value::Type::kArray, "Validation", "[]v1.ForEachValidation"},
    {"spec.rules[].validate.deny", Value::Type::kObject, "Validation", "v1.Deny"},
    {"spec.applyRules", Value::Type::kString, "Spec", "v1.ApplyRulesType"},
    {"spec.validationFailureAction", Value::Type::kString, "Spec", "v1.ValidationFailureAction"},
    {"spec.background", Value::Type::kBool, "Spec", "bool"},
};

bool CheckTypes(const Value& v, std::string_view pattern, std::string_view go_path, std::string* error) {
  for (const FieldType& f : kFieldTypes) {
    std::string_view p = f.path;
    if (!p.starts_with(pattern) || p.size() == pattern.size()) continue;
    std::string_view rest = p.substr(pattern.size());
    if (!pattern.empty()) {
      if (rest[0] == '.') {
        rest.remove_prefix(1);
      } else if (!rest.starts_with("[]")) {
        continue;
      }
    }
    // Only direct children of `pattern`.
    if (rest.starts_with("[]")) {
      if (rest.size() != 2 || !v.is_array()) continue;
      for (const Value& item : v.as_array()) {
        if (item.is_null()) continue;
        if (item.type() != f.type) {
          *error = std::string("json: cannot unmarshal ") + GoJsonTypeName(item) + " into Go struct field " +
                   std::string(f.struct_name) + "." + std::string(go_path) + " of type " + std::string(f.go_type);
          return false;
        }
        if (!CheckTypes(item, f.path, go_path, error)) return false;
      }
      continue;
    }
    if (rest.find_first_of(".[") != std::string_view::npos) continue;
    const Value* child = v.Find(rest);
    if (child == nullptr || child->is_null()) continue;
    std::string child_path = go_path.empty() ? std::string(rest) : std::string(go_path) + "." + std::string(rest);
    if (child->type() != f.type) {
      *error = std::string("json: cannot unmarshal ") + GoJsonTypeName(*child) + " into Go struct field " +
               std::string(f.struct_name) + "." + child_path + " of type " + std::string(f.go_type);
      return false;
    }
    if (!CheckTypes(*child, f.path, child_path, error)) return false;
  }
  return true;
}

// ---- match / exclude ------------------------------------------------------------------------

struct Resource {
  std::string group, version, kind, subresource;
  std::string name, namespace_name;
  Value labels, annotations;
};

bool AnyWildcard(const Value& list, std::string_view text) {
  for (const Value& p : list.as_array()) {
    if (p.is_string() && Wildcard(p.as_string(), text)) return true;
  }
  return false;
}

bool KindMatches(const Value& kinds, const Resource& r) {
  for (const Value& k : kinds.as_array()) {
    if (!k.is_string()) continue;
    std::vector<std::string> parts;
    std::string_view s = k.as_string();
    std::size_t pos = 0;
    while (true) {
      std::size_t slash = s.find('/', pos);
      parts.emplace_back(s.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos));
      if (slash == std::string_view::npos) break;
      pos = slash + 1;
    }
    std::string group = "*", version = "*", kind, sub;
    auto starts_upper = [](const std::string& x) { return !x.empty() && x[0] >= 'A' && x[0] <= 'Z'; };
    if (parts.size() == 1) {
      kind = parts[0];
    } else if (parts.size() == 2) {
      if (starts_upper(parts[0])) {
        kind = parts[0], sub = parts[1];
      } else {
        version = parts[0], kind = parts[1];
      }
    } else if (parts.size() == 3) {
      if (starts_upper(parts[1])) {
        version = parts[0], kind = parts[1], sub = parts[2];
      } else {
        group = parts[0], version = parts[1], kind = parts[2];
      }
    } else if (parts.size() == 4) {
      group = parts[0], version = parts[1], kind = parts[2], sub = parts[3];
    } else {
      continue;
    }
    if (!Wildcard(group, r.group) || !Wildcard(version, r.version) || !Wildcard(kind, r.kind)) continue;
    if (sub.empty() ? !r.subresource.empty() : !Wildcard(sub, r.subresource)) continue;
    return true;
  }
  return false;
}

bool SelectorMatches(const Value& selector, const Value& labels) {
  if (!selector.is_object()) return true;
  if (const Value* ml = selector.Find("matchLabels")) {
    for (const auto& [k, v] : ml->as_object()) {
      bool found = false;
      for (const auto& [lk, lv] : labels.as_object()) {
        if (Wildcard(k, lk) && Wildcard(ScalarText(v), ScalarText(lv))) found = true;
      }
      if (!found) return false;
    }
  }
  if (const Value* exprs = selector.Find("matchExpressions")) {
    for (const Value& e : exprs->as_array()) {
      std::string_view key = e.StringAt("key");
      std::string op = std::string(e.StringAt("operator"));
      const Value* have = labels.Find(key);
      const Value* values = e.Find("values");
      bool in = false;
      if (have != nullptr && values != nullptr) {
        for (const Value& v : values->as_array()) in = in || ScalarText(v) == ScalarText(*have);
      }
      bool ok = op == "In" ? in : op == "NotIn" ? !in : op == "Exists" ? have != nullptr : op == "DoesNotExist" ? have == nullptr : false;
      if (!ok) return false;
    }
  }
  return true;
}

// One resource description (`resources`), with the filter's user info. `in_exclude`: user info
// never matches there; in match it is ignored.
bool FilterMatches(const Value& filter, const Resource& r, bool in_exclude) {
  if (in_exclude) {
    for (const char* k : {"subjects", "roles", "clusterRoles"}) {
      const Value* v = filter.Find(k);
      if (v != nullptr && !v->as_array().empty()) return false;
    }
  }
  const Value* rd = filter.Find("resources");
  if (rd == nullptr || !rd->is_object()) return !in_exclude;
  if (const Value* kinds = rd->Find("kinds"); kinds != nullptr && !kinds->as_array().empty() && !KindMatches(*kinds, r)) return false;
  std::string name = r.name;
  if (const Value* n = rd->Find("name"); n != nullptr && n->is_string() && !n->as_string().empty() && !Wildcard(n->as_string(), name)) return false;
  if (const Value* n = rd->Find("names"); n != nullptr && !n->as_array().empty() && !AnyWildcard(*n, name)) return false;
  if (const Value* ns = rd->Find("namespaces"); ns != nullptr && !ns->as_array().empty()) {
    std::string resource_ns = r.kind == "Namespace" ? r.name : r.namespace_name;
    if (!AnyWildcard(*ns, resource_ns)) return false;
  }
  if (const Value* a = rd->Find("annotations"); a != nullptr && a->is_object()) {
    for (const auto& [k, v] : a->as_object()) {
      bool found = false;
      for (const auto& [rk, rv] : r.annotations.as_object()) {
        if (Wildcard(k, rk) && Wildcard(ScalarText(v), ScalarText(rv))) found = true;
      }
      if (!found) return false;
    }
  }
  if (const Value* s = rd->Find("selector"); s != nullptr && s->is_object() && !SelectorMatches(*s, r.labels)) return false;
  if (const Value* s = rd->Find("namespaceSelector"); s != nullptr && s->is_object() && !SelectorMatches(*s, Value(Object{}))) {
    return false;
  }
  if (const Value* ops = rd->Find("operations"); ops != nullptr && !ops->as_array().empty()) {
    bool create = false;
    for (const Value& o : ops->as_array()) create = create || ScalarText(o) == "CREATE";
    if (!create) return false;
  }
  return true;
}

bool BlockMatches(const Value* block, const Resource& r, bool in_exclude) {
  if (block == nullptr || !block->is_object()) return false;
  const Value* any = block->Find("any");
  const Value* all = block->Find("all");
  if (any != nullptr && !any->as_array().empty()) {
    for (const Value& f : any->as_array()) {
      if (FilterMatches(f, r, in_exclude)) return true;
    }
    return false;
  }
  if (all != nullptr && !all->as_array().empty()) {
    for (const Value& f : all->as_array()) {
      if (!FilterMatches(f, r, in_exclude)) return false;
    }
    return true;
  }
  const Value* rd = block->Find("resources");
  if (rd == nullptr || !rd->is_object() || rd->as_object().empty()) return false;
  return FilterMatches(*block, r, in_exclude);
}

// ---- autogen ---------------------------------------------------------------------------------

constexpr std::string_view kPodControllers = "DaemonSet,Deployment,Job,StatefulSet,ReplicaSet,ReplicationController";

std::vector<const Value*> ResourceDescriptions(const Value& rule) {
  std::vector<const Value*> out;
  for (const char* block : {"match", "exclude"}) {
    const Value* b = rule.Find(block);
    if (b == nullptr) continue;
    for (const char* list : {"any", "all"}) {
      for (const Value& f : b->Find(list) != nullptr ? b->Find(list)->as_array() : Array()) {
        if (const Value* rd = f.Find("resources")) out.push_back(rd);
      }
    }
    if (const Value* rd = b->Find("resources")) out.push_back(rd);
  }
  return out;
}

bool AutogenApplies(const Array& rules) {
  bool pod = false;
  for (const Value& rule : rules) {
    for (const Value* rd : ResourceDescriptions(rule)) {
      for (const char* blocked : {"name", "names", "selector", "annotations"}) {
        const Value* v = rd->Find(blocked);
        if (v != nullptr && Truthy(*v)) return false;
      }
      const Value* kinds = rd->Find("kinds");
      if (kinds == nullptr) continue;
      bool has_pod = false;
      for (const Value& k : kinds->as_array()) has_pod = has_pod || ScalarText(k) == "Pod";
      if (has_pod && kinds->as_array().size() > 1) return false;
      pod = pod || has_pod;
    }
  }
  return pod;
}

Value ReplaceKinds(const Value& v, const Array& kinds) {
  if (v.is_object()) {
    Object o;
    for (const auto& [k, e] : v.as_object()) {
      if (k == "kinds" && e.is_array()) {
        bool pod = false;
        for (const Value& x : e.as_array()) pod = pod || ScalarText(x) == "Pod";
        o.emplace(k, pod ? Value(kinds) : e);
      } else {
        o.emplace(k, ReplaceKinds(e, kinds));
      }
    }
    return Value(std::move(o));
  }
  if (v.is_array()) {
    Array a;
    for (const Value& e : v.as_array()) a.push_back(ReplaceKinds(e, kinds));
    return Value(std::move(a));
  }
  return v;
}

Value AutogenRule(const Value& rule, std::string_view prefix, const Array& kinds, bool cronjob) {
  Object r = rule.as_object();
  std::string name = std::string(prefix) + std::string(rule.StringAt("name"));
  if (name.size() > 63) name.resize(63);
  r["name"] = Value(name);
  for (const char* block : {"match", "exclude"}) {
    auto it = r.find(block);
    if (it != r.end()) it->second = ReplaceKinds(it->second, kinds);
  }
  auto wrap = [&](const Value& pattern) {
    Value inner = Value(Object{{"spec", Value(Object{{"template", pattern}})}});
    if (!cronjob) return inner;
    return Value(Object{{"spec", Value(Object{{"jobTemplate", inner}})}});
  };
  if (auto it = r.find("validate"); it != r.end() && it->second.is_object()) {
    Object v = it->second.as_object();
    if (auto p = v.find("pattern"); p != v.end()) p->second = wrap(p->second);
    if (auto p = v.find("anyPattern"); p != v.end()) {
      Array wrapped;
      for (const Value& e : p->second.as_array()) wrapped.push_back(wrap(e));
      p->second = Value(std::move(wrapped));
    }
    it->second = Value(std::move(v));
  }
  std::string text = ToJson(Value(std::move(r)));
  std::string target = cronjob ? ".spec.jobTemplate.spec.template" : ".spec.template";
  for (const char* obj : {"request.object", "request.oldObject"}) {
    text = ReplaceAll(text, std::string(obj) + ".spec", std::string(obj) + target + ".spec");
    text = ReplaceAll(text, std::string(obj) + ".metadata", std::string(obj) + target + ".metadata");
  }
  Value out;
  std::string error;
  ParseJson(text, &out, &error);
  return out;
}

Array SplitList(std::string_view s) {
  Array out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t comma = s.find(',', pos);
    std::string_view item = s.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    std::size_t b = item.find_first_not_of(' ');
    if (b != std::string_view::npos) out.push_back(Value(item.substr(b, item.find_last_not_of(' ') - b + 1)));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

Array RulesWithAutogen(const Value& policy) {
  Array rules = policy.Path("spec.rules") != nullptr ? policy.Path("spec.rules")->as_array() : Array();
  std::string_view controllers = kPodControllers;
  std::string annotation;
  if (const Value* a = policy.Path("metadata.annotations"); a != nullptr) {
    if (const Value* c = a->Find("pod-policies.kyverno.io/autogen-controllers"); c != nullptr && c->is_string()) {
      annotation = c->as_string();
    }
  }
  Array kinds = SplitList(annotation.empty() ? std::string(controllers) + ",CronJob" : annotation);
  if (annotation == "none" || !AutogenApplies(rules)) return rules;
  Array controller_kinds;
  bool cronjob = false;
  for (const Value& k : kinds) {
    if (k.as_string() == "CronJob") {
      cronjob = true;
    } else if (k.as_string() != "none") {
      controller_kinds.push_back(k);
    }
  }
  Array generated;
  auto pod_rule = [](const Value& rule) {
    for (const Value* rd : ResourceDescriptions(rule)) {
      if (const Value* kinds = rd->Find("kinds")) {
        for (const Value& k : kinds->as_array()) {
          if (ScalarText(k) == "Pod") return true;
        }
      }
    }
    return false;
  };
  // Per rule, as Kyverno appends them: the controllers' rule, then the CronJob one.
  for (const Value& rule : rules) {
    if (!pod_rule(rule)) continue;
    if (!controller_kinds.empty()) generated.push_back(AutogenRule(rule, "autogen-", controller_kinds, false));
    if (cronjob) generated.push_back(AutogenRule(rule, "autogen-cronjob-", Array{Value("CronJob")}, true));
  }
  rules.insert(rules.end(), generated.begin(), generated.end());
  return rules;
}

// ---- rule evaluation ---------------------------------------------------------------------------

using Status = RuleResponse::Status;

struct RuleState {
  std::string name;
  std::string message;  // validate.message, raw
  Object context;       // the JMESPath document's members; change them through Set
  bool is_delete = false;
  Value resource;       // the new object
  Value element;        // foreach: the element used as the resource when scoped
  bool element_scoped = false;

  // The context as a JMESPath document. Every condition, message and pattern of the rule
  // reads it, and building it copies the whole map: build it once per change of `context`.
  const Value& Doc() const {
    if (!doc) doc = Value(context);
    return *doc;
  }
  void Set(std::string key, Value v) {
    context.insert_or_assign(std::move(key), std::move(v));
    doc.reset();
  }

 private:
  mutable std::optional<Value> doc;
};

struct Outcome {
  bool present = false;
  Status status = Status::kPass;
  std::string message;
};

Outcome Make(Status s, std::string message) { return Outcome{true, s, std::move(message)}; }

bool LoadContext(const Value* entries, RuleState& st, std::string* error) {
  if (entries == nullptr) return true;
  for (const Value& entry : entries->as_array()) {
    std::string name(entry.StringAt("name"));
    const Value* variable = entry.Find("variable");
    if (variable == nullptr) continue;  // configMap, apiCall, imageRegistry: skipped
    const Value& doc = st.Doc();
    VariableScope scope{&doc, st.is_delete, nullptr};
    Value result;
    if (const Value* v = variable->Find("value")) {
      if (!SubstituteAll(*v, scope, &result, error)) return false;
      if (const Value* jp = variable->Find("jmesPath"); jp != nullptr && jp->is_string() && !jp->as_string().empty()) {
        Value subst;
        if (!SubstituteString(jp->as_string(), scope, &subst, error)) return false;
        Value r;
        if (!jmespath::Search(ScalarText(subst), result, &r, error)) return false;
        result = std::move(r);
      }
    } else if (const Value* jp = variable->Find("jmesPath"); jp != nullptr && jp->is_string()) {
      Value subst;
      if (!SubstituteString(jp->as_string(), scope, &subst, error)) return false;
      if (!Query(ScalarText(subst), scope, &result, error)) return false;
    }
    if (result.is_null()) {
      if (const Value* d = variable->Find("default")) {
        if (!SubstituteAll(*d, scope, &result, error)) return false;
      }
    }
    st.Set(std::move(name), std::move(result));
  }
  return true;
}

std::string JoinNonEmpty(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

Outcome Validate(const Value& validation, RuleState& st, int nesting);

Outcome Preconditions(const Value* block, RuleState& st, bool* passed) {
  *passed = true;
  if (block == nullptr) return {};
  const Value& doc = st.Doc();
  VariableScope scope{&doc, st.is_delete, nullptr};
  BlockResult r;
  std::string error;
  if (!EvaluateBlock(*block, scope, &r, &error)) return Make(Status::kError, "failed to evaluate preconditions: " + error);
  if (!r.holds) {
    *passed = false;
    std::string extra = JoinNonEmpty(r.false_messages, "; ");
    return Make(Status::kSkip, extra.empty() ? "preconditions not met" : "preconditions not met; " + extra);
  }
  return {};
}

std::string WithPeriod(std::string m) {
  if (!m.ends_with(".")) m += ".";
  return m;
}

std::string SubstitutedMessage(const RuleState& st, const std::string& raw) {
  if (raw.find("{{") == std::string::npos) return raw;
  const Value& doc = st.Doc();
  VariableScope scope{&doc, st.is_delete, nullptr};
  Value out;
  std::string error;
  if (!SubstituteString(raw, scope, &out, &error)) return raw;
  return out.is_string() ? out.as_string() : "the produced message didn't resolve to a string, check your policy definition.";
}

Outcome Deny(const Value& deny, RuleState& st) {
  const Value& doc = st.Doc();
  VariableScope scope{&doc, st.is_delete, nullptr};
  BlockResult r;
  std::string error;
  const Value* conditions = deny.Find("conditions");
  if (!EvaluateBlock(conditions != nullptr ? *conditions : Value(), scope, &r, &error)) {
    return Make(Status::kError, "failed to check deny conditions: " + error);
  }
  if (!r.holds) return Make(Status::kPass, "validation rule '" + st.name + "' passed.");
  std::vector<std::string> parts{st.message};
  parts.insert(parts.end(), r.true_messages.begin(), r.true_messages.end());
  std::string msg = JoinNonEmpty(parts, "; ");
  if (msg.empty()) return Make(Status::kFail, "validation error: rule " + st.name + " failed");
  return Make(Status::kFail, SubstitutedMessage(st, msg));
}

Outcome Patterns(const Value& validation, RuleState& st) {
  const Value& resource = st.element_scoped ? st.element : st.resource;
  if (!st.element_scoped && st.is_delete) return {};
  const Value& doc = st.Doc();
  VariableScope scope{&doc, st.is_delete, &resource};
  std::string message = SubstitutedMessage(st, st.message);
  if (const Value* pattern = validation.Find("pattern")) {
    Value p;
    std::string error;
    if (!SubstituteAll(*pattern, scope, &p, &error)) return Make(Status::kError, "variable substitution failed: " + error);
    PatternOutcome o = MatchPattern(resource, p);
    if (o.kind == PatternOutcome::Kind::kPass) return Make(Status::kPass, "validation rule '" + st.name + "' passed.");
    if (o.kind == PatternOutcome::Kind::kSkip) return Make(Status::kSkip, o.error);
    std::string head = message.empty() ? "validation error: " : "validation error: " + WithPeriod(message) + " ";
    if (!o.path.empty()) return Make(Status::kFail, head + "rule " + st.name + " failed at path " + o.path);
    return Make(Status::kError, head + "rule " + st.name + " execution error: " + o.error);
  }
  const Value* any = validation.Find("anyPattern");
  Value patterns;
  std::string error;
  if (!SubstituteAll(*any, scope, &patterns, &error)) return Make(Status::kError, "variable substitution failed: " + error);
  std::vector<std::string> failures, skips;
  const Array& list = patterns.as_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    PatternOutcome o = MatchPattern(resource, list[i]);
    std::string idx = st.name + "[" + std::to_string(i) + "]";
    if (o.kind == PatternOutcome::Kind::kPass) {
      return Make(Status::kPass, "validation rule '" + st.name + "' anyPattern[" + std::to_string(i) + "] passed.");
    }
    if (o.kind == PatternOutcome::Kind::kSkip) {
      skips.push_back("rule " + idx + " skipped: " + o.error);
    } else if (!o.path.empty()) {
      failures.push_back("rule " + idx + " failed at path " + o.path);
    } else {
      failures.push_back("rule " + idx + " failed: " + o.error);
    }
  }
  if (!failures.empty()) {
    std::string items = JoinNonEmpty(failures, " ");
    if (message.empty()) return Make(Status::kFail, "validation error: " + items);
    return Make(Status::kFail, "validation error: " + (message.ends_with(".") ? message : message + ".") + " " + items);
  }
  if (!skips.empty()) return Make(Status::kSkip, JoinNonEmpty(skips, " "));
  return Make(Status::kPass, "validation rule '" + st.name + "' passed.");
}

Outcome ForEach(const Value& list, RuleState& st, int nesting) {
  int applied = 0;
  for (const Value& foreach : list.as_array()) {
    const Value& doc = st.Doc();
    VariableScope scope{&doc, st.is_delete, nullptr};
    Value elements;
    std::string error;
    std::string expr(foreach.StringAt("list"));
    Value subst;
    if (!SubstituteString(expr, scope, &subst, &error) || !Query(ScalarText(subst), scope, &elements, &error)) continue;
    if (!elements.is_array()) continue;
    const Array& items = elements.as_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].is_null()) continue;
      RuleState inner = st;
      inner.Set("element", items[i]);
      inner.Set("elementIndex", Value(static_cast<double>(i)));
      inner.Set("element" + std::to_string(nesting), items[i]);
      inner.Set("elementIndex" + std::to_string(nesting), Value(static_cast<double>(i)));
      const Value* scope_flag = foreach.Find("elementScope");
      bool scoped = scope_flag != nullptr && scope_flag->is_bool() ? scope_flag->as_bool() : items[i].is_object();
      if (scoped) {
        inner.element = items[i];
        inner.element_scoped = true;
      }
      Outcome r = Validate(foreach, inner, nesting + 1);
      if (!r.present || r.status == Status::kSkip) continue;
      if (r.status == Status::kError) {
        if (i + 1 < items.size()) continue;
        return Make(Status::kError, "validation failure: " + r.message);
      }
      if (r.status == Status::kFail) return Make(Status::kFail, "validation failure: " + r.message);
      ++applied;
    }
  }
  if (applied == 0) return Make(Status::kSkip, "rule skipped");
  return Make(Status::kPass, "rule passed");
}

// The body shared by a rule's `validate` and a foreach entry.
Outcome Validate(const Value& validation, RuleState& st, int nesting) {
  std::string error;
  if (!LoadContext(validation.Find("context"), st, &error)) return Make(Status::kError, "failed to load context: " + error);
  bool passed = true;
  Outcome pre = Preconditions(validation.Find("preconditions"), st, &passed);
  if (pre.present) return pre;
  if (const Value* deny = validation.Find("deny"); deny != nullptr && !deny->is_null()) return Deny(*deny, st);
  const Value* pattern = validation.Find("pattern");
  const Value* any = validation.Find("anyPattern");
  if ((pattern != nullptr && !pattern->is_null()) || (any != nullptr && any->is_array())) return Patterns(validation, st);
  if (const Value* fe = validation.Find("foreach"); fe != nullptr && fe->is_array()) return ForEach(*fe, st, nesting);
  return {};
}

Outcome EvaluateRule(const Value& rule, const Value& request, const Resource& resource, const Value& object, bool is_delete) {
  const Value* validate = rule.Find("validate");
  if (validate == nullptr || !validate->is_object() || validate->as_object().empty()) return {};
  if (!BlockMatches(rule.Find("match"), resource, false)) return {};
  if (const Value* ex = rule.Find("exclude"); ex != nullptr && BlockMatches(ex, resource, true)) return {};
  RuleState st;
  st.name = std::string(rule.StringAt("name"));
  st.message = std::string(validate->StringAt("message"));
  st.Set("request", request);
  st.is_delete = is_delete;
  st.resource = object;
  std::string error;
  if (!LoadContext(rule.Find("context"), st, &error)) return Make(Status::kError, "failed to load context: " + error);
  bool passed = true;
  Outcome pre = Preconditions(rule.Find("preconditions"), st, &passed);
  if (pre.present) return pre;
  // The rule's own context and preconditions are done; evaluate the validate body alone (a
  // copy without them only when it has them: most rules do not).
  if (validate->Find("context") == nullptr && validate->Find("preconditions") == nullptr) {
    return Validate(*validate, st, 0);
  }
  Object body = validate->as_object();
  body.erase("context");
  body.erase("preconditions");
  return Validate(Value(std::move(body)), st, 0);
}

// The object with the GVK of request.kind and, for namespaced kinds, request.namespace.
Value PrepareObject(const Value& object, const Value& request) {
  if (!object.is_object()) return object;
  Object o = object.as_object();
  const Value* kind = request.Find("kind");
  std::string group(kind != nullptr ? kind->StringAt("group") : "");
  std::string version(kind != nullptr ? kind->StringAt("version") : "");
  std::string kind_name(kind != nullptr ? kind->StringAt("kind") : "");
  o["apiVersion"] = Value(group.empty() ? version : group + "/" + version);
  o["kind"] = Value(kind_name);
  std::string_view ns = request.StringAt("namespace");
  if (!ns.empty() && kind_name != "Namespace") {
    Object meta = o["metadata"].as_object();
    meta["namespace"] = Value(ns);
    o["metadata"] = Value(std::move(meta));
  }
  return Value(std::move(o));
}

}  // namespace

bool DecodePolicy(std::string_view text, Value* policy, std::string* error) {
  std::string reason;
  if (!ParseYaml(text, policy, &reason)) {
    *error = "failed to convert policy to JSON: " + reason;
    return false;
  }
  if (!policy->is_object() && !policy->is_null()) {
    *error = std::string("cannot unmarshal policy: json: cannot unmarshal ") + GoJsonTypeName(*policy) +
             " into Go value of type v1.ClusterPolicy";
    return false;
  }
  if (!CheckTypes(*policy, "", "", &reason)) {
    *error = "cannot unmarshal policy: " + reason;
    return false;
  }
  return true;
}

PreparedPolicy Prepare(Value policy) {
  PreparedPolicy prepared;
  prepared.rules = RulesWithAutogen(policy);
  prepared.policy = std::move(policy);
  return prepared;
}

std::vector<RuleResponse> Evaluate(const PreparedPolicy& prepared, const Value& request) {
  const Value& policy = prepared.policy;
  std::vector<RuleResponse> responses;
  bool is_delete = request.StringAt("operation") == "DELETE";
  const Value* new_object = request.Find("object");
  const Value* old_object = request.Find("oldObject");
  Value object = new_object != nullptr && !new_object->is_null() ? PrepareObject(*new_object, request)
                 : old_object != nullptr && !old_object->is_null() ? PrepareObject(*old_object, request)
                                                                    : Value();
  Resource r;
  const Value* kind = request.Find("kind");
  if (kind != nullptr) {
    r.group = std::string(kind->StringAt("group"));
    r.version = std::string(kind->StringAt("version"));
    r.kind = std::string(kind->StringAt("kind"));
  }
  r.subresource = std::string(request.StringAt("subResource"));
  const Value* meta = object.Find("metadata");
  if (meta != nullptr) {
    r.name = std::string(meta->StringAt("name"));
    if (r.name.empty()) r.name = std::string(meta->StringAt("generateName"));
    r.namespace_name = std::string(meta->StringAt("namespace"));
    if (const Value* l = meta->Find("labels")) r.labels = *l;
    if (const Value* a = meta->Find("annotations")) r.annotations = *a;
  }
  if (const Value* ns = policy.Path("metadata.namespace"); ns != nullptr && ns->is_string() && !ns->as_string().empty()) {
    if (r.namespace_name != ns->as_string()) return responses;
  }
  bool apply_one = policy.Path("spec.applyRules") != nullptr && ScalarText(*policy.Path("spec.applyRules")) == "One";
  Value subject = new_object != nullptr && !new_object->is_null() ? object : Value();
  for (const Value& rule : prepared.rules) {
    Outcome o = EvaluateRule(rule, request, r, subject, is_delete);
    if (!o.present) continue;
    responses.push_back(RuleResponse{std::string(rule.StringAt("name")), o.status, o.message});
    if (apply_one && (o.status == Status::kPass || o.status == Status::kFail)) break;
  }
  return responses;
}

std::string VerdictMessage(const std::vector<RuleResponse>& responses) {
  std::string out;
  for (std::size_t i = 0; i < responses.size(); ++i) {
    if (i > 0) out += ",";
    out += "[" + std::to_string(i) + "] - " + responses[i].message;
  }
  return out;
}

}  // namespace kyverno
