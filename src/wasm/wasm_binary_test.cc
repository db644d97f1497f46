#include "wasm/wasm_binary.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kw::wasm
