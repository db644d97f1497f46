#include "evaluator/evaluator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

#include "admission/response_handler.h"
#include "base/base64.h"
#include "evaluator/environment.h"

namespace kw::evaluator {

std::uint64_t PolicyKey::Next() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

Evaluator::Evaluator(engine::Worker& worker, host::DispatcherSharedPtr dispatcher)
    : worker_(worker), dispatcher_(std::move(dispatcher)) {}

Result<runtime::PolicyRuntime*> Evaluator::RuntimeFor(const Policy& policy) {
  auto it = runtimes_.find(policy.key.value());
  if (it != runtimes_.end()) return it->second.get();
  runtime::RuntimeOptions options;
  options.policy_id = policy.config.id;
  options.capabilities = policy.config.capabilities;
  options.dispatcher = dispatcher_;
  options.timeout = policy.config.timeout;
  options.settings_json = admission::SerializeSettings(policy.config.settings);
  KW_ASSIGN_OR_RETURN(runtime::PolicyRuntimePtr rt,
                      runtime::CreatePolicyRuntime(worker_, policy.module, std::move(options)));
  return runtimes_.emplace(policy.key.value(), std::move(rt)).first->second.get();
}

admission::SettingsValidationResponse Evaluator::ValidateSettings(const Policy& policy) {
  auto rt = RuntimeFor(policy);
  if (!rt) return {false, rt.error().message};
  return (*rt)->ValidateSettings();
}

Result<admission::AdmissionResponse> Evaluator::EvaluateVanilla(
    const Policy& policy, const admission::ValidationRequest& request) {
  KW_ASSIGN_OR_RETURN(runtime::PolicyRuntime * rt, RuntimeFor(policy));
  Result<admission::AdmissionResponse> evaluated = rt->Validate(request);
  if (!evaluated && evaluated.error().kind == ErrorKind::kTimeout) ++timeouts_;
  return evaluated;
}

void TraceResponse(tracing::Span& span, const admission::AdmissionResponse& response) {
  if (!span.recording()) return;
  span.SetBool("allowed", response.allowed);
  span.SetBool("mutated", response.patch.has_value());
  if (response.status && response.status->code) span.SetInt("response_code", *response.status->code);
  if (response.status && response.status->message) {
    span.SetString("response_message", *response.status->message);
  }
  if (!span.detailed()) return;
  if (response.patch) {
    // The operations themselves, as the guest sent them, rather than their base64.
    auto decoded = Base64Decode(*response.patch);
    span.SetString("patch", decoded ? *decoded : *response.patch);
  }
  if (response.warnings && !response.warnings->empty()) {
    json::array warnings;
    for (const auto& warning : *response.warnings) warnings.emplace_back(warning);
    span.SetString("warnings", json::serialize(warnings));
  }
}

Result<admission::AdmissionResponse> Evaluator::EvaluateInSpan(
    const Policy& policy, const admission::ValidationRequest& request,
    std::string_view group_member) {
  tracing::Span span = tracing::CurrentSpan::StartChild("policy_evaluation");
  if (!span.recording()) return EvaluateVanilla(policy, request);
  span.SetString("policy_id", policy.config.id);
  if (!group_member.empty()) span.SetString("group_member", group_member);
  Result<admission::AdmissionResponse> evaluated = [&] {
    tracing::CurrentSpan current(span);  // the guest's log lines become its events
    return EvaluateVanilla(policy, request);
  }();
  if (evaluated) {
    TraceResponse(span, *evaluated);
  } else {
    span.SetString("error", evaluated.error().message);
  }
  return evaluated;
}

namespace {

// The verdict of `policy`, or the rejection its failure becomes (logged: the response alone
// does not say which policy failed).
admission::AdmissionResponse VerdictOrRejection(const Policy& policy, std::string_view uid,
                                                Result<admission::AdmissionResponse> evaluated) {
  if (evaluated) return std::move(*evaluated);
  spdlog::error("policy {}: evaluation failed: {}", policy.config.id, evaluated.error().message);
  return RejectionFor(uid, evaluated.error());
}

// A failed entry's answer: the rejection (code 500) with its error.
admission::AdmissionResponse RejectFailedEntry(const EnvironmentEntry& entry,
                                               const admission::ValidationRequest& request,
                                               Verdict* vanilla) {
  if (vanilla != nullptr) *vanilla = {.accepted = false, .mutated = false, .code = 500};
  return admission::RejectInternal(request.uid(), entry.error.value_or("policy not loaded"));
}

admission::PolicyResponseOptions ResponseOptionsOf(const Policy& policy) {
  admission::PolicyResponseOptions options;
  options.policy_id = policy.config.id;
  options.monitor_mode = policy.config.mode == PolicyMode::kMonitor;
  options.allowed_to_mutate = policy.config.allowed_to_mutate;
  options.custom_message = policy.config.custom_message;
  return options;
}

admission::PolicyResponseOptions ResponseOptionsOf(const PolicyGroup& group) {
  admission::PolicyResponseOptions options;
  options.policy_id = group.id;
  options.monitor_mode = group.mode == PolicyMode::kMonitor;
  return options;
}

// The vanilla verdict stored in `vanilla`, then the response handler unless for /audit.
admission::AdmissionResponse PostProcess(admission::AdmissionResponse response,
                                         const admission::PolicyResponseOptions& options,
                                         Origin origin, Verdict* vanilla) {
  if (vanilla != nullptr) {
    vanilla->accepted = response.allowed;
    vanilla->mutated = response.patch.has_value();
    vanilla->code = response.status ? response.status->code : std::nullopt;
  }
  if (origin == Origin::kAudit) return response;
  if (options.monitor_mode) {
    spdlog::info("policy evaluation (monitor mode) policy_id={} allowed_to_mutate={} response={}",
                 options.policy_id, options.allowed_to_mutate,
                 admission::AdmissionResponseJson(response));
  }
  return admission::ApplyResponseHandler(std::move(response), options);
}

}  // namespace

admission::AdmissionResponse Evaluator::Evaluate(const Policy& policy,
                                                 const admission::ValidationRequest& request,
                                                 Origin origin, Verdict* vanilla) {
  admission::AdmissionResponse response =
      VerdictOrRejection(policy, request.uid(), EvaluateInSpan(policy, request, {}));
  return PostProcess(std::move(response), ResponseOptionsOf(policy), origin, vanilla);
}

admission::SettingsValidationResponse Evaluator::ValidateSettings(const PolicyGroup& group) {
  for (const auto& [name, member] : group.members) {
    auto result = ValidateSettings(*member);
    if (!result.valid) return {false, name + ": " + result.message.value_or("no message")};
  }
  return {true, std::nullopt};
}

admission::AdmissionResponse Evaluator::Evaluate(const PolicyGroup& group,
                                                 const admission::ValidationRequest& request,
                                                 Origin origin, Verdict* vanilla) {
  tracing::Span span = tracing::CurrentSpan::StartChild("policy_group_evaluation");
  span.SetString("policy_id", group.id);
  tracing::CurrentSpan current(span);  // the members' spans are its children
  // What an explanation shows of the expression: its text and where it stopped early.
  std::optional<policy::GroupExpression::ShortCircuitObserver> on_short_circuit;
  if (span.detailed()) {
    span.SetString("expression", group.expression.text());
    on_short_circuit = [&span](policy::GroupExpression::ShortCircuit sc) {
      std::string skipped;
      for (const auto& name : sc.skipped) skipped += (skipped.empty() ? "" : ",") + name;
      span.AddEvent("short_circuit", {tracing::StringAttribute("operator", sc.op),
                                      tracing::StringAttribute("left", sc.left, true),
                                      {"left_value", sc.left_value},
                                      tracing::StringAttribute("skipped", skipped, true)});
    };
  }
  std::vector<std::string> denied_order;  // members that denied, in first-evaluation order
  std::map<std::string, std::optional<std::string>> denial_messages;
  auto value = group.expression.Evaluate([&](const std::string& name) -> Result<bool> {
    const auto& member = group.members.at(name);  // Parse checked that it exists
    // A member's failure (trap, timeout...) is its denial, as for a lone policy; only a member
    // that cannot even be instantiated (kBadModule: runtimes instantiate on first use) fails the
    // whole expression, as upstream's per-call instantiation does.
    auto evaluated = EvaluateInSpan(*member, request, name);
    if (!evaluated && evaluated.error().kind == ErrorKind::kBadModule) {
      return std::unexpected(std::move(evaluated).error());
    }
    admission::AdmissionResponse r =
        VerdictOrRejection(*member, request.uid(), std::move(evaluated));
    bool allowed = r.allowed && !r.patch;
    if (!allowed) {
      std::optional<std::string> message =
          r.patch ? std::optional<std::string>(std::string(kGroupMutationMessage))
                  : (r.status ? r.status->message : std::nullopt);
      if (!denial_messages.contains(name)) denied_order.push_back(name);
      denial_messages[name] = std::move(message);
    } else {
      denial_messages.erase(name);
      std::erase(denied_order, name);
    }
    return allowed;
  }, on_short_circuit ? &*on_short_circuit : nullptr);

  admission::AdmissionResponse response;
  response.uid = request.uid();
  if (!value) {
    if (span.detailed()) span.SetString("error", value.error().message);
    response = admission::RejectInternal(
        request.uid(), "error evaluating policy group expression: " + value.error().message);
  } else {
    response.allowed = *value;
    if (!*value) {
      admission::AdmissionResponseStatus status;
      status.message = group.message;
      admission::StatusDetails details;
      for (const auto& name : denied_order) {
        details.causes.push_back({std::nullopt, denial_messages[name], "spec.policies." + name});
      }
      status.details = std::move(details);
      response.status = std::move(status);
    }
  }
  TraceResponse(span, response);
  return PostProcess(std::move(response), ResponseOptionsOf(group), origin, vanilla);
}

void Evaluator::Follow(const Environment& environment) {
  if (environment.generation() <= newest_generation_) return;
  newest_generation_ = environment.generation();
  // No ReleaseMemory here: this is a request's path, and a worker that serves requests
  // allocates, so V8 collects the dropped instances soon enough.
  std::erase_if(runtimes_, [&](const auto& runtime) { return !environment.Serves(runtime.first); });
}

void Evaluator::Retain(const Environment& served, std::span<const std::uint64_t> keep) {
  newest_generation_ = std::max(newest_generation_, served.generation());
  std::size_t dropped = std::erase_if(runtimes_, [&](const auto& runtime) {
    return !served.Serves(runtime.first) &&
           std::find(keep.begin(), keep.end(), runtime.first) == keep.end();
  });
  if (dropped > 0) worker_.ReleaseMemory();
}

admission::AdmissionResponse Evaluator::Evaluate(const Environment& environment,
                                                 const EnvironmentEntry& entry,
                                                 const admission::ValidationRequest& request,
                                                 Origin origin, Verdict* vanilla) {
  Follow(environment);
  if (entry.group) return Evaluate(*entry.group, request, origin, vanilla);
  if (entry.policy) return Evaluate(*entry.policy, request, origin, vanilla);
  return RejectFailedEntry(entry, request, vanilla);
}

Result<admission::AdmissionResponse> Evaluator::Evaluate(const Environment& environment,
                                                         std::string_view id,
                                                         const admission::ValidationRequest& request,
                                                         Origin origin, Verdict* vanilla) {
  const EnvironmentEntry* entry = environment.Find(id);
  if (entry == nullptr) return Fail(ErrorKind::kNotFound, "unknown policy: " + std::string(id));
  return Evaluate(environment, *entry, request, origin, vanilla);
}

admission::SettingsValidationResponse Evaluator::ValidateSettings(const EnvironmentEntry& entry) {
  if (entry.group) return ValidateSettings(*entry.group);
  if (entry.policy) return ValidateSettings(*entry.policy);
  return {false, entry.error.value_or("policy not loaded")};
}

Result<std::string> Evaluator::ProtocolVersion(const Policy& policy) {
  KW_ASSIGN_OR_RETURN(runtime::PolicyRuntime * rt, RuntimeFor(policy));
  return rt->ProtocolVersion();
}

admission::AdmissionResponse RejectionFor(std::string_view uid, const Error& error) {
  if (error.kind == ErrorKind::kTimeout) {
    return admission::RejectInternal(uid, std::string(kTimeoutMessage));
  }
  return admission::RejectInternal(uid, "internal server error: " + error.message);
}

admission::AdmissionResponse TimedOut(const EnvironmentEntry& entry,
                                      const admission::ValidationRequest& request, Origin origin,
                                      Verdict* vanilla) {
  const Error timeout{ErrorKind::kTimeout, std::string(kTimeoutMessage)};
  if (entry.policy) {
    return PostProcess(RejectionFor(request.uid(), timeout), ResponseOptionsOf(*entry.policy),
                       origin, vanilla);
  }
  if (entry.group) {
    return PostProcess(RejectionFor(request.uid(), timeout), ResponseOptionsOf(*entry.group),
                       origin, vanilla);
  }
  return RejectFailedEntry(entry, request, vanilla);
}

}  // namespace kw::evaluator

