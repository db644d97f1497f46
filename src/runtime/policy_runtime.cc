#include <initializer_list>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "runtime/runtime.h"
#include "runtime/opa/opa_instance.h"
#include "runtime/opa/opa_policy_runtime.h"
#include "runtime/wapc/wapc_instance.h"
#include "runtime/wasi/wasi_policy_runtime.h"

namespace kw::runtime {

engine::CallOptions CallOptionsFor(std::chrono::milliseconds timeout) {
  engine::CallOptions o;
  if (timeout.count() > 0) o.deadline = std::chrono::steady_clock::now() + timeout;
  return o;
}

namespace {

// The Kubewarden operations over waPC (policy-server.md §4.b).
class WapcPolicyRuntime final : public PolicyRuntime {
 public:
  WapcPolicyRuntime(engine::Worker& worker, PolicyModuleSharedPtr module, RuntimeOptions options)
      : worker_(worker), module_(std::move(module)), options_(std::move(options)) {}

  Result<admission::AdmissionResponse> Validate(
      const admission::ValidationRequest& request) override {
    std::string payload = admission::BuildValidatePayload(request, options_.settings_json);
    KW_ASSIGN_OR_RETURN(std::string output, Call("validate", payload));
    auto parsed = admission::ParsePolicyValidationResponse(output);
    if (!parsed) {
      return Fail(ErrorKind::kPolicyResponse,
                  "invalid response from policy: " + parsed.error().message);
    }
    return admission::FromPolicyResponse(request.uid(), std::move(*parsed), request.ObjectJson());
  }

  admission::SettingsValidationResponse ValidateSettings() override {
    auto output = Call("validate_settings", options_.settings_json);
    if (!output) {
      return {false, "Error invoking settings validation callback: " + output.error().message};
    }
    auto parsed = admission::ParseSettingsValidationResponse(*output);
    if (!parsed) return {false, "error: " + parsed.error().message};
    return *parsed;
  }

  Result<std::string> ProtocolVersion() override {
    KW_ASSIGN_OR_RETURN(std::string output, Call("protocol_version", ""));
    auto parsed = ParseJson(output, "invalid protocol_version answer");
    if (!parsed || !parsed->is_string()) {
      return Fail(ErrorKind::kPolicyResponse,
                  "the policy answered protocol_version with `" + output +
                      "`, which is not a JSON string");
    }
    return std::string(parsed->as_string());
  }

 private:
  Result<std::string> Call(std::string_view operation, std::string_view payload) {
    engine::CallOptions call_options = CallOptionsFor(options_.timeout);
    if (!instance_) {
      wapc::WapcOptions o;
      o.policy_id = options_.policy_id;
      o.capabilities = options_.capabilities;
      o.dispatcher = options_.dispatcher;
      KW_ASSIGN_OR_RETURN(instance_, wapc::WapcInstance::Create(worker_, module_->module,
                                                               std::move(o), call_options));
      call_options = CallOptionsFor(options_.timeout);
    }
    auto result = instance_->Call(operation, payload, call_options);
    if (!result && result.error().kind != ErrorKind::kGuestError) {
      // The guest was interrupted or broke a rule mid-call: its state cannot be trusted.
      spdlog::debug("policy {}: discarding its instance after: {}", options_.policy_id,
                    result.error().message);
      instance_.reset();
    }
    return result;
  }

  engine::Worker& worker_;
  PolicyModuleSharedPtr module_;
  RuntimeOptions options_;
  std::unique_ptr<wapc::WapcInstance> instance_;
};

bool ExportsFunction(const wasm::ModuleInfo& info, std::string_view name) {
  const wasm::Export* e = info.FindExport(name);
  return e != nullptr && e->kind == wasm::ExternKind::kFunction;
}

// How a user picks `modes` (one mode, or the alternatives of one kind of module) in each front
// end: kwctl's flag, or the metadata that kwctl annotate embeds and policy-server reads.
std::string ModeAdvice(std::initializer_list<policy::ExecutionMode> modes) {
  std::vector<std::string> names;
  for (auto mode : modes) names.push_back(fmt::format("`{}`", policy::ExecutionModeName(mode)));
  std::string_view first = policy::ExecutionModeName(*modes.begin());
  return fmt::format(
      "run it with execution mode {} (`kwctl run -e {}`, or `executionMode: {}` in its "
      "metadata, embedded by `kwctl annotate`, which is what policy-server reads)",
      fmt::join(names, " or "), first, first);
}

// What the exports of a module that does not fit `mode` say it is instead, and how to run it so.
std::string WhatTheModuleLooksLike(const wasm::ModuleInfo& info, policy::ExecutionMode mode) {
  using policy::ExecutionMode;
  const bool rego_mode = mode == ExecutionMode::kOpa || mode == ExecutionMode::kGatekeeper;
  if (mode != ExecutionMode::kKubewardenWapc && ExportsFunction(info, "__guest_call")) {
    return "It looks like a waPC policy (it exports `__guest_call`): " +
           ModeAdvice({ExecutionMode::kKubewardenWapc});
  }
  if (!rego_mode && policy::IsRegoModule(info)) {
    std::vector<std::string> seen;
    for (std::string_view name : {"opa_eval", "eval", "opa_malloc", "opa_wasm_abi_version"}) {
      if (info.FindExport(name) != nullptr) seen.push_back(fmt::format("`{}`", name));
    }
    return fmt::format("It looks like a Rego policy built by `opa build -t wasm` (it exports "
                       "{}): {}",
                       seen.empty() ? "`opa_*` symbols" : fmt::format("{}", fmt::join(seen, ", ")),
                       ModeAdvice({ExecutionMode::kOpa, ExecutionMode::kGatekeeper}));
  }
  if (mode != ExecutionMode::kWasi && ExportsFunction(info, "_start")) {
    return "It looks like a WASI program (it exports `_start`): " +
           ModeAdvice({ExecutionMode::kWasi});
  }
  return "It exports none of `__guest_call` (waPC), `_start` (WASI) or `opa_*` symbols (Rego): "
         "it does not look like a Kubewarden policy";
}

// Whether the module exports what `mode` calls. Found when the module loads, so that running a
// WASI program as waPC, say, names both and the mode to use, instead of failing on the first
// call with the guest-call error of whatever ABI was tried.
Result<void> CheckModuleFitsMode(const wasm::ModuleInfo& info, policy::ExecutionMode mode) {
  auto not_a = [&](std::string_view what, std::string_view missing) {
    return Fail(ErrorKind::kBadModule,
                fmt::format("this module is not a {}: it exports no `{}` function. {}", what,
                            missing, WhatTheModuleLooksLike(info, mode)));
  };
  switch (mode) {
    case policy::ExecutionMode::kKubewardenWapc:
      if (!ExportsFunction(info, "__guest_call")) return not_a("waPC policy", "__guest_call");
      return {};
    case policy::ExecutionMode::kWasi:
      if (!ExportsFunction(info, "_start")) return not_a("WASI program", "_start");
      return {};
    case policy::ExecutionMode::kOpa:
    case policy::ExecutionMode::kGatekeeper:
      // What the exports alone show (a pre-1.0 or non-OPA module) is a load error, not a run one.
      if (auto checked = opa::CheckOpaModule(info); !checked) {
        if (policy::IsRegoModule(info)) return checked;
        return Fail(ErrorKind::kBadModule,
                    checked.error().message + ". " + WhatTheModuleLooksLike(info, mode));
      }
      return {};
  }
  return {};
}

}  // namespace

Result<PolicyModuleSharedPtr> LoadPolicyModule(const engine::Engine& engine,
                                               std::span<const std::uint8_t> wasm,
                                               std::optional<policy::ExecutionMode> mode_override,
                                               const engine::CompileOptions& compile_options) {
  if (!wasm::HasWasmMagic(wasm)) {
    return Fail(ErrorKind::kBadModule,
                "not a WebAssembly module: the file does not start with the wasm magic number");
  }
  KW_ASSIGN_OR_RETURN(wasm::ModuleInfo info, wasm::Inspect(wasm));
  KW_ASSIGN_OR_RETURN(std::optional<policy::Metadata> metadata, policy::ReadMetadata(info));
  KW_ASSIGN_OR_RETURN(policy::ExecutionMode mode,
                      policy::ChooseExecutionMode(mode_override, metadata, info));
  KW_TRY(CheckModuleFitsMode(info, mode));
  KW_ASSIGN_OR_RETURN(engine::ModuleSharedPtr module, engine.Compile(wasm, compile_options));
  auto loaded = std::make_shared<PolicyModule>();
  loaded->module = std::move(module);
  loaded->execution_mode = mode;
  loaded->metadata = std::move(metadata);
  return PolicyModuleSharedPtr(std::move(loaded));
}

Result<PolicyRuntimePtr> CreatePolicyRuntime(engine::Worker& worker, PolicyModuleSharedPtr module,
                                             RuntimeOptions options) {
  switch (module->execution_mode) {
    case policy::ExecutionMode::kKubewardenWapc:
      return PolicyRuntimePtr(
          std::make_unique<WapcPolicyRuntime>(worker, std::move(module), std::move(options)));
    case policy::ExecutionMode::kWasi:
      return wasi::CreateWasiPolicyRuntime(worker, std::move(module), std::move(options));
    case policy::ExecutionMode::kOpa:
    case policy::ExecutionMode::kGatekeeper:
      return opa::CreateOpaPolicyRuntime(worker, std::move(module), std::move(options));
  }
  return Fail(ErrorKind::kInternal, "unknown execution mode");
}

}  // namespace kw::runtime
