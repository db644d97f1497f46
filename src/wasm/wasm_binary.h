// Reading and editing the WebAssembly binary format, without running anything.
//
// The engine uses this to learn a module's imports (with their function types) and to cap its
// memory; the policy component uses it to read and write the `io.kubewarden.metadata` custom
// section and to list exports. Input bytes are untrusted: every length is checked and a malformed
// module is a kBadModule error, never a crash. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace kw::wasm {

enum class ValType : std::uint8_t { kI32, kI64, kF32, kF64, kV128, kFuncRef, kExternRef, kOther };

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};

enum class ExternKind : std::uint8_t { kFunction = 0, kTable = 1, kMemory = 2, kGlobal = 3, kTag = 4 };

struct Import {
  std::string module;
  std::string name;
  ExternKind kind;
  FuncType type;          // for kFunction only
  bool has_type = false;  // false when the type section uses encodings we do not model (GC)
  // For kMemory only: the declared limits, in 64 KiB pages.
  std::uint32_t memory_min_pages = 0;
  std::optional<std::uint32_t> memory_max_pages;
};

struct Export {
  std::string name;
  ExternKind kind;
  std::uint32_t index;
  std::optional<FuncType> type;  // for functions whose type the host could decode
};

struct CustomSection {
  std::string name;
  std::span<const std::uint8_t> payload;  // points into the module bytes
};

// The counts a module declares that an engine turns into host allocations when it instantiates
// the module, before any guest code runs and outside the guest's memory cap (V8 builds tables,
// table entries, export wrappers and import bindings on its JavaScript heap). Sums saturate.
struct DeclaredSizes {
  std::uint64_t functions = 0;        // defined functions (imports not counted)
  std::uint64_t tables = 0;           // defined and imported
  std::uint64_t table_entries = 0;    // initial entries over all tables
  std::uint64_t element_entries = 0;  // entries over all element segments (active or not)
  std::uint64_t globals = 0;          // defined globals
  std::uint64_t data_segments = 0;
};

// What a module may declare here: generous for real policies (a large Go policy has tens of
// thousands of functions and table entries, a few dozen exports and globals), small enough that
// an instance's host-side objects stay far below the JavaScript heap a worker has (64 MiB).
// Measured on V8 10.2: a funcref table entry costs 16 bytes, an element-segment entry 24, an
// exported function about 400, an import binding about 470, a function 8.
struct DeclaredSizeLimits {
  std::uint64_t imports = 10'000;
  std::uint64_t exports = 10'000;
  std::uint64_t functions = 1'000'000;  // V8's own limit
  std::uint64_t tables = 100;
  std::uint64_t table_entries = 1'000'000;  // also the most a table may grow to
  std::uint64_t element_entries = 1'000'000;
  std::uint64_t globals = 100'000;
  std::uint64_t data_segments = 100'000;  // V8's own limit
};

// What a module declares, as far as the host needs to know before instantiating it.
struct ModuleInfo {
  std::vector<Import> imports;
  std::vector<Export> exports;
  std::vector<CustomSection> custom_sections;  // in file order; spans borrow the input bytes
  bool has_memory_section = false;             // the module defines its own memory
  DeclaredSizes sizes;

  const Export* FindExport(std::string_view name) const;
  // The first custom section called `name`, as upstream reads metadata.
  std::optional<std::span<const std::uint8_t>> FindCustomSection(std::string_view name) const;
};

// True when `bytes` start with the wasm magic number and version 1.
bool HasWasmMagic(std::span<const std::uint8_t> bytes);

// Parses the section structure, imports, exports, custom sections and the declared sizes.
// Function bodies are not validated here; the engine does that when it compiles.
Result<ModuleInfo> Inspect(std::span<const std::uint8_t> bytes);

// Fails with kBadModule, naming the count and the limit, when `info` declares more than
// `limits` allows.
Result<void> CheckDeclaredSizes(const ModuleInfo& info, const DeclaredSizeLimits& limits = {});

// Returns a copy of `bytes` whose memory, defined or imported, has maximum = min(declared max,
// max_pages). (An imported memory is created by the host, which caps it itself; rewriting the
// import too keeps the module's own view consistent, so the host's capped memory matches it.)
// Fails with kOutOfMemory when the memory's initial size already exceeds `max_pages`, and with
// kBadModule for shared or 64-bit memories and for more than one memory. A module without
// memory is returned unchanged.
Result<std::vector<std::uint8_t>> CapMemory(std::span<const std::uint8_t> bytes,
                                            std::uint32_t max_pages);

// Returns a copy of `bytes` with a custom section `name` appended at the end.
std::vector<std::uint8_t> AppendCustomSection(std::span<const std::uint8_t> bytes,
                                              std::string_view name,
                                              std::span<const std::uint8_t> payload);

// Returns a copy of `bytes` without any custom section called `name`.
Result<std::vector<std::uint8_t>> RemoveCustomSections(std::span<const std::uint8_t> bytes,
                                                       std::string_view name);

// Renames function imports `from_module.from_name` to `to_module.to_name` (kwctl annotate turns
// Javy's `kubewarden:javy/host.call` into `host.call`). Other bytes are kept as they are.
Result<std::vector<std::uint8_t>> RenameImport(std::span<const std::uint8_t> bytes,
                                               std::string_view from_module,
                                               std::string_view from_name,
                                               std::string_view to_module,
                                               std::string_view to_name);

}  // namespace kw::wasm
