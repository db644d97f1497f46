#include "wasm/wasm_binary.h"

#include <cstring>

namespace kw::wasm {
namespace {

constexpr std::uint8_t kMagic[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
constexpr std::uint8_t kSectionCustom = 0;
constexpr std::uint8_t kSectionType = 1;
constexpr std::uint8_t kSectionImport = 2;
constexpr std::uint8_t kSectionFunction = 3;
constexpr std::uint8_t kSectionMemory = 5;
constexpr std::uint8_t kSectionExport = 7;

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

void PutU32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  do {
    std::uint8_t b = v & 0x7f;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out.push_back(b);
  } while (v != 0);
}

void PutName(std::vector<std::uint8_t>& out, std::string_view s) {
  PutU32(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

void PutSection(std::vector<std::uint8_t>& out, std::uint8_t id,
                std::span<const std::uint8_t> body) {
  out.push_back(id);
  PutU32(out, static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
}

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

Error Malformed(std::string_view what) {
  return Error(ErrorKind::kBadModule, "malformed WebAssembly module: " + std::string(what));
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
          Import imp;
          imp.module = r.Name();
          imp.name = r.Name();
          std::uint8_t kind = r.Byte();
          switch (kind) {
            case 0: {
              std::uint32_t type_index = r.U32();
              imp.kind = ExternKind::kFunction;
              function_types.push_back(type_index);
              if (types_known && type_index < types.size()) {
                imp.type = types[type_index];
                imp.has_type = true;
              } else if (types_known) {
                return std::unexpected(Malformed("import refers to an undefined type"));
              }
              break;
            }
            case 1:
              imp.kind = ExternKind::kTable;
              ReadValType(r);
              ReadLimits(r);
              break;
            case 2:
              imp.kind = ExternKind::kMemory;
              ReadLimits(r);
              break;
            case 3:
              imp.kind = ExternKind::kGlobal;
              ReadValType(r);
              r.Byte();
              break;
            case 4:
              imp.kind = ExternKind::kTag;
              r.Byte();
              r.U32();
              break;
            default:
              return std::unexpected(Malformed("unknown import kind"));
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
        break;
      }
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

Result<std::vector<std::uint8_t>> CapMemory(std::span<const std::uint8_t> bytes,
                                            std::uint32_t max_pages) {
  std::vector<std::uint8_t> out(bytes.begin(), bytes.begin() + std::min<std::size_t>(8, bytes.size()));
  auto result = ForEachSection(bytes, [&](std::uint8_t id, std::span<const std::uint8_t> body,
                                          std::size_t start, std::size_t end) -> Result<void> {
    if (id == kSectionImport) {
      Reader r(body);
      std::uint32_t n = r.U32();
      for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
        r.Name();
        r.Name();
        std::uint8_t kind = r.Byte();
        if (kind == 2) {
          return std::unexpected(Error(ErrorKind::kBadModule,
                                       "the module imports its memory, which cannot be capped"));
        }
        if (kind == 0) r.U32();
        else if (kind == 1) { ReadValType(r); ReadLimits(r); }
        else if (kind == 3) { ReadValType(r); r.Byte(); }
        else if (kind == 4) { r.Byte(); r.U32(); }
      }
    }
    if (id != kSectionMemory) {
      out.insert(out.end(), bytes.begin() + start, bytes.begin() + end);
      return {};
    }
    Reader r(body);
    std::uint32_t count = r.U32();
    if (count > 1) return std::unexpected(Error(ErrorKind::kBadModule, "the module defines more than one memory"));
    std::vector<std::uint8_t> section;
    PutU32(section, count);
    if (count == 1) {
      Limits l = ReadLimits(r);
      if (!r.ok()) return std::unexpected(Malformed("bad memory section"));
      if (l.flags & 0x02) return std::unexpected(Error(ErrorKind::kBadModule, "shared memories are not supported"));
      if (l.flags & 0x04) return std::unexpected(Error(ErrorKind::kBadModule, "64-bit memories are not supported"));
      if (l.min > max_pages) {
        return std::unexpected(Error(
            ErrorKind::kOutOfMemory,
            "the module's initial memory of " + std::to_string(l.min) +
                " pages is larger than the memory limit of " + std::to_string(max_pages) + " pages"));
      }
      std::uint32_t capped = l.max ? std::min(*l.max, max_pages) : max_pages;
      section.push_back(0x01);
      PutU32(section, l.min);
      PutU32(section, capped);
    }
    PutSection(out, kSectionMemory, section);
    return {};
  });
  if (!result) return std::unexpected(result.error());
  return out;
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
  std::vector<std::uint8_t> out(bytes.begin(), bytes.begin() + std::min<std::size_t>(8, bytes.size()));
  auto result = ForEachSection(bytes, [&](std::uint8_t id, std::span<const std::uint8_t> body,
                                          std::size_t start, std::size_t end) -> Result<void> {
    if (id == kSectionCustom) {
      Reader r(body);
      if (r.Name() == name && r.ok()) return {};
    }
    out.insert(out.end(), bytes.begin() + start, bytes.begin() + end);
    return {};
  });
  if (!result) return std::unexpected(result.error());
  return out;
}

Result<std::vector<std::uint8_t>> RenameImport(std::span<const std::uint8_t> bytes,
                                               std::string_view from_module,
                                               std::string_view from_name,
                                               std::string_view to_module,
                                               std::string_view to_name) {
  std::vector<std::uint8_t> out(bytes.begin(), bytes.begin() + std::min<std::size_t>(8, bytes.size()));
  auto result = ForEachSection(bytes, [&](std::uint8_t id, std::span<const std::uint8_t> body,
                                          std::size_t start, std::size_t end) -> Result<void> {
    if (id != kSectionImport) {
      out.insert(out.end(), bytes.begin() + start, bytes.begin() + end);
      return {};
    }
    Reader r(body);
    std::vector<std::uint8_t> section;
    std::uint32_t n = r.U32();
    PutU32(section, n);
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
      std::string module = r.Name();
      std::string name = r.Name();
      std::size_t desc_start = r.pos();
      std::uint8_t kind = r.Byte();
      if (kind == 0) r.U32();
      else if (kind == 1) { ReadValType(r); ReadLimits(r); }
      else if (kind == 2) ReadLimits(r);
      else if (kind == 3) { ReadValType(r); r.Byte(); }
      else if (kind == 4) { r.Byte(); r.U32(); }
      else return std::unexpected(Malformed("unknown import kind"));
      if (!r.ok()) break;
      bool rename = kind == 0 && module == from_module && name == from_name;
      PutName(section, rename ? to_module : std::string_view(module));
      PutName(section, rename ? to_name : std::string_view(name));
      section.insert(section.end(), body.begin() + desc_start, body.begin() + r.pos());
    }
    if (!r.ok()) return std::unexpected(Malformed("bad import section"));
    PutSection(out, kSectionImport, section);
    return {};
  });
  if (!result) return std::unexpected(result.error());
  return out;
}

}  // namespace kw::wasm
