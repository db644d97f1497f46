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

}  // namespace kw::engine
