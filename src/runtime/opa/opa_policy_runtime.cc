#include "runtime/opa/opa_policy_runtime.h"

#include <spdlog/spdlog.h>

#include "runtime/opa/opa_instance.h"

namespace kw::runtime::opa {
namespace {

// §4.e.3, OPA: the AdmissionResponse at result[0].result.response, uid overridden.
Result<admission::AdmissionResponse> OpaVerdict(const json::value& result_set,
                                                std::string_view uid) {
  const json::value* response = nullptr;
  if (result_set.is_array() && !result_set.as_array().empty()) {
    if (const json::value* result = FindKey(result_set.as_array()[0], "result")) {
      response = FindKey(*result, "response");
    }
  }
  if (response == nullptr) {
    return Fail(ErrorKind::kPolicyResponse, "cannot interpret OPA policy result");
  }
  KW_ASSIGN_OR_RETURN(admission::AdmissionResponse verdict,
                      admission::AdmissionResponseFromJson(*response));
  verdict.uid = std::string(uid);
  return verdict;
}

// §4.e.3, Gatekeeper: result[0] read as {"result": [{"msg"?: string, ...}]}. Like upstream's
// serde deserialization, anything of another shape counts as no violation at all.
admission::AdmissionResponse GatekeeperVerdict(const json::value& result_set,
                                               std::string_view uid) {
  admission::AdmissionResponse verdict;
  verdict.uid = std::string(uid);
  verdict.allowed = true;
  if (!result_set.is_array() || result_set.as_array().empty()) return verdict;
  const json::value* violations = FindKey(result_set.as_array()[0], "result");
  if (violations == nullptr || !violations->is_array()) return verdict;
  std::vector<std::string> messages;
  for (const json::value& violation : violations->as_array()) {
    if (!violation.is_object()) return verdict;
    const json::value* msg = FindKey(violation, "msg");
    if (msg == nullptr || msg->is_null()) continue;
    if (!msg->is_string()) return verdict;
    messages.emplace_back(msg->as_string());
  }
  if (violations->as_array().empty()) return verdict;
  std::string joined;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) joined += ", ";
    joined += messages[i];
  }
  verdict.allowed = false;
  admission::AdmissionResponseStatus status;
  status.message = std::move(joined);
  verdict.status = std::move(status);
  return verdict;
}

// The Kubewarden protocol for OPA and Gatekeeper policies (policy-server.md §4.e.2, §4.e.3).
class OpaPolicyRuntime final : public PolicyRuntime {
 public:
  OpaPolicyRuntime(engine::Worker& worker, PolicyModuleSharedPtr module, RuntimeOptions options)
      : worker_(worker),
        module_(std::move(module)),
        options_(std::move(options)),
        gatekeeper_(module_->execution_mode == policy::ExecutionMode::kGatekeeper) {}

  Result<admission::AdmissionResponse> Validate(
      const admission::ValidationRequest& request) override {
    std::string input;
    if (gatekeeper_) {
      if (request.kind() == admission::RequestKind::kRaw) {
        return Fail(ErrorKind::kInvalidArgument,
                    "Gatekeeper does not support raw validation requests");
      }
      input.reserve(request.json().size() + options_.settings_json.size() + 32);
      input.append(R"({"parameters":)").append(options_.settings_json);
      input.append(R"(,"review":)").append(request.json()).append("}");
    } else {
      input.reserve(request.json().size() + 16);
      input.append(R"({"request":)").append(request.json()).append("}");
    }
    // One deadline for the whole evaluation, instantiation included when it happens now.
    engine::CallOptions call_options = CallOptionsFor(options_.timeout);
    KW_TRY(EnsureInstance(call_options));
    Result<std::string> output = RefreshContext(call_options);
    if (output) output = instance_->Evaluate(input, call_options);
    if (!output) {
      // Trap, abort, timeout or a broken rule: the guest's state cannot be trusted any more.
      spdlog::debug("policy {}: discarding its instance after: {}", options_.policy_id,
                    output.error().message);
      instance_.reset();
      return std::unexpected(std::move(output).error());
    }
    auto result_set = ParseJson(*output, "the policy's result is not valid JSON");
    if (gatekeeper_) {
      if (!result_set) return GatekeeperVerdict(json::value(), request.uid());
      return GatekeeperVerdict(*result_set, request.uid());
    }
    if (!result_set) {
      return Fail(ErrorKind::kPolicyResponse, "cannot interpret OPA policy result");
    }
    return OpaVerdict(*result_set, request.uid());
  }

  // Rego policies have no settings validation (always valid upstream). Instantiating here makes
  // what only instantiation reveals (a pre-1.0 module, builtins the host lacks) a start-up
  // error, as upstream's MissingRegoBuiltins is.
  admission::SettingsValidationResponse ValidateSettings() override {
    auto ready = EnsureInstance(CallOptionsFor(options_.timeout));
    if (!ready) return {false, ready.error().message};
    return {true, std::nullopt};
  }

  Result<std::string> ProtocolVersion() override {
    return Fail(ErrorKind::kUnimplemented,
                "policies of execution mode '" +
                    std::string(policy::ExecutionModeName(module_->execution_mode)) +
                    "' have no protocol version");
  }

 private:
  Result<void> EnsureInstance(const engine::CallOptions& call_options) {
    if (instance_) return {};
    // OPA: data = the settings; Gatekeeper: data = {} (settings go in input.parameters).
    std::string_view data = gatekeeper_ ? std::string_view("{}") : options_.settings_json;
    KW_ASSIGN_OR_RETURN(instance_, OpaInstance::Create(worker_, module_->module,
                                                       options_.policy_id, data, call_options));
    loaded_inventory_.reset();
    return {};
  }

  // A context-aware policy's data carries the cluster (§4.e.2): `data.kubernetes` beside the
  // settings (opa) or `data.inventory` (gatekeeper). Reloaded only when the inventory changed.
  Result<std::string> RefreshContext(const engine::CallOptions& call_options) {
    const host::RegoContext* context =
        options_.dispatcher ? options_.dispatcher->rego_context() : nullptr;
    if (context == nullptr || options_.capabilities == nullptr ||
        options_.capabilities->kubernetes_resources().empty()) {
      return std::string();
    }
    const auto shape =
        gatekeeper_ ? host::RegoContext::Shape::kGatekeeper : host::RegoContext::Shape::kOpa;
    KW_ASSIGN_OR_RETURN(auto inventory,
                        context->Inventory(*options_.capabilities, shape, call_options.deadline));
    if (inventory == loaded_inventory_) return std::string();
    std::string data;
    if (gatekeeper_) {
      data = R"({"inventory":)" + *inventory + "}";
    } else {
      // The settings' own `kubernetes` key, if any, gives way (upstream warns and overwrites).
      data = settings_without_kubernetes_;
      data.pop_back();  // its closing brace
      if (data.size() > 1) data += ',';
      data += R"("kubernetes":)" + *inventory + "}";
    }
    KW_TRY(instance_->ReplaceData(data, call_options));
    spdlog::debug("policy {}: data document reloaded with the cluster inventory ({} bytes)",
                  options_.policy_id, data.size());
    loaded_inventory_ = std::move(inventory);
    return std::string();
  }

  engine::Worker& worker_;
  PolicyModuleSharedPtr module_;
  RuntimeOptions options_;
  bool gatekeeper_;
  std::unique_ptr<OpaInstance> instance_;
  std::shared_ptr<const std::string> loaded_inventory_;  // what instance_'s data holds
  std::string settings_without_kubernetes_ = SettingsWithoutKubernetes();

  std::string SettingsWithoutKubernetes() const {
    auto settings = ParseJson(options_.settings_json);
    if (!settings || !settings->is_object()) return "{}";
    if (settings->as_object().erase("kubernetes") > 0) {
      spdlog::warn("policy {}: its settings key 'kubernetes' is replaced by the cluster's "
                   "resources",
                   options_.policy_id);
    }
    return ToJson(*settings);
  }
};

}  // namespace

Result<PolicyRuntimePtr> CreateOpaPolicyRuntime(engine::Worker& worker,
                                                PolicyModuleSharedPtr module,
                                                RuntimeOptions options) {
  return PolicyRuntimePtr(
      std::make_unique<OpaPolicyRuntime>(worker, std::move(module), std::move(options)));
}

}  // namespace kw::runtime::opa
