#include "runtime/wasi/wasi_policy_runtime.h"

#include <spdlog/spdlog.h>

#include "runtime/host_call.h"
#include "runtime/wasi/wasi_host.h"

namespace kw::runtime::wasi {
namespace {

using engine::GuestMemory;
using engine::Value;
using wasm::ValType;

// The answer is parsed whole, so it is held whole: 16 MiB, as for a waPC response.
constexpr std::size_t kMaxStdoutBytes = 16 * 1024 * 1024;
// stderr only feeds logs and error messages.
constexpr std::size_t kMaxStderrBytes = 64 * 1024;
// Host-call answers the guest has not read yet; a guest that calls without reading would
// otherwise grow stdin until its deadline.
constexpr std::size_t kMaxUnreadStdinBytes = 64 * 1024 * 1024;

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  std::size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// One run of the program: what it wrote, or why it failed.
struct RunOutput {
  std::string stdout_data;
  std::string stderr_data;
};

// The Kubewarden protocol over a WASI command (policy-server.md §4.d): every operation runs the
// program afresh, with the operation as argv[1], the input on stdin and the answer on stdout.
class WasiPolicyRuntime final : public PolicyRuntime {
 public:
  WasiPolicyRuntime(engine::Worker& worker, PolicyModuleSharedPtr module, RuntimeOptions options)
      : worker_(worker),
        module_(std::move(module)),
        options_(std::move(options)),
        wasi_(WasiConfig{.max_output_bytes = kMaxStdoutBytes,
                         .max_stderr_bytes = kMaxStderrBytes,
                         .fail_on_stdout_overflow = true}) {
    call_context_.policy_id = options_.policy_id;
    call_context_.capabilities = options_.capabilities.get();
    // The import table is the same for every run (only the WasiHost state changes), so it is
    // built once: per-request cost matters, since a WASI policy starts for every request.
    wasi_.AddTo(imports_);
    for (const char* module_name : {"host", "kubewarden:javy/host"}) {
      imports_.Add({module_name, "call", {std::vector<ValType>(8, ValType::kI32), {ValType::kI32}},
                    [this](GuestMemory& m, std::span<const Value> a) { return HostCall(m, a); }});
    }
  }

  Result<admission::AdmissionResponse> Validate(
      const admission::ValidationRequest& request) override {
    auto output = Run("validate", admission::BuildValidatePayload(request, options_.settings_json));
    if (!output) return std::unexpected(std::move(output).error());
    auto parsed = admission::ParsePolicyValidationResponse(output->stdout_data);
    if (!parsed) {
      return Fail(ErrorKind::kPolicyResponse,
                  "Cannot deserialize policy validation response: " + parsed.error().message);
    }
    return admission::FromPolicyResponse(request.uid(), std::move(*parsed), request.ObjectJson());
  }

  admission::SettingsValidationResponse ValidateSettings() override {
    auto output = Run("validate-settings", options_.settings_json);
    if (!output) return {false, std::move(output.error().message)};
    auto parsed = admission::ParseSettingsValidationResponse(output->stdout_data);
    if (!parsed) {
      return {false, "Cannot deserialize settings validation response: " + parsed.error().message};
    }
    return *parsed;
  }

  Result<std::string> ProtocolVersion() override {
    return Fail(ErrorKind::kUnimplemented,
                "WASI policies have no protocol_version operation: their metadata says "
                "protocolVersion: Unknown");
  }

 private:
  // `host.call` (§4.d): dispatched like waPC's `__host_call`, but the answer (or the error text)
  // is appended to stdin, and the return value is inverted: 0 = success, 1 = error.
  engine::HostResult HostCall(GuestMemory& m, std::span<const Value> a) {
    KW_ASSIGN_OR_RETURN(Result<std::string> answer,
                        DispatchGuestHostCall(m, a, "host.call", options_.dispatcher.get(),
                                              call_context_, HostCallLimits{}));
    std::string_view text = answer ? std::string_view(*answer) : answer.error().message;
    if (wasi_.unread_stdin() + text.size() > kMaxUnreadStdinBytes) {
      return Fail(ErrorKind::kHostError,
                  "host.call: more than " + std::to_string(kMaxUnreadStdinBytes) +
                      " bytes of host answers left unread on stdin");
    }
    if (!answer) {
      wasi_.AppendStdin(answer.error().message);
      return std::optional<Value>(Value::I32(1));
    }
    wasi_.AppendStdin(*answer);
    return std::optional<Value>(Value::I32(0));
  }

  // Runs the program once with argv ["policy.wasm", operation] and `input` on stdin. Fails with
  // the error to report: kGuestError with the trimmed stderr when the program exited non-zero
  // or trapped (upstream's whole message), kTimeout at the deadline, kHostError when it wrote
  // too much, kBadModule when it cannot start.
  Result<RunOutput> Run(std::string_view operation, std::string input) {
    const engine::ModuleSharedPtr& module = module_->module;
    const wasm::Export* start = module->info().FindExport("_start");
    if (start == nullptr || start->kind != wasm::ExternKind::kFunction) {
      return Fail(ErrorKind::kBadModule, "cannot find _start function inside of module");
    }
    // One deadline for the whole run, instantiation included, as upstream sets it once per
    // Store.
    const engine::CallOptions call_options = CallOptionsFor(options_.timeout);
    wasi_.set_args({"policy.wasm", std::string(operation)});
    wasi_.set_deadline(call_options.deadline);
    call_context_.deadline = call_options.deadline;
    wasi_.Reset(std::move(input));

    Result<std::vector<Value>> result;
    {
      auto instance = worker_.Instantiate(module, imports_, call_options);
      if (!instance) {
        result = std::unexpected(std::move(instance).error());
      } else {
        result = (*instance)->Call("_start", {}, call_options);
      }
    }
    RunOutput out{wasi_.take_stdout(), wasi_.stderr_data()};
    std::string_view stderr_text = Trim(out.stderr_data);
    if (!stderr_text.empty()) {
      spdlog::warn("policy {}: {} wrote to stderr: {}", options_.policy_id, operation,
                   stderr_text);
    }
    if (result) return out;
    Error& error = result.error();
    if (error.kind == ErrorKind::kGuestExit && error.exit_code == 0) return out;
    spdlog::debug("policy {}: {} failed: {}", options_.policy_id, operation, error.message);
    switch (error.kind) {
      case ErrorKind::kGuestExit:
      case ErrorKind::kTrap:
      case ErrorKind::kOutOfMemory:
      case ErrorKind::kStackOverflow:
        // Upstream's message is the program's stderr alone. When there is none, ours says what
        // happened rather than nothing.
        return Fail(ErrorKind::kGuestError,
                    stderr_text.empty() ? error.message : std::string(stderr_text));
      default:
        // Our own limits (deadline, output cap) and host failures keep their kind and text:
        // they are the reason, whatever the program managed to print.
        return std::unexpected(std::move(error));
    }
  }

  engine::Worker& worker_;
  PolicyModuleSharedPtr module_;
  RuntimeOptions options_;
  host::CallContext call_context_;
  WasiHost wasi_;
  engine::HostFunctionTable imports_;
};

}  // namespace

Result<PolicyRuntimePtr> CreateWasiPolicyRuntime(engine::Worker& worker,
                                                 PolicyModuleSharedPtr module,
                                                 RuntimeOptions options) {
  return PolicyRuntimePtr(
      std::make_unique<WasiPolicyRuntime>(worker, std::move(module), std::move(options)));
}

}  // namespace kw::runtime::wasi
