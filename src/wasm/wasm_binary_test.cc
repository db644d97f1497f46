#include "wasm/wasm_binary.h"

#include <gtest/gtest.h>

#include "testing/module_writer.h"

namespace kw::wasm {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes Header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

void Append(Bytes& out, std::uint8_t id, const Bytes& body) {
  out.push_back(id);
  out.push_back(static_cast<std::uint8_t>(body.size()));  // bodies here are < 128 bytes
  out.insert(out.end(), body.begin(), body.end());
}

// (module (type (func (param i32 i32) (result i32))) (import "wapc" "f" (func (type 0)))
//         (func (type 0) i32.const 1) (memory 2 8) (export "run" (func 1)) (export "memory" (memory 0)))
Bytes SampleModule() {
  Bytes m = Header();
  Append(m, 1, {0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f});
  Append(m, 2, {0x01, 0x04, 'w', 'a', 'p', 'c', 0x01, 'f', 0x00, 0x00});
  Append(m, 3, {0x01, 0x00});
  Append(m, 5, {0x01, 0x01, 0x02, 0x08});
  Append(m, 7, {0x02, 0x03, 'r', 'u', 'n', 0x00, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00});
  Append(m, 10, {0x01, 0x04, 0x00, 0x41, 0x01, 0x0b});
  return m;
}

TEST(WasmBinary, InspectsImportsExportsAndTypes) {
  Bytes m = SampleModule();
  auto info = Inspect(m);
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_EQ(info->imports.size(), 1u);
  EXPECT_EQ(info->imports[0].module, "wapc");
  EXPECT_EQ(info->imports[0].name, "f");
  EXPECT_EQ(info->imports[0].type.params, (std::vector<ValType>{ValType::kI32, ValType::kI32}));
  const Export* run = info->FindExport("run");
  ASSERT_NE(run, nullptr);
  ASSERT_TRUE(run->type.has_value());
  EXPECT_EQ(run->type->results, std::vector<ValType>{ValType::kI32});
  EXPECT_EQ(info->FindExport("memory")->kind, ExternKind::kMemory);
  EXPECT_TRUE(info->has_memory_section);
}

TEST(WasmBinary, RejectsNonWasmAndTruncatedInput) {
  Bytes text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  EXPECT_FALSE(HasWasmMagic(text));
  auto r = Inspect(text);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kBadModule);

  // Cutting between two sections leaves a well-formed (shorter) module; cutting inside a
  // section must be reported.
  Bytes m = SampleModule();
  std::vector<std::size_t> section_ends;
  for (std::size_t pos = 8; pos < m.size(); pos += 2 + m[pos + 1]) section_ends.push_back(pos + 2 + m[pos + 1]);
  for (std::size_t cut = 9; cut < m.size(); ++cut) {
    Bytes truncated(m.begin(), m.begin() + static_cast<long>(cut));
    bool at_boundary = std::find(section_ends.begin(), section_ends.end(), cut) != section_ends.end();
    EXPECT_EQ(Inspect(truncated).has_value(), at_boundary) << "truncated at " << cut;
  }
}

TEST(WasmBinary, CapsMemoryMaximum) {
  Bytes m = SampleModule();
  auto capped = CapMemory(m, 4);
  ASSERT_TRUE(capped) << capped.error().message;
  // The memory section now reads: 1 memory, flags 1, min 2, max 4.
  Bytes expected_section = {0x05, 0x04, 0x01, 0x01, 0x02, 0x04};
  EXPECT_NE(std::search(capped->begin(), capped->end(), expected_section.begin(),
                        expected_section.end()),
            capped->end());
  EXPECT_TRUE(Inspect(*capped));

  auto larger_cap = CapMemory(m, 100);  // keeps the module's own smaller maximum
  ASSERT_TRUE(larger_cap);
  EXPECT_EQ(*larger_cap, m);

  auto too_small = CapMemory(m, 1);
  ASSERT_FALSE(too_small);
  EXPECT_EQ(too_small.error().kind, ErrorKind::kOutOfMemory);
}

TEST(WasmBinary, CapsImportedMemory) {
  Bytes m = Header();
  // (import "env" "memory" (memory 2)) : no maximum
  Append(m, 2, {0x01, 0x03, 'e', 'n', 'v', 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, 0x02});
  auto info = Inspect(m);
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_EQ(info->imports.size(), 1u);
  EXPECT_EQ(info->imports[0].kind, ExternKind::kMemory);
  EXPECT_EQ(info->imports[0].memory_min_pages, 2u);
  EXPECT_FALSE(info->imports[0].memory_max_pages);

  auto capped = CapMemory(m, 10);
  ASSERT_TRUE(capped) << capped.error().message;
  auto capped_info = Inspect(*capped);
  ASSERT_TRUE(capped_info) << capped_info.error().message;
  EXPECT_EQ(capped_info->imports[0].memory_min_pages, 2u);
  EXPECT_EQ(capped_info->imports[0].memory_max_pages, std::optional<std::uint32_t>(10));

  auto too_small = CapMemory(m, 1);
  ASSERT_FALSE(too_small);
  EXPECT_EQ(too_small.error().kind, ErrorKind::kOutOfMemory);

  // An imported memory plus a defined one is two memories.
  Bytes two = m;
  Append(two, 5, {0x01, 0x00, 0x01});
  auto r = CapMemory(two, 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kBadModule);
}

TEST(WasmBinary, CustomSectionsRoundTrip) {
  Bytes m = SampleModule();
  std::string payload = R"({"a":1})";
  Bytes with = AppendCustomSection(
      m, "io.kubewarden.metadata",
      std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
  auto info = Inspect(with);
  ASSERT_TRUE(info);
  auto found = info->FindCustomSection("io.kubewarden.metadata");
  ASSERT_TRUE(found);
  EXPECT_EQ(std::string(found->begin(), found->end()), payload);

  auto removed = RemoveCustomSections(with, "io.kubewarden.metadata");
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, m);
}

TEST(WasmBinary, RenamesFunctionImports) {
  Bytes m = SampleModule();
  auto renamed = RenameImport(m, "wapc", "f", "host", "call");
  ASSERT_TRUE(renamed) << renamed.error().message;
  auto info = Inspect(*renamed);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->imports[0].module, "host");
  EXPECT_EQ(info->imports[0].name, "call");
  EXPECT_EQ(info->FindExport("run")->index, 1u);
}


TEST(WasmBinary, CountsWhatTheHostAllocatesAtInstantiation) {
  ModuleSpec spec;
  spec.imports = 3;
  spec.exports = 5;
  spec.globals = 7;
  spec.tables = {{10, std::nullopt}, {20, 30}};
  spec.elements = {{false, 0, 4}, {true, 0, 6}};
  spec.data = {{0, 3}, {8, 1}};
  spec.start = Body::kNop;
  auto info = Inspect(WriteModule(spec));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->imports.size(), 3u);
  EXPECT_EQ(info->exports.size(), 7u);  // memory and run too
  EXPECT_EQ(info->sizes.functions, 4u);
  EXPECT_EQ(info->sizes.tables, 2u);
  EXPECT_EQ(info->sizes.table_entries, 30u);
  EXPECT_EQ(info->sizes.element_entries, 10u);
  EXPECT_EQ(info->sizes.globals, 7u);
  EXPECT_EQ(info->sizes.data_segments, 2u);
  EXPECT_TRUE(CheckDeclaredSizes(*info));
}

TEST(WasmBinary, ReadsEveryElementSegmentEncoding) {
  // (table 4 funcref) (func) and one segment of each of the eight encodings, 1..8 entries.
  Bytes m = Header();
  Append(m, 1, {0x01, 0x60, 0x00, 0x00});
  Append(m, 3, {0x01, 0x00});
  Append(m, 4, {0x01, 0x70, 0x00, 0x04});
  Bytes elem = {0x08};
  auto indices = [&](int n) {
    elem.push_back(static_cast<std::uint8_t>(n));
    for (int i = 0; i < n; ++i) elem.push_back(0x00);
  };
  const Bytes ref_func = {0xd2, 0x00, 0x0b}, ref_null = {0xd0, 0x70, 0x0b};
  auto exprs = [&](int n) {
    elem.push_back(static_cast<std::uint8_t>(n));
    for (int i = 0; i < n; ++i) {
      const Bytes& e = i % 2 ? ref_null : ref_func;
      elem.insert(elem.end(), e.begin(), e.end());
    }
  };
  const Bytes offset = {0x41, 0x00, 0x0b};
  elem.push_back(0); elem.insert(elem.end(), offset.begin(), offset.end()); indices(1);
  elem.insert(elem.end(), {0x01, 0x00}); indices(2);
  elem.insert(elem.end(), {0x02, 0x00}); elem.insert(elem.end(), offset.begin(), offset.end());
  elem.push_back(0x00); indices(3);
  elem.insert(elem.end(), {0x03, 0x00}); indices(4);
  elem.push_back(0x04); elem.insert(elem.end(), offset.begin(), offset.end()); exprs(5);
  elem.insert(elem.end(), {0x05, 0x70}); exprs(6);
  elem.insert(elem.end(), {0x06, 0x00}); elem.insert(elem.end(), offset.begin(), offset.end());
  elem.push_back(0x70); exprs(7);
  elem.insert(elem.end(), {0x07, 0x70}); exprs(8);
  Append(m, 9, elem);
  Append(m, 10, {0x01, 0x02, 0x00, 0x0b});
  auto info = Inspect(m);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->sizes.element_entries, 36u);

  // An instruction that cannot be in a constant expression: the segment's end cannot be found.
  Bytes bad = Header();
  Append(bad, 9, {0x01, 0x04, 0x41, 0x00, 0x0b, 0x01, 0x01, 0x0b});
  auto refused = Inspect(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "malformed WebAssembly module: bad element section");
}

TEST(WasmBinary, RefusesDeclaredSizesOverTheLimits) {
  struct Case {
    ModuleSpec spec;
    std::string message;
  };
  ModuleSpec tables;
  tables.tables = {{600'000, std::nullopt}, {600'000, std::nullopt}};
  ModuleSpec exports;
  exports.exports = 10'000;
  ModuleSpec imports;
  imports.imports = 10'001;
  ModuleSpec globals;
  globals.globals = 100'001;
  ModuleSpec elements;
  elements.tables = {{1, std::nullopt}};
  elements.elements = {{true, 0, 700'000}, {true, 0, 300'001}};
  const Case cases[] = {
      {tables, "the module declares 1200000 table entries, more than the limit of 1000000"},
      {exports, "the module declares 10002 exports, more than the limit of 10000"},
      {imports, "the module declares 10001 imports, more than the limit of 10000"},
      {globals, "the module declares 100001 globals, more than the limit of 100000"},
      {elements, "the module declares 1000001 element segment entries, more than the limit of 1000000"},
  };
  for (const Case& c : cases) {
    auto info = Inspect(WriteModule(c.spec));
    ASSERT_TRUE(info) << info.error().message;
    auto checked = CheckDeclaredSizes(*info);
    ASSERT_FALSE(checked) << c.message;
    EXPECT_EQ(checked.error().kind, ErrorKind::kBadModule);
    EXPECT_EQ(checked.error().message,
              c.message + " (the host allocates them when it instantiates the module)");
  }
}

TEST(WasmBinary, DeclaredSizesSaturateInsteadOfWrapping) {
  ModuleSpec spec;
  spec.tables.assign(3, {0xffffffff, std::nullopt});
  auto info = Inspect(WriteModule(spec));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->sizes.table_entries, 3ull * 0xffffffff);
  EXPECT_FALSE(CheckDeclaredSizes(*info));
}

}  // namespace
}  // namespace kw::wasm
