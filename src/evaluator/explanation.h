// Explained decisions (ours; upstream has nothing like it): for one request, every policy or
// group member evaluated, in order, with its verdict, message, patch, duration and host calls,
// and why a group's evaluation stopped where it did. `kwctl run --explain` prints it; with
// --enable-explain-endpoint, policy-server answers it on the readiness listener (api.h).
//
// There is no instrumentation of its own: the evaluation runs under a *detailed* span
// (tracing/span.h) whose spans the Explanation is read from, the same "policy_evaluation" and
// "policy_group_evaluation" spans, guest-log events, and the detailed-only "host_call" and
// "short_circuit" events and `patch`/`warnings`/`expression` attributes (evaluator.h,
// host/host.h). Tracing export and explanation are two consumers of one record; an evaluation
// that is not explained records nothing more than before.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "admission/request.h"
#include "admission/response.h"
#include "base/json.h"
#include "evaluator/environment.h"
#include "tracing/span.h"

namespace kw::evaluator {

struct HostCallRecord {
  std::string binding;
  std::string ns;
  std::string operation;
  bool ok = false;
  std::string error;  // when not ok
  std::int64_t duration_us = 0;
};

struct LogRecord {
  std::string level;
  std::string message;
};

// One policy evaluation: a lone policy's, or a group member's. The verdict is the policy's own
// (before the response handler): "allowed", "rejected", or "error" when it failed (trap,
// timeout, bad answer...), which the request sees as a rejection with code 500. A group member
// that returned a patch is "rejected" with the group's mutation message, as the group counts it.
struct EvaluationRecord {
  std::string policy_id;  // "<group>/<member>" for a member
  std::string member;     // the member's name; empty for a lone policy
  std::string verdict;
  std::optional<std::string> message;  // the rejection's, or the error
  std::optional<std::int64_t> code;
  std::optional<std::string> patch;  // JSON text of the RFC 6902 operations
  std::vector<std::string> warnings;
  std::int64_t duration_us = 0;
  std::vector<HostCallRecord> host_calls;
  std::vector<LogRecord> logs;
  std::uint32_t dropped_events = 0;  // host calls and logs past the span's limits
};

struct GroupRecord {
  std::string expression;
  std::vector<std::string> skipped;  // members never evaluated, in definition order
  // Why the evaluation stopped: each short-circuit, a member's mutation, the failure of the
  // expression, or that every member it needed was evaluated.
  std::vector<std::string> stop_reasons;
  // The group's own verdict, before the response handler (monitor mode).
  bool allowed = false;
  std::optional<std::string> message;
};

struct Explanation {
  // The request: its uid and, for an AdmissionRequest, what it is about.
  std::string uid;
  bool raw = false;
  std::string operation;
  admission::AdmissionIdentity identity;
  std::optional<std::string> ns;

  std::string policy_id;
  std::string mode;  // "protect" or "monitor"
  bool is_group = false;
  std::vector<EvaluationRecord> evaluations;  // in the order they ran
  std::optional<GroupRecord> group;
  // Why nothing was evaluated (a policy that failed to load), when so.
  std::optional<std::string> not_evaluated;

  // What the request was answered (the response handler applied).
  admission::AdmissionResponse response;
  std::int64_t duration_us = 0;
};

struct Explained {
  admission::AdmissionResponse response;
  Explanation explanation;
};

// Runs `evaluate` (which evaluates `entry` for `request`, e.g. through Evaluator::Evaluate) under
// a detailed span of its own, on this thread, and explains what it recorded. Whatever span was
// current is put back after; nothing recorded here goes to it.
Explained Explain(const EnvironmentEntry& entry, const admission::ValidationRequest& request,
                  const std::function<admission::AdmissionResponse()>& evaluate);

// Builds the explanation from the spans of one explained evaluation (children before their
// parents, as spans end), exposed for tests.
Explanation ExplanationFromSpans(const EnvironmentEntry& entry,
                                 const admission::ValidationRequest& request,
                                 admission::AdmissionResponse response,
                                 const std::vector<tracing::SpanData>& spans);

// The JSON document of `kwctl run --explain=json` and policy-server's /explain: see the README
// for the fields.
json::value ExplanationJson(const Explanation& explanation);

}  // namespace kw::evaluator
