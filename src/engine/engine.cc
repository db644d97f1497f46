#include "engine/engine.h"

#include <cstring>

namespace kw::engine {

bool GuestMemory::Read(std::uint32_t ptr, std::uint32_t len, std::string& out) {
  auto span = Span(ptr, len);
  if (!span) return false;
  out.assign(reinterpret_cast<const char*>(span->data()), span->size());
  return true;
}

bool GuestMemory::Write(std::uint32_t ptr, std::span<const std::uint8_t> bytes) {
  if (bytes.size() > UINT32_MAX) return false;
  auto span = Span(ptr, static_cast<std::uint32_t>(bytes.size()));
  if (!span) return false;
  if (!bytes.empty()) std::memcpy(span->data(), bytes.data(), bytes.size());
  return true;
}

bool GuestMemory::Write(std::uint32_t ptr, std::string_view bytes) {
  return Write(ptr, std::span<const std::uint8_t>(
                        reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

void HostFunctionTable::Add(HostFunction fn) {
  for (auto& existing : functions_) {
    if (existing.module == fn.module && existing.name == fn.name) {
      existing = std::move(fn);
      return;
    }
  }
  functions_.push_back(std::move(fn));
}

const HostFunction* HostFunctionTable::Find(std::string_view module, std::string_view name) const {
  for (const auto& fn : functions_) {
    if (fn.module == module && fn.name == name) return &fn;
  }
  return nullptr;
}

namespace {

std::string TypeName(ValType t) {
  switch (t) {
    case ValType::kI32: return "i32";
    case ValType::kI64: return "i64";
    case ValType::kF32: return "f32";
    case ValType::kF64: return "f64";
    case ValType::kV128: return "v128";
    case ValType::kFuncRef: return "funcref";
    case ValType::kExternRef: return "externref";
    case ValType::kOther: return "ref";
  }
  return "?";
}

std::string SignatureText(const FuncType& t) {
  std::string s = "(";
  for (std::size_t i = 0; i < t.params.size(); ++i) s += (i ? ", " : "") + TypeName(t.params[i]);
  s += ") -> (";
  for (std::size_t i = 0; i < t.results.size(); ++i) s += (i ? ", " : "") + TypeName(t.results[i]);
  return s + ")";
}

}  // namespace

Result<const HostFunction*> ResolveFunctionImport(const Linker& linker,
                                                  const wasm::Import& import) {
  std::string qualified = import.module + "::" + import.name;
  if (import.kind != wasm::ExternKind::kFunction) {
    return Fail(ErrorKind::kBadModule, "unknown import: `" + qualified +
                                           "` is not a function or a memory, and the host "
                                           "provides only those");
  }
  const HostFunction* fn = linker.Find(import.module, import.name);
  if (fn == nullptr) {
    return Fail(ErrorKind::kBadModule, "unknown import: `" + qualified + "` has not been defined");
  }
  if (import.has_type && !(fn->type == import.type)) {
    return Fail(ErrorKind::kBadModule, "incompatible import type for `" + qualified +
                                           "`: the host provides " + SignatureText(fn->type) +
                                           ", the module expects " + SignatureText(import.type));
  }
  return fn;
}

}  // namespace kw::engine
