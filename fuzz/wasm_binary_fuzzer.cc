// Untrusted module bytes through every reader and rewriter of src/wasm.
#include <cstdint>
#include <span>

#include "wasm/wasm_binary.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  auto info = kw::wasm::Inspect(bytes);
  if (info) {
    (void)info->FindCustomSection("io.kubewarden.metadata");
  }
  auto capped = kw::wasm::CapMemory(bytes, 16);
  if (capped) {
    // A capped module must still parse.
    if (info && !kw::wasm::Inspect(*capped)) __builtin_trap();
  }
  (void)kw::wasm::RemoveCustomSections(bytes, "io.kubewarden.metadata");
  (void)kw::wasm::RenameImport(bytes, "kubewarden:javy/host", "call", "host", "call");
  return 0;
}
