#include "kwctl/archive.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <optional>

namespace kw::kwctl {
namespace {

constexpr std::size_t kBlock = 512;
constexpr std::size_t kNameSize = 100;
constexpr std::size_t kPrefixSize = 155;
constexpr std::size_t kNameOffset = 0, kModeOffset = 100, kUidOffset = 108, kGidOffset = 116,
                      kSizeOffset = 124, kMtimeOffset = 136, kChecksumOffset = 148,
                      kTypeOffset = 156, kMagicOffset = 257, kPrefixOffset = 345;
constexpr std::string_view kGnuLongLinkName = "././@LongLink";
// zlib: 15 window bits, +16 for a gzip wrapper, +32 to accept zlib or gzip when inflating.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kAutoWindowBits = 15 + 32;

using Block = std::array<char, kBlock>;

void PutOctal(Block& block, std::size_t offset, std::size_t width, std::uint64_t value) {
  // width-1 digits and a NUL terminator, as ustar writers do.
  std::string digits(width - 1, '0');
  for (std::size_t i = width - 1; i-- > 0 && value != 0; value >>= 3) {
    digits[i] = static_cast<char>('0' + (value & 7));
  }
  std::memcpy(block.data() + offset, digits.data(), digits.size());
  block[offset + width - 1] = '\0';
}

unsigned HeaderChecksum(const char* header) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    const bool in_field = i >= kChecksumOffset && i < kChecksumOffset + 8;
    sum += in_field ? ' ' : static_cast<unsigned char>(header[i]);
  }
  return sum;
}

Block Header(std::string_view name, std::string_view prefix, char type, std::uint64_t size) {
  Block block{};
  // string_view::copy, not memcpy: an empty view's data() may be null.
  name.copy(block.data() + kNameOffset, kNameSize);
  PutOctal(block, kModeOffset, 8, 0644);
  PutOctal(block, kUidOffset, 8, 0);
  PutOctal(block, kGidOffset, 8, 0);
  PutOctal(block, kSizeOffset, 12, size);
  // A fixed mtime keeps archives of the same store byte-identical.
  PutOctal(block, kMtimeOffset, 12, 0);
  block[kTypeOffset] = type;
  std::memcpy(block.data() + kMagicOffset,
              "ustar\0"
              "00",
              8);
  prefix.copy(block.data() + kPrefixOffset, kPrefixSize);
  const unsigned sum = HeaderChecksum(block.data());
  PutOctal(block, kChecksumOffset, 7, sum);
  block[kChecksumOffset + 7] = ' ';
  return block;
}

void AppendData(std::string& out, std::string_view data) {
  out.append(data);
  out.append((kBlock - data.size() % kBlock) % kBlock, '\0');
}

// Splits `name` into ustar's prefix and name fields, when it fits them.
std::optional<std::pair<std::string_view, std::string_view>> SplitUstar(std::string_view name) {
  if (name.size() <= kNameSize) return std::pair{std::string_view(), name};
  for (std::size_t slash = name.find('/'); slash != std::string_view::npos;
       slash = name.find('/', slash + 1)) {
    const std::string_view prefix = name.substr(0, slash), rest = name.substr(slash + 1);
    if (prefix.size() <= kPrefixSize && !rest.empty() && rest.size() <= kNameSize) {
      return std::pair{prefix, rest};
    }
  }
  return std::nullopt;
}

// A NUL-terminated (or full-width) header field.
std::string Field(const char* header, std::size_t offset, std::size_t width) {
  const char* begin = header + offset;
  return std::string(begin, std::find(begin, begin + width, '\0'));
}

std::optional<std::uint64_t> ParseOctal(const char* header, std::size_t offset, std::size_t width) {
  std::uint64_t value = 0;
  bool any = false;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = header[offset + i];
    if (c == '\0' || c == ' ') {
      if (any) break;
      continue;
    }
    if (c < '0' || c > '7' || value > (UINT64_MAX >> 3)) return std::nullopt;
    value = value * 8 + static_cast<std::uint64_t>(c - '0');
    any = true;
  }
  if (!any) return std::nullopt;
  return value;
}

// The `path` record of a pax extended header ("<len> key=value\n" records), if any.
Result<std::optional<std::string>> PaxPath(std::string_view records) {
  std::optional<std::string> path;
  while (!records.empty()) {
    const std::size_t space = records.find(' ');
    std::size_t length = 0;
    if (space == std::string_view::npos || space == 0) {
      return Fail(ErrorKind::kInvalidArgument, "malformed pax header in the archive");
    }
    for (char c : records.substr(0, space)) {
      if (c < '0' || c > '9' || length > records.size()) {
        return Fail(ErrorKind::kInvalidArgument, "malformed pax header in the archive");
      }
      length = length * 10 + static_cast<std::size_t>(c - '0');
    }
    if (length <= space + 1 || length > records.size() || records[length - 1] != '\n') {
      return Fail(ErrorKind::kInvalidArgument, "malformed pax header in the archive");
    }
    const std::string_view record = records.substr(space + 1, length - space - 2);
    if (record.starts_with("path=")) path = std::string(record.substr(5));
    records.remove_prefix(length);
  }
  return path;
}

}  // namespace

std::string WriteTar(const std::vector<ArchiveEntry>& entries) {
  std::string out;
  for (const ArchiveEntry& entry : entries) {
    auto split = SplitUstar(entry.name);
    if (!split) {
      const std::string long_name = entry.name + '\0';
      const Block link = Header(kGnuLongLinkName, "", 'L', long_name.size());
      out.append(link.data(), link.size());
      AppendData(out, long_name);
      split = std::pair{std::string_view(), std::string_view(entry.name).substr(0, kNameSize)};
    }
    const Block header = Header(split->second, split->first, '0', entry.data.size());
    out.append(header.data(), header.size());
    AppendData(out, entry.data);
  }
  out.append(2 * kBlock, '\0');
  return out;
}

Result<std::vector<ArchiveEntry>> ReadTar(std::string_view tar) {
  std::vector<ArchiveEntry> entries;
  std::optional<std::string> long_name;
  std::size_t offset = 0;
  while (true) {
    if (tar.size() - offset < kBlock) {
      return Fail(ErrorKind::kInvalidArgument, "truncated archive: no end-of-archive marker");
    }
    const char* header = tar.data() + offset;
    if (std::all_of(header, header + kBlock, [](char c) { return c == '\0'; })) break;
    const auto checksum = ParseOctal(header, kChecksumOffset, 8);
    if (!checksum || *checksum != HeaderChecksum(header)) {
      return Fail(ErrorKind::kInvalidArgument,
                  "not a tar archive (bad header checksum at byte " + std::to_string(offset) + ")");
    }
    const auto size = ParseOctal(header, kSizeOffset, 12);
    const std::size_t data_offset = offset + kBlock;
    if (!size || *size > tar.size() - data_offset) {
      return Fail(ErrorKind::kInvalidArgument,
                  "truncated archive: an entry is larger than what "
                  "is left of the archive");
    }
    const std::string_view data = tar.substr(data_offset, *size);
    offset = data_offset + (*size + kBlock - 1) / kBlock * kBlock;
    offset = std::min(offset, tar.size());

    const char type = header[kTypeOffset];
    std::string name = Field(header, kNameOffset, kNameSize);
    // Only POSIX ustar headers have a prefix field; GNU headers keep other data there.
    if (std::memcmp(header + kMagicOffset, "ustar\0", 6) == 0) {
      const std::string prefix = Field(header, kPrefixOffset, kPrefixSize);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    switch (type) {
      case 'L':
        long_name = std::string(data.substr(0, data.find('\0')));
        continue;
      case 'x': {
        KW_ASSIGN_OR_RETURN(std::optional<std::string> path, PaxPath(data));
        if (path) long_name = std::move(path);
        continue;
      }
      case 'g':  // pax global header: nothing we use
        continue;
      case '5':  // directories are implied by the file paths
        long_name.reset();
        continue;
      case '0':
      case '\0':
        entries.push_back({long_name ? std::move(*long_name) : std::move(name), std::string(data)});
        long_name.reset();
        continue;
      default:
        return Fail(ErrorKind::kInvalidArgument,
                    "archive entry '" + (long_name ? *long_name : name) +
                        "' is not a regular file (tar type '" + std::string(1, type) + "')");
    }
  }
  return entries;
}

Result<std::string> Gzip(std::string_view data) {
  // One deflate call takes at most 4 GiB (zlib's uInt counts).
  if (data.size() > std::numeric_limits<uInt>::max()) {
    return Fail(ErrorKind::kInvalidArgument, "cannot compress more than 4 GiB in one archive");
  }
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return Fail(ErrorKind::kInternal, "cannot initialise zlib");
  }
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) return Fail(ErrorKind::kInternal, "gzip compression failed");
  return out;
}

Result<std::string> Gunzip(std::string_view data, std::uint64_t max_bytes) {
  if (data.size() > std::numeric_limits<uInt>::max()) {
    return Fail(ErrorKind::kInvalidArgument, "archive is larger than 4 GiB");
  }
  z_stream stream{};
  if (inflateInit2(&stream, kAutoWindowBits) != Z_OK) {
    return Fail(ErrorKind::kInternal, "cannot initialise zlib");
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  std::array<char, 64 * 1024> chunk;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&stream);
      return Fail(ErrorKind::kInvalidArgument, std::string("not a gzip archive or corrupt (") +
                                                   (stream.msg ? stream.msg : "truncated") + ")");
    }
    out.append(chunk.data(), chunk.size() - stream.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&stream);
      return Fail(
          ErrorKind::kInvalidArgument,
          "archive is larger than " + std::to_string(max_bytes) + " bytes once decompressed");
    }
  }
  inflateEnd(&stream);
  return out;
}

}  // namespace kw::kwctl
