#include "runtime/wapc/wapc_instance.h"

#include <spdlog/spdlog.h>

#include "runtime/host_call.h"

namespace kw::runtime::wapc {
namespace {

using engine::GuestMemory;
using engine::Value;
using wasm::FuncType;
using wasm::ValType;

using engine::HostResult;

constexpr ValType I32 = ValType::kI32;

HostResult Void() { return std::optional<Value>(); }
HostResult I32Result(std::int32_t v) { return std::optional<Value>(Value::I32(v)); }

std::unexpected<Error> HostFail(std::string message) {
  return std::unexpected(Error(ErrorKind::kHostError, std::move(message)));
}


// Copies the last host answer (if any) to `ptr`, as __host_response and __host_error do.
HostResult CopyToGuest(GuestMemory& m, std::string_view import, std::uint32_t ptr,
                       const std::optional<std::string>& answer) {
  if (answer && !m.Write(ptr, *answer)) return HostFail(OutOfBounds(import, ptr, answer->size()));
  return Void();
}

}  // namespace

WapcInstance::WapcInstance(WapcOptions options)
    : options_(std::move(options)),
      wasi_(wasi::WasiConfig{.forward_output = true, .log_prefix = "policy " + options_.policy_id}) {
  call_context_.policy_id = options_.policy_id;
  call_context_.capabilities = options_.capabilities.get();
}

void WapcInstance::AddImports() {
  wasi_.AddTo(imports_);
  auto add = [&](std::string name, FuncType type, engine::HostCallback cb) {
    imports_.Add({"wapc", std::move(name), std::move(type), std::move(cb)});
  };
  Invocation& inv = invocation_;
  const WapcLimits& limits = options_.limits;

  add("__guest_request", {{I32, I32}, {}}, [&inv](GuestMemory& m, std::span<const Value> a) -> HostResult {
    if (!m.Write(a[0].u32(), inv.operation)) {
      return HostFail(OutOfBounds("__guest_request (operation)", a[0].u32(), inv.operation.size()));
    }
    if (!m.Write(a[1].u32(), inv.payload)) {
      return HostFail(OutOfBounds("__guest_request (payload)", a[1].u32(), inv.payload.size()));
    }
    return Void();
  });
  add("__guest_response", {{I32, I32}, {}},
      [&inv, &limits](GuestMemory& m, std::span<const Value> a) -> HostResult {
        KW_ASSIGN_OR_RETURN(inv.guest_response,
                            ReadGuest(m, "__guest_response", a[0].u32(), a[1].u32(),
                                      limits.max_response_bytes, false));
        return Void();
      });
  add("__guest_error", {{I32, I32}, {}},
      [&inv, &limits](GuestMemory& m, std::span<const Value> a) -> HostResult {
        KW_ASSIGN_OR_RETURN(inv.guest_error, ReadGuest(m, "__guest_error", a[0].u32(), a[1].u32(),
                                                       limits.max_error_bytes, true));
        return Void();
      });
  add("__host_call", {{I32, I32, I32, I32, I32, I32, I32, I32}, {I32}},
      [this, &inv, &limits](GuestMemory& m, std::span<const Value> a) -> HostResult {
        inv.host_response.reset();
        inv.host_error.reset();
        KW_ASSIGN_OR_RETURN(Result<std::string> answer,
                            DispatchGuestHostCall(m, a, "__host_call", options_.dispatcher.get(),
                                                  call_context_,
                                                  {.max_payload = limits.max_host_call_payload,
                                                   .max_name = limits.max_host_call_name}));
        if (!answer) {
          inv.host_error = std::move(answer.error().message);
          return I32Result(0);
        }
        inv.host_response = std::move(*answer);
        return I32Result(1);
      });
  add("__host_response_len", {{}, {I32}}, [&inv](GuestMemory&, std::span<const Value>) {
    return I32Result(inv.host_response ? static_cast<std::int32_t>(inv.host_response->size()) : 0);
  });
  add("__host_response", {{I32}, {}}, [&inv](GuestMemory& m, std::span<const Value> a) {
    return CopyToGuest(m, "__host_response", a[0].u32(), inv.host_response);
  });
  add("__host_error_len", {{}, {I32}}, [&inv](GuestMemory&, std::span<const Value>) {
    return I32Result(inv.host_error ? static_cast<std::int32_t>(inv.host_error->size()) : 0);
  });
  add("__host_error", {{I32}, {}}, [&inv](GuestMemory& m, std::span<const Value> a) {
    return CopyToGuest(m, "__host_error", a[0].u32(), inv.host_error);
  });
  add("__console_log", {{I32, I32}, {}},
      [this, &limits](GuestMemory& m, std::span<const Value> a) -> HostResult {
        KW_ASSIGN_OR_RETURN(std::string text, ReadGuest(m, "__console_log", a[0].u32(), a[1].u32(),
                                                        limits.max_log_bytes, false));
        spdlog::info("Guest module {}: {}", options_.policy_id, text);
        return Void();
      });
}

Result<std::unique_ptr<WapcInstance>> WapcInstance::Create(engine::Worker& worker,
                                                           const engine::ModuleSharedPtr& module,
                                                           WapcOptions options,
                                                           const engine::CallOptions& call_options) {
  const wasm::ModuleInfo& info = module->info();
  const wasm::Export* guest_call = info.FindExport("__guest_call");
  if (guest_call == nullptr || guest_call->kind != wasm::ExternKind::kFunction) {
    return Fail(ErrorKind::kBadModule,
                "Guest call function (__guest_call) not exported by wasm module.");
  }
  const wasm::Export* memory = info.FindExport("memory");
  if (memory == nullptr || memory->kind != wasm::ExternKind::kMemory) {
    return Fail(ErrorKind::kBadModule, "the waPC module does not export its memory as `memory`");
  }
  std::unique_ptr<WapcInstance> self(new WapcInstance(std::move(options)));
  self->call_context_.deadline = call_options.deadline;  // host calls of the start functions
  self->AddImports();
  KW_ASSIGN_OR_RETURN(self->instance_, worker.Instantiate(module, self->imports_, call_options));
  for (const char* init : {"_initialize", "_start", "wapc_init"}) {
    if (!self->instance_->HasFunction(init)) continue;
    auto r = self->instance_->Call(init, {}, call_options);
    if (!r) {
      if (r.error().kind == ErrorKind::kGuestExit && r.error().exit_code == 0) continue;
      return std::unexpected(r.error().Wrap(std::string("policy initialization (") + init + ")"));
    }
  }
  return self;
}

Result<std::string> WapcInstance::Call(std::string_view operation, std::string_view payload,
                                       const engine::CallOptions& call_options) {
  invocation_ = Invocation{operation, payload, {}, {}, {}, {}};
  call_context_.deadline = call_options.deadline;
  Value args[2] = {Value::I32(static_cast<std::int32_t>(operation.size())),
                   Value::I32(static_cast<std::int32_t>(payload.size()))};
  auto result = instance_->Call("__guest_call", args, call_options);
  invocation_.operation = {};
  invocation_.payload = {};
  if (!result) return std::unexpected(std::move(result).error());
  bool success = !result->empty() && (*result)[0].i32 != 0;
  if (!success) {
    return Fail(ErrorKind::kGuestError,
                "Guest call failure: " +
                    invocation_.guest_error.value_or("No error message set for call failure"));
  }
  if (invocation_.guest_response) return std::move(*invocation_.guest_response);
  return Fail(ErrorKind::kGuestError,
              "Guest call failure: " + invocation_.guest_error.value_or(
                                           "No error message OR response set for call success"));
}

}  // namespace kw::runtime::wapc
