#include "image/tar.h"

#include <array>
#include <cstring>
#include <fmt/format.h>

namespace kw::image {
namespace {

constexpr std::size_t kBlock = 512;
// ustar's field widths.
constexpr std::size_t kNameField = 100;
constexpr std::size_t kLinkField = 100;
constexpr std::uint64_t kMaxOctal11 = 077777777777ull;  // a 12-byte numeric field

using Header = std::array<char, kBlock>;

void PutString(Header& h, std::size_t offset, std::size_t width, std::string_view value) {
  std::memcpy(h.data() + offset, value.data(), std::min(width, value.size()));
}

// Zero-padded octal, NUL-terminated, filling the field.
void PutOctal(Header& h, std::size_t offset, std::size_t width, std::uint64_t value) {
  std::string digits = fmt::format("{:0{}o}", value, width - 1);
  PutString(h, offset, width - 1, digits);
}

Header MakeHeader(std::string_view name, char type, std::uint32_t mode, std::uint32_t uid,
                  std::uint32_t gid, std::uint64_t size, std::string_view link) {
  Header h{};
  PutString(h, 0, kNameField, name);
  PutOctal(h, 100, 8, mode & 07777);
  PutOctal(h, 108, 8, uid);
  PutOctal(h, 116, 8, gid);
  PutOctal(h, 124, 12, size);
  PutOctal(h, 136, 12, 0);  // mtime: the epoch, for archives that depend on content only
  h[156] = type;
  PutString(h, 157, kLinkField, link);
  PutString(h, 257, 6, std::string_view("ustar\0", 6));
  PutString(h, 263, 2, "00");
  PutOctal(h, 329, 8, 0);  // devmajor
  PutOctal(h, 337, 8, 0);  // devminor
  // The checksum is computed with its own field read as spaces.
  std::memset(h.data() + 148, ' ', 8);
  std::uint32_t sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::string digits = fmt::format("{:06o}", sum);
  PutString(h, 148, 6, digits);
  h[154] = '\0';
  h[155] = ' ';
  return h;
}

// One PAX record: "<length> <key>=<value>\n", the length counting itself.
std::string PaxRecord(std::string_view key, std::string_view value) {
  std::size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
  std::size_t length = body + 1;
  while (std::to_string(length).size() + body != length) ++length;
  return fmt::format("{} {}={}\n", length, key, value);
}

bool FitsUstar(std::string_view text, std::size_t width) {
  if (text.size() > width) return false;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;  // PAX carries UTF-8 exactly
  }
  return true;
}

Result<void> CheckPath(std::string_view path, std::string_view what) {
  if (path.empty() || path.front() == '/' || path.back() == '/') {
    return std::unexpected(
        Error(ErrorKind::kInvalidArgument, fmt::format("invalid tar {} '{}'", what, path)));
  }
  if (path.find('\0') != std::string_view::npos) {
    return std::unexpected(Error(ErrorKind::kInvalidArgument,
                                 fmt::format("tar {} '{}' contains a NUL byte", what, path)));
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return std::unexpected(Error(
          ErrorKind::kInvalidArgument,
          fmt::format("tar {} '{}' has an empty, '.' or '..' component", what, path)));
    }
    start = end + 1;
  }
  return {};
}

}  // namespace

void TarWriter::Emit(std::string_view bytes) {
  sink_(bytes);
  written_ += bytes.size();
}

Result<void> TarWriter::CloseFile() {
  if (remaining_ != 0) {
    return std::unexpected(Error(ErrorKind::kInvalidArgument,
                                 fmt::format("tar: a file is {} bytes short", remaining_)));
  }
  if (std::size_t rest = written_ % kBlock; rest != 0) {
    static const std::array<char, kBlock> kZeros{};
    Emit(std::string_view(kZeros.data(), kBlock - rest));
  }
  return {};
}

Result<void> TarWriter::Add(const TarEntry& entry) {
  if (auto closed = CloseFile(); !closed) return closed;
  if (auto ok = CheckPath(entry.path, "path"); !ok) return ok;
  if (entry.type == EntryType::kSymlink &&
      (entry.link_target.empty() || entry.link_target.find('\0') != std::string::npos)) {
    return std::unexpected(Error(ErrorKind::kInvalidArgument,
                                 fmt::format("invalid symlink target for '{}'", entry.path)));
  }
  std::uint64_t size = entry.type == EntryType::kFile ? entry.size : 0;
  if (size > kMaxOctal11) {
    return std::unexpected(Error(ErrorKind::kInvalidArgument,
                                 fmt::format("'{}' is too large for a tar entry", entry.path)));
  }
  std::string name = entry.type == EntryType::kDirectory ? entry.path + "/" : entry.path;
  char type = entry.type == EntryType::kDirectory ? '5'
              : entry.type == EntryType::kSymlink ? '2'
                                                   : '0';
  std::string pax;
  if (!FitsUstar(name, kNameField)) pax += PaxRecord("path", name);
  if (!FitsUstar(entry.link_target, kLinkField)) pax += PaxRecord("linkpath", entry.link_target);
  if (!pax.empty()) {
    // The extended header's own name is informative only; readers take the record's path.
    std::string pax_name = "PaxHeader/" + name.substr(0, 64);
    for (char& c : pax_name) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '_';
    }
    Header ext = MakeHeader(pax_name, 'x', 0644, 0, 0, pax.size(), "");
    Emit(std::string_view(ext.data(), ext.size()));
    remaining_ = pax.size();
    Emit(pax);
    remaining_ = 0;
    if (auto closed = CloseFile(); !closed) return closed;
  }
  // With a PAX record present, the ustar fields hold a truncated, ASCII-only stand-in.
  auto ascii_prefix = [](std::string_view text, std::size_t width) {
    std::string out(text.substr(0, width));
    for (char& c : out) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '_';
    }
    return out;
  };
  Header h = MakeHeader(ascii_prefix(name, kNameField), type, entry.mode, entry.uid, entry.gid,
                        size, ascii_prefix(entry.link_target, kLinkField));
  Emit(std::string_view(h.data(), h.size()));
  remaining_ = size;
  return {};
}

Result<void> TarWriter::AddContent(std::string_view bytes) {
  if (bytes.size() > remaining_) {
    return std::unexpected(
        Error(ErrorKind::kInvalidArgument, "tar: more content than the entry declared"));
  }
  remaining_ -= bytes.size();
  Emit(bytes);
  return {};
}

Result<void> TarWriter::Finish() {
  if (auto closed = CloseFile(); !closed) return closed;
  static const std::array<char, 2 * kBlock> kEnd{};
  Emit(std::string_view(kEnd.data(), kEnd.size()));
  return {};
}

}  // namespace kw::image
