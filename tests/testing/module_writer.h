// Writes small WebAssembly modules from a description, for the tests and fuzzers that need
// modules with chosen (often hostile) declared sizes and start functions: tables, element and
// data segments, globals, imports, exports. Header-only, beside the other test helpers.
//
// The module always has one memory (exported as `memory`), one type `() -> ()` plus a recursive
// helper type, and an exported function `run` whose body is `run_body`. Imports are all
// `env.f: () -> ()`. Element segments reference the module's empty function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/encoding.h"

namespace kw::wasm {

// What a function body does.
enum class Body : std::uint8_t {
  kNop,
  kTrap,          // unreachable
  kLoop,          // never returns
  kRecurse,       // unbounded recursion
  kGrowMemory,    // memory.grow(amount), result dropped
  kGrowTable,     // table.grow(table 0, null, amount), result dropped; needs a table
  kCallImport,    // calls import 0; needs an import
};

struct TableSpec {
  std::uint32_t min = 0;
  std::optional<std::uint32_t> max;
};

struct ElementSpec {
  bool passive = false;     // else active at `offset` in table 0 (needs a table)
  std::uint32_t offset = 0;
  std::uint32_t entries = 0;
};

struct DataSpec {
  std::uint32_t offset = 0;  // active in memory 0
  std::uint32_t size = 0;    // bytes of 0x2a
};

struct ModuleSpec {
  std::uint32_t memory_min = 1;
  std::optional<std::uint32_t> memory_max;
  std::vector<TableSpec> tables;
  std::uint32_t imports = 0;
  std::uint32_t exports = 0;  // extra exports f0, f1, ... of the empty function
  std::uint32_t globals = 0;  // mutable i32 globals
  std::vector<ElementSpec> elements;
  std::vector<DataSpec> data;
  std::optional<Body> start;  // a start function, when set
  Body run_body = Body::kNop;
  std::uint32_t grow_amount = 0;  // for kGrowMemory / kGrowTable
};

namespace module_writer_detail {

inline void Limits(std::vector<std::uint8_t>& out, std::uint32_t min,
                   std::optional<std::uint32_t> max) {
  out.push_back(max ? 0x01 : 0x00);
  PutU32(out, min);
  if (max) PutU32(out, *max);
}

}  // namespace module_writer_detail

// The module `spec` describes. Function indices: imports first, then `empty` (type 0), `run`
// (type 0), `recurse` (type 1: i64 -> i64), and `start` when there is one.
inline std::vector<std::uint8_t> WriteModule(const ModuleSpec& spec) {
  using namespace module_writer_detail;
  std::vector<std::uint8_t> out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  const std::uint32_t empty = spec.imports, run = empty + 1, recurse = empty + 2,
                      start = empty + 3;

  // () -> () and i64 -> i64
  PutSection(out, 1, {0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7e, 0x01, 0x7e});
  if (spec.imports > 0) {
    std::vector<std::uint8_t> body;
    PutU32(body, spec.imports);
    for (std::uint32_t i = 0; i < spec.imports; ++i) {
      PutName(body, "env");
      PutName(body, "f");
      body.insert(body.end(), {0x00, 0x00});
    }
    PutSection(out, 2, body);
  }
  std::vector<std::uint8_t> functions;
  PutU32(functions, spec.start ? 4 : 3);
  functions.insert(functions.end(), {0x00, 0x00, 0x01});
  if (spec.start) functions.push_back(0x00);
  PutSection(out, 3, functions);
  if (!spec.tables.empty()) {
    std::vector<std::uint8_t> body;
    PutU32(body, spec.tables.size());
    for (const TableSpec& t : spec.tables) {
      body.push_back(0x70);
      Limits(body, t.min, t.max);
    }
    PutSection(out, 4, body);
  }
  {
    std::vector<std::uint8_t> body = {0x01};
    Limits(body, spec.memory_min, spec.memory_max);
    PutSection(out, 5, body);
  }
  if (spec.globals > 0) {
    std::vector<std::uint8_t> body;
    PutU32(body, spec.globals);
    for (std::uint32_t i = 0; i < spec.globals; ++i) body.insert(body.end(), {0x7f, 0x01, 0x41, 0x00, 0x0b});
    PutSection(out, 6, body);
  }
  {
    std::vector<std::uint8_t> body;
    PutU32(body, spec.exports + 2);
    PutName(body, "memory");
    body.insert(body.end(), {0x02, 0x00});
    PutName(body, "run");
    body.push_back(0x00);
    PutU32(body, run);
    for (std::uint32_t i = 0; i < spec.exports; ++i) {
      PutName(body, "f" + std::to_string(i));
      body.push_back(0x00);
      PutU32(body, empty);
    }
    PutSection(out, 7, body);
  }
  if (spec.start) {
    std::vector<std::uint8_t> body;
    PutU32(body, start);
    PutSection(out, 8, body);
  }
  if (!spec.elements.empty()) {
    std::vector<std::uint8_t> body;
    PutU32(body, spec.elements.size());
    for (const ElementSpec& e : spec.elements) {
      if (e.passive) {
        body.insert(body.end(), {0x01, 0x00});  // passive, elemkind funcref
      } else {
        body.insert(body.end(), {0x00, 0x41});  // active in table 0 at i32.const offset
        PutS32(body, static_cast<std::int32_t>(e.offset));
        body.push_back(0x0b);
      }
      PutU32(body, e.entries);
      for (std::uint32_t i = 0; i < e.entries; ++i) PutU32(body, empty);
    }
    PutSection(out, 9, body);
  }

  auto function_body = [&](Body what) {
    std::vector<std::uint8_t> code = {0x00};  // no locals
    switch (what) {
      case Body::kNop: break;
      case Body::kTrap: code.push_back(0x00); break;
      case Body::kLoop: code.insert(code.end(), {0x03, 0x40, 0x0c, 0x00, 0x0b}); break;
      case Body::kRecurse:
        code.insert(code.end(), {0x42, 0x00, 0x10});
        PutU32(code, recurse);
        code.push_back(0x1a);
        break;
      case Body::kGrowMemory:
        code.push_back(0x41);
        PutS32(code, static_cast<std::int32_t>(spec.grow_amount));
        code.insert(code.end(), {0x40, 0x00, 0x1a});
        break;
      case Body::kGrowTable:
        code.insert(code.end(), {0xd0, 0x70, 0x41});
        PutS32(code, static_cast<std::int32_t>(spec.grow_amount));
        code.insert(code.end(), {0xfc, 0x0f, 0x00, 0x1a});
        break;
      case Body::kCallImport: code.insert(code.end(), {0x10, 0x00}); break;
    }
    code.push_back(0x0b);
    std::vector<std::uint8_t> sized;
    PutU32(sized, code.size());
    sized.insert(sized.end(), code.begin(), code.end());
    return sized;
  };
  {
    std::vector<std::uint8_t> body;
    PutU32(body, spec.start ? 4 : 3);
    for (auto b : function_body(Body::kNop)) body.push_back(b);
    for (auto b : function_body(spec.run_body)) body.push_back(b);
    // recurse(n) = recurse(n + 1) + n: no tail call, every frame stays.
    std::vector<std::uint8_t> r = {0x00, 0x20, 0x00, 0x42, 0x01, 0x7c, 0x10};
    PutU32(r, recurse);
    r.insert(r.end(), {0x20, 0x00, 0x7c, 0x0b});
    PutU32(body, r.size());
    body.insert(body.end(), r.begin(), r.end());
    if (spec.start) {
      for (auto b : function_body(*spec.start)) body.push_back(b);
    }
    PutSection(out, 10, body);
  }
  if (!spec.data.empty()) {
    std::vector<std::uint8_t> body;
    PutU32(body, spec.data.size());
    for (const DataSpec& d : spec.data) {
      body.insert(body.end(), {0x00, 0x41});
      PutS32(body, static_cast<std::int32_t>(d.offset));
      body.push_back(0x0b);
      PutU32(body, d.size);
      body.insert(body.end(), d.size, 0x2a);
    }
    PutSection(out, 11, body);
  }
  return out;
}

}  // namespace kw::wasm
