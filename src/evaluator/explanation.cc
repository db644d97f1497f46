#include "evaluator/explanation.h"

#include <algorithm>
#include <variant>

#include "evaluator/evaluator.h"

namespace kw::evaluator {
namespace {

// Takes what the explained evaluation's spans record, on the thread that evaluates.
class SpanCollector final : public tracing::SpanSink {
 public:
  void Record(tracing::SpanData span) override { spans.push_back(std::move(span)); }
  std::vector<tracing::SpanData> spans;
};

const tracing::AttributeValue* Find(const std::vector<tracing::Attribute>& attributes,
                                    std::string_view key) {
  for (const auto& attribute : attributes) {
    if (attribute.key == key) return &attribute.value;
  }
  return nullptr;
}

template <typename T>
std::optional<T> Get(const std::vector<tracing::Attribute>& attributes, std::string_view key) {
  const tracing::AttributeValue* value = Find(attributes, key);
  if (value == nullptr) return std::nullopt;
  if (const T* typed = std::get_if<T>(value)) return *typed;
  return std::nullopt;
}

std::string String(const std::vector<tracing::Attribute>& attributes, std::string_view key) {
  return Get<std::string>(attributes, key).value_or("");
}

std::int64_t DurationUs(const tracing::SpanData& span) {
  if (span.end_unix_nano < span.start_unix_nano) return 0;
  return static_cast<std::int64_t>((span.end_unix_nano - span.start_unix_nano) / 1000);
}

// The spans whose parent is `parent`, in the order they were recorded: siblings run one after
// the other, so that is the order they ran in.
std::vector<const tracing::SpanData*> ChildrenOf(const std::vector<tracing::SpanData>& spans,
                                                 const tracing::SpanData& parent,
                                                 std::string_view name) {
  std::vector<const tracing::SpanData*> children;
  for (const auto& span : spans) {
    if (span.parent_span_id == parent.span_id && span.name == name) children.push_back(&span);
  }
  return children;
}

EvaluationRecord EvaluationFrom(const tracing::SpanData& span) {
  EvaluationRecord record;
  const auto& a = span.attributes;
  record.policy_id = String(a, "policy_id");
  record.member = String(a, "group_member");
  if (auto error = Get<std::string>(a, "error")) {
    record.verdict = "error";
    record.message = std::move(*error);
  } else {
    record.verdict = Get<bool>(a, "allowed").value_or(false) ? "allowed" : "rejected";
    record.message = Get<std::string>(a, "response_message");
    record.code = Get<std::int64_t>(a, "response_code");
    record.patch = Get<std::string>(a, "patch");
    if (record.patch && !record.member.empty()) {
      // What the group makes of it (evaluator.h): a member's patch is its denial.
      record.verdict = "rejected";
      record.message = std::string(kGroupMutationMessage);
    }
    if (auto warnings = Get<std::string>(a, "warnings")) {
      if (auto parsed = ParseJson(*warnings); parsed && parsed->is_array()) {
        for (const auto& warning : parsed->as_array()) {
          if (warning.is_string()) record.warnings.emplace_back(warning.as_string());
        }
      }
    }
  }
  record.duration_us = DurationUs(span);
  for (const auto& event : span.events) {
    const auto& e = event.attributes;
    if (event.name == "host_call") {
      record.host_calls.push_back({String(e, "binding"), String(e, "namespace"),
                                   String(e, "operation"), String(e, "outcome") == "ok",
                                   String(e, "error"),
                                   Get<std::int64_t>(e, "duration_us").value_or(0)});
    } else if (event.name == "policy_log") {
      record.logs.push_back({String(e, "level"), String(e, "message")});
    }
  }
  record.dropped_events = span.dropped_events;
  return record;
}

std::string Calls(const std::string& comma_separated) {
  std::string calls;
  std::size_t start = 0;
  while (start <= comma_separated.size() && !comma_separated.empty()) {
    std::size_t comma = comma_separated.find(',', start);
    if (comma == std::string::npos) comma = comma_separated.size();
    calls += (calls.empty() ? "" : ", ") + comma_separated.substr(start, comma - start) + "()";
    start = comma + 1;
  }
  return calls;
}

GroupRecord GroupFrom(const tracing::SpanData& span, const PolicyGroup& group,
                      const std::vector<EvaluationRecord>& evaluations) {
  GroupRecord record;
  const auto& a = span.attributes;
  record.expression = Get<std::string>(a, "expression").value_or(group.expression.text());
  record.allowed = Get<bool>(a, "allowed").value_or(false);
  record.message = Get<std::string>(a, "response_message");
  for (const auto& [name, member] : group.members) {
    const bool evaluated = std::any_of(evaluations.begin(), evaluations.end(),
                                       [&](const auto& e) { return e.member == name; });
    if (!evaluated) record.skipped.push_back(name);
  }
  for (const auto& evaluation : evaluations) {
    if (evaluation.patch) {
      record.stop_reasons.push_back("member mutated: " + evaluation.member +
                                    "() returned a patch; members may not mutate, so it counts "
                                    "as a rejection");
    }
  }
  for (const auto& event : span.events) {
    if (event.name != "short_circuit") continue;
    const auto& e = event.attributes;
    std::string reason = "`" + String(e, "operator") + "` short-circuited: " + String(e, "left") +
                         " was " + (Get<bool>(e, "left_value").value_or(false) ? "true" : "false");
    if (std::string skipped = Calls(String(e, "skipped")); !skipped.empty()) {
      reason += ", so " + skipped + " not evaluated";
    }
    record.stop_reasons.push_back(std::move(reason));
  }
  if (auto error = Get<std::string>(a, "error")) {
    record.stop_reasons.push_back("the expression failed: " + *error);
  }
  if (record.stop_reasons.empty()) {
    record.stop_reasons.emplace_back("every member the expression needed was evaluated");
  }
  return record;
}

json::value IdentityJson(const admission::GroupVersionName& gvn, std::string_view name_key) {
  json::object o;
  o["group"] = gvn.group;
  o["version"] = gvn.version;
  o[name_key] = gvn.name;
  return o;
}

json::value EvaluationJson(const EvaluationRecord& e) {
  json::object o;
  o["policy_id"] = e.policy_id;
  if (!e.member.empty()) o["member"] = e.member;
  o["verdict"] = e.verdict;
  if (e.message) o["message"] = *e.message;
  if (e.code) o["code"] = *e.code;
  if (e.patch) {
    // The operations as JSON; text cut at the span's limit stays text.
    auto parsed = ParseJson(*e.patch);
    o["patch"] = parsed ? std::move(*parsed) : json::value(*e.patch);
  }
  if (!e.warnings.empty()) {
    json::array warnings;
    for (const auto& w : e.warnings) warnings.emplace_back(w);
    o["warnings"] = std::move(warnings);
  }
  o["duration_us"] = e.duration_us;
  json::array calls;
  for (const auto& c : e.host_calls) {
    json::object call;
    call["binding"] = c.binding;
    call["namespace"] = c.ns;
    call["operation"] = c.operation;
    call["outcome"] = c.ok ? "ok" : "error";
    if (!c.ok) call["error"] = c.error;
    call["duration_us"] = c.duration_us;
    calls.emplace_back(std::move(call));
  }
  o["host_calls"] = std::move(calls);
  if (!e.logs.empty()) {
    json::array logs;
    for (const auto& l : e.logs) logs.emplace_back(json::object{{"level", l.level}, {"message", l.message}});
    o["logs"] = std::move(logs);
  }
  if (e.dropped_events > 0) o["dropped_events"] = e.dropped_events;
  return o;
}

}  // namespace

Explanation ExplanationFromSpans(const EnvironmentEntry& entry,
                                 const admission::ValidationRequest& request,
                                 admission::AdmissionResponse response,
                                 const std::vector<tracing::SpanData>& spans) {
  Explanation x;
  x.uid = std::string(request.uid());
  x.raw = request.kind() == admission::RequestKind::kRaw;
  if (!x.raw) {
    x.operation = request.operation();
    x.identity = request.identity();
    x.ns = request.namespace_name();
  }
  x.policy_id = entry.id;
  x.mode = entry.mode == PolicyMode::kMonitor ? "monitor" : "protect";
  x.is_group = entry.group != nullptr;
  x.response = std::move(response);
  if (entry.state() == EntryState::kFailed) {
    x.not_evaluated = "the policy is not loaded: " + entry.error.value_or("unknown error");
  }
  auto root = std::find_if(spans.begin(), spans.end(),
                           [](const auto& span) { return !span.parent_span_id; });
  if (root == spans.end()) return x;
  x.duration_us = DurationUs(*root);
  if (x.is_group) {
    auto groups = ChildrenOf(spans, *root, "policy_group_evaluation");
    if (groups.empty()) return x;
    for (const auto* span : ChildrenOf(spans, *groups.front(), "policy_evaluation")) {
      x.evaluations.push_back(EvaluationFrom(*span));
    }
    x.group = GroupFrom(*groups.front(), *entry.group, x.evaluations);
  } else {
    for (const auto* span : ChildrenOf(spans, *root, "policy_evaluation")) {
      x.evaluations.push_back(EvaluationFrom(*span));
    }
  }
  return x;
}

Explained Explain(const EnvironmentEntry& entry, const admission::ValidationRequest& request,
                  const std::function<admission::AdmissionResponse()>& evaluate) {
  SpanCollector collector;
  admission::AdmissionResponse response;
  {
    tracing::Span root = tracing::Span::Start(collector, "explain", tracing::SpanKind::kInternal);
    root.SetDetailed();
    tracing::CurrentSpan current(root);
    response = evaluate();
  }  // ends the root, after its children
  Explanation explanation = ExplanationFromSpans(entry, request, response, collector.spans);
  return {std::move(response), std::move(explanation)};
}

json::value ExplanationJson(const Explanation& x) {
  json::object request;
  request["uid"] = x.uid;
  if (x.raw) {
    request["raw"] = true;
  } else {
    request["operation"] = x.operation;
    request["kind"] = IdentityJson(x.identity.kind, "kind");
    request["resource"] = IdentityJson(x.identity.resource, "resource");
    if (!x.identity.subresource.empty()) request["subresource"] = x.identity.subresource;
    request["name"] = x.identity.name;
    if (x.ns) request["namespace"] = *x.ns;
  }
  json::object out;
  out["request"] = std::move(request);
  out["policy"] = json::object{
      {"id", x.policy_id}, {"type", x.is_group ? "group" : "policy"}, {"mode", x.mode}};
  json::array evaluations;
  for (const auto& e : x.evaluations) evaluations.push_back(EvaluationJson(e));
  out["evaluations"] = std::move(evaluations);
  if (x.group) {
    json::object group;
    group["expression"] = x.group->expression;
    json::array skipped, stopped;
    for (const auto& s : x.group->skipped) skipped.emplace_back(s);
    for (const auto& s : x.group->stop_reasons) stopped.emplace_back(s);
    group["skipped"] = std::move(skipped);
    group["stopped"] = std::move(stopped);
    group["allowed"] = x.group->allowed;
    if (x.group->message) group["message"] = *x.group->message;
    out["group"] = std::move(group);
  }
  if (x.not_evaluated) out["not_evaluated"] = *x.not_evaluated;
  auto answered = ParseJson(admission::AdmissionResponseJson(x.response));
  out["response"] = answered ? std::move(*answered) : json::value(nullptr);
  out["duration_us"] = x.duration_us;
  return out;
}

}  // namespace kw::evaluator
