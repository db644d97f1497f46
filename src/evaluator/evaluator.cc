#include "evaluator/evaluator.h"

#include <spdlog/spdlog.h>

#include "admission/response_handler.h"

namespace kw::evaluator {

Evaluator::Evaluator(engine::Worker& worker, host::DispatcherSharedPtr dispatcher)
    : worker_(worker), dispatcher_(std::move(dispatcher)) {}

Result<runtime::PolicyRuntime*> Evaluator::RuntimeFor(const Policy& policy) {
  auto it = runtimes_.find(policy.config.id);
  if (it != runtimes_.end()) return it->second.get();
  runtime::RuntimeOptions options;
  options.policy_id = policy.config.id;
  options.capabilities = policy.config.capabilities;
  options.dispatcher = dispatcher_;
  options.timeout = policy.config.timeout;
  options.settings_json = admission::SerializeSettings(policy.config.settings);
  KW_ASSIGN_OR_RETURN(runtime::PolicyRuntimePtr rt,
                      runtime::CreatePolicyRuntime(worker_, policy.module, std::move(options)));
  return runtimes_.emplace(policy.config.id, std::move(rt)).first->second.get();
}

admission::SettingsValidationResponse Evaluator::ValidateSettings(const Policy& policy) {
  auto rt = RuntimeFor(policy);
  if (!rt) return {false, rt.error().message};
  return (*rt)->ValidateSettings();
}

Result<admission::AdmissionResponse> Evaluator::EvaluateVanilla(
    const Policy& policy, const admission::ValidationRequest& request) {
  KW_ASSIGN_OR_RETURN(runtime::PolicyRuntime * rt, RuntimeFor(policy));
  return rt->Validate(request);
}

admission::AdmissionResponse Evaluator::Evaluate(const Policy& policy,
                                                 const admission::ValidationRequest& request,
                                                 Origin origin) {
  auto vanilla = EvaluateVanilla(policy, request);
  admission::AdmissionResponse response =
      vanilla ? std::move(*vanilla)
              : RejectionFor(request.uid(), vanilla.error());
  if (!vanilla) {
    spdlog::error("policy {}: evaluation failed: {}", policy.config.id, vanilla.error().message);
  }
  if (origin == Origin::kAudit) return response;

  admission::PolicyResponseOptions options;
  options.policy_id = policy.config.id;
  options.monitor_mode = policy.config.mode == PolicyMode::kMonitor;
  options.allowed_to_mutate = policy.config.allowed_to_mutate;
  options.custom_message = policy.config.custom_message;
  if (options.monitor_mode) {
    spdlog::info("policy evaluation (monitor mode) policy_id={} allowed_to_mutate={} response={}",
                 policy.config.id, options.allowed_to_mutate,
                 admission::AdmissionResponseJson(response));
  }
  return admission::ApplyResponseHandler(std::move(response), options);
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

}  // namespace kw::evaluator
