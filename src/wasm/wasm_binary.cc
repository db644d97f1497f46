#include "wasm/wasm_binary.h"

#include "wasm/encoding.h"

#include <cstring>

namespace kw::wasm {
namespace {

constexpr std::uint8_t kMagic[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
constexpr std::uint8_t kSectionCustom = 0;
constexpr std::uint8_t kSectionType = 1;
constexpr std::uint8_t kSectionImport = 2;
constexpr std::uint8_t kSectionFunction = 3;
constexpr std::uint8_t kSectionTable = 4;
constexpr std::uint8_t kSectionMemory = 5;
constexpr std::uint8_t kSectionGlobal = 6;
constexpr std::uint8_t kSectionExport = 7;
constexpr std::uint8_t kSectionElement = 9;
constexpr std::uint8_t kSectionData = 11;

// A bounds-checked cursor over untrusted bytes. Every read reports failure instead of reading
// past the end; the first failure sticks, so callers may check `ok()` once after a group of reads.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : data_(bytes) {}

  bool ok() const { return ok_; }
  bool done() const { return pos_ >= data_.size(); }
  std::size_t pos() const { return pos_; }

  std::uint8_t Byte() {
    if (!ok_ || pos_ >= data_.size()) return Failed();
    return data_[pos_++];
  }

  std::uint32_t U32() {
    std::uint32_t result = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      std::uint8_t b = Byte();
      if (!ok_) return 0;
      if (shift == 28 && (b & 0x70) != 0) return Failed();  // more than 32 bits
      result |= static_cast<std::uint32_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return result;
    }
    return Failed();
  }

  // A signed LEB128 of up to 33 bits (heap types); only its extent matters to us.
  std::int64_t S33() {
    std::int64_t result = 0;
    int shift = 0;
    std::uint8_t b = 0;
    do {
      if (shift >= 35) return Failed();
      b = Byte();
      if (!ok_) return 0;
      result |= static_cast<std::int64_t>(b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) result |= -(static_cast<std::int64_t>(1) << shift);
    return result;
  }

  std::span<const std::uint8_t> Bytes(std::size_t n) {
    if (!ok_ || n > data_.size() - pos_) {
      Failed();
      return {};
    }
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

  std::string Name() {
    std::uint32_t len = U32();
    auto s = Bytes(len);
    return std::string(reinterpret_cast<const char*>(s.data()), s.size());
  }

 private:
  std::uint8_t Failed() {
    ok_ = false;
    return 0;
  }

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Reads a value type. Typed-function-reference types (0x63/0x64) carry a heap type after them.
ValType ReadValType(Reader& r) {
  std::uint8_t b = r.Byte();
  switch (b) {
    case 0x7f: return ValType::kI32;
    case 0x7e: return ValType::kI64;
    case 0x7d: return ValType::kF32;
    case 0x7c: return ValType::kF64;
    case 0x7b: return ValType::kV128;
    case 0x70: return ValType::kFuncRef;
    case 0x6f: return ValType::kExternRef;
    case 0x63:
    case 0x64:
      r.S33();
      return ValType::kOther;
    default:
      return ValType::kOther;  // other GC shorthands are single bytes
  }
}

struct Limits {
  std::uint8_t flags = 0;
  std::uint32_t min = 0;
  std::optional<std::uint32_t> max;
};

Limits ReadLimits(Reader& r) {
  Limits l;
  l.flags = r.Byte();
  l.min = r.U32();
  if (l.flags & 0x01) l.max = r.U32();
  return l;
}

// One entry of the import section, as stored: the descriptor bytes are kept so rewriters can
// copy them unchanged.
struct RawImport {
  std::string module;
  std::string name;
  std::uint8_t kind = 0;
  std::uint32_t type_index = 0;  // for functions
  Limits limits;                 // for memories and tables
  std::span<const std::uint8_t> descriptor;  // kind byte and what follows it
};

std::optional<RawImport> ReadImportEntry(Reader& r, std::span<const std::uint8_t> body) {
  RawImport imp;
  imp.module = r.Name();
  imp.name = r.Name();
  std::size_t start = r.pos();
  imp.kind = r.Byte();
  switch (imp.kind) {
    case 0: imp.type_index = r.U32(); break;
    case 1: ReadValType(r); imp.limits = ReadLimits(r); break;
    case 2: imp.limits = ReadLimits(r); break;
    case 3: ReadValType(r); r.Byte(); break;
    case 4: r.Byte(); r.U32(); break;
    default: return std::nullopt;
  }
  if (!r.ok()) return std::nullopt;
  imp.descriptor = body.subspan(start, r.pos() - start);
  return imp;
}

Error Malformed(std::string_view what) {
  return Error(ErrorKind::kBadModule, "malformed WebAssembly module: " + std::string(what));
}

std::uint64_t SaturatingAdd(std::uint64_t a, std::uint64_t b) {
  return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

// Skips a constant expression (an element segment's offset or item) up to its `end`. These are
// the instructions V8 10.2 accepts in one (MVP, reference types, extended constants); anything
// else is refused as V8 would refuse it, since we could not find where the expression ends.
bool SkipConstantExpression(Reader& r) {
  while (r.ok()) {
    std::uint8_t op = r.Byte();
    switch (op) {
      case 0x0b: return r.ok();                   // end
      case 0x41: r.S33(); break;                  // i32.const (s32 fits an s33 read)
      case 0x42:                                  // i64.const: up to 10 LEB bytes
        for (int i = 0; i < 10 && (r.Byte() & 0x80) && r.ok(); ++i) {
        }
        break;
      case 0x43: r.Bytes(4); break;               // f32.const
      case 0x44: r.Bytes(8); break;               // f64.const
      case 0x23: r.U32(); break;                  // global.get
      case 0xd0: r.S33(); break;                  // ref.null heaptype
      case 0xd2: r.U32(); break;                  // ref.func
      case 0x6a: case 0x6b: case 0x6c:            // i32.add/sub/mul
      case 0x7c: case 0x7d: case 0x7e: break;     // i64.add/sub/mul
      default: return false;
    }
  }
  return false;
}

// Reads one element segment (any of the eight encodings) and returns how many entries it has.
std::optional<std::uint32_t> ReadElementSegment(Reader& r) {
  std::uint32_t flags = r.U32();
  if (!r.ok() || flags > 7) return std::nullopt;
  const bool passive_or_declared = flags & 0x01;
  const bool explicit_table = flags & 0x02;
  const bool expressions = flags & 0x04;
  if (!passive_or_declared) {
    if (explicit_table) r.U32();                            // table index
    if (!SkipConstantExpression(r)) return std::nullopt;    // offset
  }
  if (passive_or_declared || explicit_table) {
    if (expressions) ReadValType(r);  // reftype
    else r.Byte();                    // elemkind
  }
  std::uint32_t count = r.U32();
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
    if (!expressions) {
      r.U32();  // function index
    } else if (!SkipConstantExpression(r)) {
      return std::nullopt;
    }
  }
  if (!r.ok()) return std::nullopt;
  return count;
}

// Calls `fn(id, body, section_start, section_end)` for each section, in order.
template <typename Fn>
Result<void> ForEachSection(std::span<const std::uint8_t> bytes, Fn&& fn) {
  if (!HasWasmMagic(bytes)) {
    return std::unexpected(Error(ErrorKind::kBadModule,
                                 "not a WebAssembly module (missing the \\0asm magic and version 1)"));
  }
  Reader r(bytes.subspan(8));
  while (!r.done()) {
    std::size_t start = 8 + r.pos();
    std::uint8_t id = r.Byte();
    std::uint32_t size = r.U32();
    auto body = r.Bytes(size);
    if (!r.ok()) return std::unexpected(Malformed("section runs past the end of the file"));
    KW_TRY(fn(id, body, start, 8 + r.pos()));
  }
  return {};
}

// What a rewriter does with one section.
struct SectionEdit {
  enum Action { kKeep, kDrop, kReplace } action = kKeep;
  std::vector<std::uint8_t> body;  // for kReplace
};

// Copies `bytes` section by section, letting `edit(id, body)` keep, drop or replace each one.
template <typename Edit>
Result<std::vector<std::uint8_t>> RewriteSections(std::span<const std::uint8_t> bytes, Edit&& edit) {
  std::vector<std::uint8_t> out(bytes.begin(), bytes.begin() + std::min<std::size_t>(8, bytes.size()));
  KW_TRY(ForEachSection(bytes, [&](std::uint8_t id, std::span<const std::uint8_t> body,
                                   std::size_t start, std::size_t end) -> Result<void> {
    KW_ASSIGN_OR_RETURN(SectionEdit e, edit(id, body));
    if (e.action == SectionEdit::kKeep) out.insert(out.end(), bytes.begin() + start, bytes.begin() + end);
    if (e.action == SectionEdit::kReplace) PutSection(out, id, e.body);
    return {};
  }));
  return out;
}

}  // namespace

const Export* ModuleInfo::FindExport(std::string_view name) const {
  for (const auto& e : exports) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::optional<std::span<const std::uint8_t>> ModuleInfo::FindCustomSection(
    std::string_view name) const {
  for (const auto& c : custom_sections) {
    if (c.name == name) return c.payload;
  }
  return std::nullopt;
}

bool HasWasmMagic(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kMagic, 8) == 0;
}

Result<ModuleInfo> Inspect(std::span<const std::uint8_t> bytes) {
  ModuleInfo info;
  std::vector<FuncType> types;
  bool types_known = true;
  std::vector<std::uint32_t> function_types;  // type index per function, imports first
  auto result = ForEachSection(bytes, [&](std::uint8_t id, std::span<const std::uint8_t> body,
                                          std::size_t, std::size_t) -> Result<void> {
    Reader r(body);
    switch (id) {
      case kSectionCustom: {
        std::string name = r.Name();
        if (!r.ok()) return std::unexpected(Malformed("bad custom section name"));
        info.custom_sections.push_back({std::move(name), body.subspan(r.pos())});
        break;
      }
      case kSectionType: {
        std::uint32_t n = r.U32();
        for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
          if (r.Byte() != 0x60) {  // rec/sub groups of the GC proposal: types we do not model
            types_known = false;
            return {};
          }
          FuncType t;
          std::uint32_t np = r.U32();
          for (std::uint32_t j = 0; j < np && r.ok(); ++j) t.params.push_back(ReadValType(r));
          std::uint32_t nr = r.U32();
          for (std::uint32_t j = 0; j < nr && r.ok(); ++j) t.results.push_back(ReadValType(r));
          types.push_back(std::move(t));
        }
        if (!r.ok()) return std::unexpected(Malformed("bad type section"));
        break;
      }
      case kSectionImport: {
        std::uint32_t n = r.U32();
        for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
          std::optional<RawImport> raw = ReadImportEntry(r, body);
          if (!raw) return std::unexpected(Malformed("bad import section"));
          Import imp;
          imp.module = std::move(raw->module);
          imp.name = std::move(raw->name);
          imp.kind = static_cast<ExternKind>(raw->kind);
          if (imp.kind == ExternKind::kFunction) {
            function_types.push_back(raw->type_index);
            if (types_known && raw->type_index < types.size()) {
              imp.type = types[raw->type_index];
              imp.has_type = true;
            } else if (types_known) {
              return std::unexpected(Malformed("import refers to an undefined type"));
            }
          }
          if (imp.kind == ExternKind::kMemory) {
            imp.memory_min_pages = raw->limits.min;
            imp.memory_max_pages = raw->limits.max;
          }
          if (imp.kind == ExternKind::kTable) {
            ++info.sizes.tables;
            info.sizes.table_entries = SaturatingAdd(info.sizes.table_entries, raw->limits.min);
          }
          info.imports.push_back(std::move(imp));
        }
        if (!r.ok()) return std::unexpected(Malformed("bad import section"));
        break;
      }
      case kSectionFunction: {
        std::uint32_t n = r.U32();
        for (std::uint32_t i = 0; i < n && r.ok(); ++i) function_types.push_back(r.U32());
        if (!r.ok()) return std::unexpected(Malformed("bad function section"));
        info.sizes.functions = n;
        break;
      }
      case kSectionTable: {
        std::uint32_t n = r.U32();
        for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
          ReadValType(r);
          Limits l = ReadLimits(r);
          info.sizes.table_entries = SaturatingAdd(info.sizes.table_entries, l.min);
        }
        if (!r.ok()) return std::unexpected(Malformed("bad table section"));
        info.sizes.tables = SaturatingAdd(info.sizes.tables, n);
        break;
      }
      case kSectionGlobal:
        // Only the count: the entries' constant expressions need not be read for it.
        info.sizes.globals = r.U32();
        if (!r.ok()) return std::unexpected(Malformed("bad global section"));
        break;
      case kSectionElement: {
        std::uint32_t n = r.U32();
        for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
          std::optional<std::uint32_t> entries = ReadElementSegment(r);
          if (!entries) return std::unexpected(Malformed("bad element section"));
          info.sizes.element_entries = SaturatingAdd(info.sizes.element_entries, *entries);
        }
        if (!r.ok()) return std::unexpected(Malformed("bad element section"));
        break;
      }
      case kSectionData:
        info.sizes.data_segments = r.U32();
        if (!r.ok()) return std::unexpected(Malformed("bad data section"));
        break;
      case kSectionMemory:
        info.has_memory_section = r.U32() > 0;
        break;
      case kSectionExport: {
        std::uint32_t n = r.U32();
        for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
          Export e;
          e.name = r.Name();
          e.kind = static_cast<ExternKind>(r.Byte());
          e.index = r.U32();
          if (e.kind == ExternKind::kFunction && types_known && e.index < function_types.size() &&
              function_types[e.index] < types.size()) {
            e.type = types[function_types[e.index]];
          }
          info.exports.push_back(std::move(e));
        }
        if (!r.ok()) return std::unexpected(Malformed("bad export section"));
        break;
      }
      default:
        break;
    }
    return {};
  });
  if (!result) return std::unexpected(result.error());
  return info;
}

Result<void> CheckDeclaredSizes(const ModuleInfo& info, const DeclaredSizeLimits& limits) {
  struct Count {
    const char* what;
    std::uint64_t declared;
    std::uint64_t limit;
  };
  const Count counts[] = {
      {"imports", info.imports.size(), limits.imports},
      {"exports", info.exports.size(), limits.exports},
      {"functions", info.sizes.functions, limits.functions},
      {"tables", info.sizes.tables, limits.tables},
      {"table entries", info.sizes.table_entries, limits.table_entries},
      {"element segment entries", info.sizes.element_entries, limits.element_entries},
      {"globals", info.sizes.globals, limits.globals},
      {"data segments", info.sizes.data_segments, limits.data_segments},
  };
  for (const Count& c : counts) {
    if (c.declared > c.limit) {
      return std::unexpected(Error(
          ErrorKind::kBadModule, "the module declares " + std::to_string(c.declared) + " " +
                                     c.what + ", more than the limit of " +
                                     std::to_string(c.limit) +
                                     " (the host allocates them when it instantiates the module)"));
    }
  }
  return {};
}

// The capped limits of one memory (defined or imported), appended to `out` as limits bytes.
Result<void> PutCappedLimits(std::vector<std::uint8_t>& out, const Limits& l,
                             std::uint32_t max_pages) {
  if (l.flags & 0x02) {
    return std::unexpected(Error(ErrorKind::kBadModule, "shared memories are not supported"));
  }
  if (l.flags & 0x04) {
    return std::unexpected(Error(ErrorKind::kBadModule, "64-bit memories are not supported"));
  }
  if (l.min > max_pages) {
    return std::unexpected(Error(
        ErrorKind::kOutOfMemory,
        "the module's initial memory of " + std::to_string(l.min) +
            " pages is larger than the memory limit of " + std::to_string(max_pages) + " pages"));
  }
  out.push_back(0x01);
  PutU32(out, l.min);
  PutU32(out, l.max ? std::min(*l.max, max_pages) : max_pages);
  return {};
}

Result<std::vector<std::uint8_t>> CapMemory(std::span<const std::uint8_t> bytes,
                                            std::uint32_t max_pages) {
  std::uint32_t memories = 0;  // imported and defined: the import section comes first
  return RewriteSections(bytes, [&](std::uint8_t id,
                                    std::span<const std::uint8_t> body) -> Result<SectionEdit> {
    if (id == kSectionImport) {
      Reader r(body);
      SectionEdit edit{SectionEdit::kReplace, {}};
      std::uint32_t n = r.U32();
      PutU32(edit.body, n);
      for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
        std::optional<RawImport> imp = ReadImportEntry(r, body);
        if (!imp) return std::unexpected(Malformed("bad import section"));
        PutName(edit.body, imp->module);
        PutName(edit.body, imp->name);
        if (imp->kind != 2) {
          edit.body.insert(edit.body.end(), imp->descriptor.begin(), imp->descriptor.end());
          continue;
        }
        if (++memories > 1) {
          return std::unexpected(Error(ErrorKind::kBadModule, "the module has more than one memory"));
        }
        edit.body.push_back(0x02);
        KW_TRY(PutCappedLimits(edit.body, imp->limits, max_pages));
      }
      if (!r.ok()) return std::unexpected(Malformed("bad import section"));
      return edit;
    }
    if (id != kSectionMemory) return SectionEdit{};
    Reader r(body);
    std::uint32_t count = r.U32();
    if (count > 1 || (count == 1 && memories > 0)) {
      return std::unexpected(Error(ErrorKind::kBadModule, "the module has more than one memory"));
    }
    SectionEdit edit{SectionEdit::kReplace, {}};
    PutU32(edit.body, count);
    if (count == 1) {
      Limits l = ReadLimits(r);
      if (!r.ok()) return std::unexpected(Malformed("bad memory section"));
      KW_TRY(PutCappedLimits(edit.body, l, max_pages));
    }
    return edit;
  });
}

std::vector<std::uint8_t> AppendCustomSection(std::span<const std::uint8_t> bytes,
                                              std::string_view name,
                                              std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out(bytes.begin(), bytes.end());
  std::vector<std::uint8_t> body;
  PutName(body, name);
  body.insert(body.end(), payload.begin(), payload.end());
  PutSection(out, kSectionCustom, body);
  return out;
}

Result<std::vector<std::uint8_t>> RemoveCustomSections(std::span<const std::uint8_t> bytes,
                                                       std::string_view name) {
  return RewriteSections(bytes, [&](std::uint8_t id,
                                    std::span<const std::uint8_t> body) -> Result<SectionEdit> {
    if (id == kSectionCustom) {
      Reader r(body);
      if (r.Name() == name && r.ok()) return SectionEdit{SectionEdit::kDrop, {}};
    }
    return SectionEdit{};
  });
}

Result<std::vector<std::uint8_t>> RenameImport(std::span<const std::uint8_t> bytes,
                                               std::string_view from_module,
                                               std::string_view from_name,
                                               std::string_view to_module,
                                               std::string_view to_name) {
  return RewriteSections(bytes, [&](std::uint8_t id,
                                    std::span<const std::uint8_t> body) -> Result<SectionEdit> {
    if (id != kSectionImport) return SectionEdit{};
    Reader r(body);
    SectionEdit edit{SectionEdit::kReplace, {}};
    std::uint32_t n = r.U32();
    PutU32(edit.body, n);
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
      std::optional<RawImport> imp = ReadImportEntry(r, body);
      if (!imp) return std::unexpected(Malformed("bad import section"));
      bool rename = imp->kind == 0 && imp->module == from_module && imp->name == from_name;
      PutName(edit.body, rename ? to_module : std::string_view(imp->module));
      PutName(edit.body, rename ? to_name : std::string_view(imp->name));
      edit.body.insert(edit.body.end(), imp->descriptor.begin(), imp->descriptor.end());
    }
    if (!r.ok()) return std::unexpected(Malformed("bad import section"));
    return edit;
  });
}

}  // namespace kw::wasm
