#include "runtime/opa/opa_instance.h"

#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/json.h"
#include "runtime/opa/rego_value.h"

namespace kw::runtime::opa {
namespace {

using engine::GuestMemory;
using engine::Value;
using wasm::FuncType;
using wasm::ValType;

using engine::HostResult;

constexpr ValType I32 = ValType::kI32;

Value AddrValue(std::uint32_t addr) { return Value::I32(static_cast<std::int32_t>(addr)); }

std::unexpected<Error> NotOpa(std::string why) {
  return std::unexpected(Error(ErrorKind::kBadModule,
                               "the module does not implement the OPA wasm ABI 1.x: " + why));
}

// What every OPA 1.x module exports, whichever way it is evaluated.
constexpr std::string_view kCommonExports[] = {
    "opa_malloc", "opa_json_parse", "opa_json_dump", "opa_heap_ptr_get", "opa_heap_ptr_set",
    "builtins",   "entrypoints"};
// What evaluating without opa_eval needs (every 1.x module has them).
constexpr std::string_view kContextExports[] = {
    "opa_eval_ctx_new", "opa_eval_ctx_set_input", "opa_eval_ctx_set_data",
    "opa_eval_ctx_get_result", "eval"};

// A JSON object mapping names to small non-negative ids (builtins(), entrypoints()).
Result<std::vector<std::pair<std::string, std::uint32_t>>> ParseIdMap(std::string_view text,
                                                                      std::string_view what,
                                                                      std::uint32_t max_id) {
  KW_ASSIGN_OR_RETURN(json::value value,
                      ParseJson(text, "the policy's " + std::string(what) + "() is not JSON"));
  if (!value.is_object()) {
    return Fail(ErrorKind::kBadModule,
                "the policy's " + std::string(what) + "() is not a JSON object");
  }
  std::vector<std::pair<std::string, std::uint32_t>> out;
  for (const auto& [name, id] : value.as_object()) {
    if (!id.is_int64() || id.as_int64() < 0 || id.as_int64() > max_id) {
      return Fail(ErrorKind::kBadModule, "the policy's " + std::string(what) + "() gives `" +
                                             std::string(name) + "` an invalid id");
    }
    out.emplace_back(std::string(name), static_cast<std::uint32_t>(id.as_int64()));
  }
  return out;
}

}  // namespace

Result<std::string> ReadCString(GuestMemory& memory, std::uint32_t addr, std::uint32_t cap,
                                std::string_view what) {
  std::uint64_t size = memory.Size();
  if (addr >= size) {
    return Fail(ErrorKind::kHostError, std::string(what) + ": address " + std::to_string(addr) +
                                           " is outside the guest memory");
  }
  // Look for the NUL within the memory and one byte past the cap, never further.
  auto window = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(size - addr, std::uint64_t{cap} + 1));
  std::optional<std::span<std::uint8_t>> bytes = memory.Span(addr, window);
  if (!bytes) {
    return Fail(ErrorKind::kHostError, std::string(what) + ": address " + std::to_string(addr) +
                                           " is outside the guest memory");
  }
  const void* nul = std::memchr(bytes->data(), 0, bytes->size());
  if (nul == nullptr) {
    if (window == std::uint64_t{cap} + 1) {
      return Fail(ErrorKind::kHostError, std::string(what) + " is longer than the limit of " +
                                             std::to_string(cap) + " bytes");
    }
    return Fail(ErrorKind::kHostError,
                std::string(what) + ": the string is not NUL-terminated within the guest memory");
  }
  auto length = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - bytes->data());
  return std::string(reinterpret_cast<const char*>(bytes->data()), length);
}

Result<void> CheckOpaModule(const wasm::ModuleInfo& info) {
  const wasm::Export* version = info.FindExport("opa_wasm_abi_version");
  if (version == nullptr || version->kind != wasm::ExternKind::kGlobal) {
    return NotOpa(
        "it exports no `opa_wasm_abi_version` global (modules built for OPA wasm ABI versions "
        "before 1.0 are not supported)");
  }
  for (std::string_view name : kCommonExports) {
    const wasm::Export* e = info.FindExport(name);
    if (e == nullptr || e->kind != wasm::ExternKind::kFunction) {
      return NotOpa("it does not export the function `" + std::string(name) + "`");
    }
  }
  bool imports_memory = false;
  for (const auto& imp : info.imports) imports_memory |= imp.kind == wasm::ExternKind::kMemory;
  const wasm::Export* memory = info.FindExport("memory");
  if (!imports_memory && (memory == nullptr || memory->kind != wasm::ExternKind::kMemory)) {
    return NotOpa("it neither imports nor exports a memory");
  }
  return {};
}

void OpaInstance::AddImports() {
  imports_.set_min_imported_memory_pages(kMinMemoryPages);
  imports_.Add({"env", "opa_abort", FuncType{{I32}, {}},
                [this](GuestMemory& m, std::span<const Value> a) -> HostResult {
                  auto text = ReadCString(m, a[0].u32(), limits_.max_message_bytes, "opa_abort");
                  std::string message = text ? *text : text.error().message;
                  spdlog::error("policy {}: OPA abort: {}", policy_id_, message);
                  // OPA's opa_abort never returns: the evaluation ends here.
                  return Fail(ErrorKind::kGuestError, "the policy aborted: " + message);
                }});
  imports_.Add({"env", "opa_println", FuncType{{I32}, {}},
                [this](GuestMemory& m, std::span<const Value> a) -> HostResult {
                  KW_ASSIGN_OR_RETURN(std::string text,
                                      ReadCString(m, a[0].u32(), limits_.max_message_bytes,
                                                  "opa_println"));
                  spdlog::info("policy {}: {}", policy_id_, text);
                  return std::optional<Value>();
                }});
  for (int arity = 0; arity <= 4; ++arity) {
    FuncType type{std::vector<ValType>(2 + arity, I32), {I32}};
    imports_.Add({"env", "opa_builtin" + std::to_string(arity), std::move(type),
                  [this](GuestMemory&, std::span<const Value> a) { return CallBuiltin(a); }});
  }
}

Result<std::unique_ptr<OpaInstance>> OpaInstance::Create(engine::Worker& worker,
                                                         const engine::ModuleSharedPtr& module,
                                                         std::string policy_id,
                                                         std::string_view data_json,
                                                         const engine::CallOptions& call_options,
                                                         OpaLimits limits) {
  KW_TRY(CheckOpaModule(module->info()));
  std::unique_ptr<OpaInstance> self(new OpaInstance(std::move(policy_id), limits));
  self->AddImports();
  KW_ASSIGN_OR_RETURN(self->instance_, worker.Instantiate(module, self->imports_, call_options));

  std::optional<std::int32_t> major = self->instance_->GlobalI32("opa_wasm_abi_version");
  if (!major) return NotOpa("its `opa_wasm_abi_version` global is not an i32");
  std::int32_t minor = self->instance_->GlobalI32("opa_wasm_abi_minor_version").value_or(0);
  self->abi_major_ = *major;
  self->abi_minor_ = minor;
  if (*major != 1) {
    return NotOpa("it is built for OPA wasm ABI version " + std::to_string(*major) + "." +
                  std::to_string(minor) +
                  (*major < 1 ? ", and versions before 1.0 are not supported"
                              : ", and only 1.x is supported"));
  }
  self->use_opa_eval_ = minor >= 2 && self->instance_->HasFunction("opa_eval");
  // Rego value text keeps sets apart from arrays (rego_value.h); modules that lack the calls
  // exchange builtin values as JSON.
  self->has_value_dump_ = self->instance_->HasFunction("opa_value_dump");
  self->has_value_parse_ = self->instance_->HasFunction("opa_value_parse");
  if (!self->use_opa_eval_) {
    for (std::string_view name : kContextExports) {
      if (!self->instance_->HasFunction(name)) {
        return NotOpa("it does not export the function `" + std::string(name) + "`");
      }
    }
  }
  KW_TRY(self->LoadBuiltins(call_options));
  KW_ASSIGN_OR_RETURN(std::int32_t base, self->CallI32("opa_heap_ptr_get", {}, call_options));
  self->base_heap_ptr_ = static_cast<std::uint32_t>(base);
  KW_TRY(self->LoadData(data_json, call_options));
  return self;
}

Result<void> OpaInstance::ReplaceData(std::string_view data_json,
                                      const engine::CallOptions& call_options) {
  // The old data and everything above it are dropped; the new data takes their place.
  Value heap_arg[1] = {AddrValue(base_heap_ptr_)};
  KW_TRY(CallVoid("opa_heap_ptr_set", heap_arg, call_options));
  return LoadData(data_json, call_options);
}

Result<void> OpaInstance::LoadBuiltins(const engine::CallOptions& call_options) {
  KW_ASSIGN_OR_RETURN(std::int32_t builtins_addr, CallI32("builtins", {}, call_options));
  KW_ASSIGN_OR_RETURN(std::string builtins_text,
                      DumpJson(static_cast<std::uint32_t>(builtins_addr),
                               limits_.max_builtin_arg_bytes, call_options));
  KW_ASSIGN_OR_RETURN(auto builtins,
                      ParseIdMap(builtins_text, "builtins", limits_.max_builtin_id));
  std::vector<std::string> missing;
  for (auto& [name, id] : builtins) {
    Builtin fn = FindBuiltin(name);
    if (fn == nullptr) {
      missing.push_back(name);
      continue;
    }
    if (id >= builtins_.size()) {
      builtins_.resize(id + 1, nullptr);
      builtin_names_.resize(id + 1);
    }
    builtins_[id] = fn;
    builtin_names_[id] = std::move(name);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& name : missing) list += (list.empty() ? "`" : ", `") + name + "`";
    return Fail(ErrorKind::kBadModule,
                "missing Rego builtins: the policy uses " + list +
                    ", which this policy server does not implement");
  }

  KW_ASSIGN_OR_RETURN(std::int32_t entrypoints_addr, CallI32("entrypoints", {}, call_options));
  KW_ASSIGN_OR_RETURN(std::string entrypoints_text,
                      DumpJson(static_cast<std::uint32_t>(entrypoints_addr),
                               limits_.max_builtin_arg_bytes, call_options));
  KW_ASSIGN_OR_RETURN(auto entrypoints,
                      ParseIdMap(entrypoints_text, "entrypoints", limits_.max_builtin_id));
  // Kubewarden evaluates entrypoint 0, whatever it is called (as upstream does).
  bool has_zero = false;
  for (const auto& entry : entrypoints) has_zero |= entry.second == 0;
  if (!has_zero) return Fail(ErrorKind::kBadModule, "the policy has no entrypoint with id 0");
  return {};
}

Result<void> OpaInstance::LoadData(std::string_view data_json,
                                   const engine::CallOptions& call_options) {
  KW_ASSIGN_OR_RETURN(data_addr_, PushJson(data_json, call_options));
  KW_ASSIGN_OR_RETURN(std::int32_t heap, CallI32("opa_heap_ptr_get", {}, call_options));
  data_heap_ptr_ = static_cast<std::uint32_t>(heap);
  return {};
}

Result<std::string> OpaInstance::Evaluate(std::string_view input_json,
                                          const engine::CallOptions& call_options) {
  builtin_context_ = BuiltinContext{};
  builtin_context_.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  if (input_json.size() > INT32_MAX) return Fail(ErrorKind::kInvalidArgument, "input too large");
  // Everything the previous evaluation allocated lies above the data: drop it.
  Value heap_arg[1] = {AddrValue(data_heap_ptr_)};
  KW_TRY(CallVoid("opa_heap_ptr_set", heap_arg, call_options));

  if (use_opa_eval_) {
    auto len = static_cast<std::int32_t>(input_json.size());
    Value size_arg[1] = {Value::I32(len)};
    KW_ASSIGN_OR_RETURN(std::int32_t input_addr, CallI32("opa_malloc", size_arg, call_options));
    if (!instance_->memory().Write(static_cast<std::uint32_t>(input_addr), input_json)) {
      return Fail(ErrorKind::kHostError, "opa_malloc returned an address outside the guest memory");
    }
    KW_ASSIGN_OR_RETURN(std::int32_t heap, CallI32("opa_heap_ptr_get", {}, call_options));
    // opa_eval(reserved, entrypoint, data, input, input_len, heap_ptr, format 0 = JSON)
    Value args[7] = {Value::I32(0), Value::I32(0), AddrValue(data_addr_), Value::I32(input_addr),
                     Value::I32(len), Value::I32(heap), Value::I32(0)};
    KW_ASSIGN_OR_RETURN(std::int32_t result_addr, CallI32("opa_eval", args, call_options));
    return ReadCString(instance_->memory(), static_cast<std::uint32_t>(result_addr),
                       limits_.max_result_bytes, "the policy's result");
  }

  KW_ASSIGN_OR_RETURN(std::uint32_t input_addr, PushJson(input_json, call_options));
  KW_ASSIGN_OR_RETURN(std::int32_t ctx, CallI32("opa_eval_ctx_new", {}, call_options));
  Value set_input[2] = {Value::I32(ctx), AddrValue(input_addr)};
  KW_TRY(CallVoid("opa_eval_ctx_set_input", set_input, call_options));
  Value set_data[2] = {Value::I32(ctx), AddrValue(data_addr_)};
  KW_TRY(CallVoid("opa_eval_ctx_set_data", set_data, call_options));
  if (instance_->HasFunction("opa_eval_ctx_set_entrypoint")) {
    Value set_entrypoint[2] = {Value::I32(ctx), Value::I32(0)};
    KW_TRY(CallVoid("opa_eval_ctx_set_entrypoint", set_entrypoint, call_options));
  }
  Value ctx_arg[1] = {Value::I32(ctx)};
  KW_ASSIGN_OR_RETURN(std::int32_t rc, CallI32("eval", ctx_arg, call_options));
  if (rc != 0) {
    return Fail(ErrorKind::kGuestError, "OPA evaluation failed with error code " +
                                            std::to_string(rc));
  }
  KW_ASSIGN_OR_RETURN(std::int32_t result, CallI32("opa_eval_ctx_get_result", ctx_arg,
                                                   call_options));
  return DumpJson(static_cast<std::uint32_t>(result), limits_.max_result_bytes, call_options);
}

Result<std::int32_t> OpaInstance::CallI32(std::string_view name, std::span<const Value> args,
                                          const engine::CallOptions& call_options) {
  KW_ASSIGN_OR_RETURN(std::vector<Value> results, instance_->Call(name, args, call_options));
  if (results.size() != 1 || results[0].type != ValType::kI32) {
    return Fail(ErrorKind::kBadModule,
                "the policy's `" + std::string(name) + "` does not return one i32");
  }
  return results[0].i32;
}

Result<void> OpaInstance::CallVoid(std::string_view name, std::span<const Value> args,
                                   const engine::CallOptions& call_options) {
  KW_TRY(instance_->Call(name, args, call_options));
  return {};
}

Result<std::uint32_t> OpaInstance::PushJson(std::string_view json,
                                            const engine::CallOptions& call_options) {
  return PushText(json, "opa_json_parse", call_options);
}

Result<std::uint32_t> OpaInstance::PushText(std::string_view json, std::string_view parser,
                                            const engine::CallOptions& call_options) {
  if (json.size() > INT32_MAX) return Fail(ErrorKind::kInvalidArgument, "JSON document too large");
  Value size_arg[1] = {Value::I32(static_cast<std::int32_t>(json.size()))};
  KW_ASSIGN_OR_RETURN(std::int32_t addr, CallI32("opa_malloc", size_arg, call_options));
  if (!instance_->memory().Write(static_cast<std::uint32_t>(addr), json)) {
    return Fail(ErrorKind::kHostError, "opa_malloc returned an address outside the guest memory");
  }
  Value parse_args[2] = {Value::I32(addr), Value::I32(static_cast<std::int32_t>(json.size()))};
  KW_ASSIGN_OR_RETURN(std::int32_t value, CallI32(parser, parse_args, call_options));
  if (value == 0) {
    return Fail(ErrorKind::kGuestError,
                "the policy failed to parse a JSON document (" + std::string(parser) + ")");
  }
  return static_cast<std::uint32_t>(value);
}

Result<std::string> OpaInstance::DumpJson(std::uint32_t value_addr, std::uint32_t cap,
                                          const engine::CallOptions& call_options) {
  Value arg[1] = {AddrValue(value_addr)};
  KW_ASSIGN_OR_RETURN(std::int32_t text_addr, CallI32("opa_json_dump", arg, call_options));
  return ReadCString(instance_->memory(), static_cast<std::uint32_t>(text_addr), cap,
                     "opa_json_dump");
}

HostResult OpaInstance::CallBuiltin(std::span<const Value> args) {
  // args: builtin id, OPA context (unused, as upstream), then value addresses.
  std::uint32_t id = args[0].u32();
  if (id >= builtins_.size() || builtins_[id] == nullptr) {
    return Fail(ErrorKind::kHostError,
                "the policy called builtin id " + std::to_string(id) + ", which it never declared");
  }
  // Nested guest calls run under the evaluation's deadline (engine.h), so no options here.
  const engine::CallOptions nested;
  std::vector<json::value> values;
  values.reserve(args.size() - 2);
  for (const Value& arg : args.subspan(2)) {
    if (has_value_dump_) {
      Value dump_arg[1] = {arg};
      KW_ASSIGN_OR_RETURN(std::int32_t text_addr, CallI32("opa_value_dump", dump_arg, nested));
      KW_ASSIGN_OR_RETURN(std::string text,
                          ReadCString(instance_->memory(), static_cast<std::uint32_t>(text_addr),
                                      limits_.max_builtin_arg_bytes, "opa_value_dump"));
      if (auto value = ParseRegoValue(text)) {
        values.push_back(std::move(*value));
        continue;
      } else {
        // A text this reader does not know (another OPA's dialect): the JSON dump below still
        // has the value, without its sets.
        spdlog::debug("policy {}: builtin {}: argument read as JSON: {}", policy_id_,
                      builtin_names_[id], value.error().message);
      }
    }
    KW_ASSIGN_OR_RETURN(std::string text,
                        DumpJson(arg.u32(), limits_.max_builtin_arg_bytes, nested));
    KW_ASSIGN_OR_RETURN(json::value value,
                        ParseJson(text, "builtin " + builtin_names_[id] + ": argument"));
    values.push_back(std::move(value));
  }
  auto result = builtins_[id](builtin_context_, values);
  if (!result && IsUndefinedResult(result.error())) return std::optional<Value>(AddrValue(0));
  if (!result) {
    // The builtins name themselves ("hex.decode: encoding/hex: ..."), as OPA's messages do;
    // only a call through an alias ("date" for time.date) gets the name the policy used.
    std::string message = std::move(result.error().message);
    if (!message.starts_with(builtin_names_[id] + ": ")) message = builtin_names_[id] + ": " + message;
    return Fail(ErrorKind::kGuestError, std::move(message));
  }
  std::uint32_t addr = 0;
  if (has_value_parse_) {
    KW_ASSIGN_OR_RETURN(addr, PushText(RegoValueText(*result), "opa_value_parse", nested));
  } else {
    KW_ASSIGN_OR_RETURN(addr, PushJson(JsonText(*result), nested));
  }
  return std::optional<Value>(AddrValue(addr));
}

}  // namespace kw::runtime::opa
