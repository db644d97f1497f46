#include "loader/code_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "base/files.h"
#include "base/sha256.h"

namespace kw::loader {
namespace {

constexpr std::string_view kMagic = "KWCODE\r\n";
constexpr std::string_view kSuffix = ".code";
// Offsets in an entry file; see the table in code_cache.h.
constexpr std::size_t kKeyOffset = 16;
constexpr std::size_t kTrailerBytes = 8 + 32;  // value length + checksum
// A temporary file this old belongs to a writer that died before renaming it.
constexpr auto kStaleTemporaryAge = std::chrono::hours(1);

// Keys come from the engine as lower-case hex; anything else (a path separator, "..") is refused
// before it gets near a file name.
bool ValidKey(std::string_view key) {
  return !key.empty() && key.size() <= CodeCacheDirectory::kMaxKeyLength &&
         std::all_of(key.begin(), key.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void PutLittleEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t GetLittleEndian(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= std::uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  }
  return value;
}

// Removes the temporary files of writers that died between writing and renaming.
void RemoveStaleTemporaries(const std::string& dir) {
  std::error_code ec;
  auto now = std::filesystem::file_time_type::clock::now();
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.find(std::string(kSuffix) + ".tmp-") == std::string::npos) continue;
    auto modified = entry.last_write_time(ec);
    if (!ec && now - modified > kStaleTemporaryAge) std::filesystem::remove(entry.path(), ec);
  }
}

}  // namespace

Result<std::shared_ptr<CodeCacheDirectory>> CodeCacheDirectory::Open(const std::string& dir) {
  if (dir.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "the compiled-code cache directory name is empty");
  }
  std::error_code ec;
  bool created = std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Fail(ErrorKind::kIo, "cannot create the compiled-code cache directory " + dir + ": " +
                                    ec.message());
  }
  if (created) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) {
    return Fail(ErrorKind::kIo,
                "cannot use the compiled-code cache directory " + dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Fail(ErrorKind::kInvalidArgument,
                "the compiled-code cache " + dir + " is not a directory");
  }
  // Whoever can write here can make this process run their machine code. Group-writable is
  // accepted: Kubernetes makes volumes group-writable for the pod's fsGroup, which only the
  // pod's own containers share.
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return Fail(ErrorKind::kInvalidArgument,
                "refusing the compiled-code cache directory " + dir +
                    ": it belongs to another user, who could plant code this process would run");
  }
  if ((st.st_mode & S_IWOTH) != 0) {
    return Fail(ErrorKind::kInvalidArgument,
                "refusing the compiled-code cache directory " + dir +
                    ": every user may write to it, and could plant code this process would run");
  }
  bool read_only = ::access(dir.c_str(), W_OK) != 0;
  if (read_only) {
    spdlog::warn("the compiled-code cache directory {} is not writable: its entries are used, "
                 "but modules missing from it are compiled on every start",
                 dir);
  } else {
    RemoveStaleTemporaries(dir);
  }
  return std::shared_ptr<CodeCacheDirectory>(new CodeCacheDirectory(dir, read_only));
}

std::string CodeCacheDirectory::PathOf(std::string_view key) const {
  return dir_ + "/" + std::string(key) + std::string(kSuffix);
}

std::optional<std::vector<std::uint8_t>> CodeCacheDirectory::Get(std::string_view key) {
  if (!ValidKey(key)) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  std::string path = PathOf(key);
  auto reject = [&](std::string_view why) -> std::optional<std::vector<std::uint8_t>> {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("ignoring compiled-code cache entry {}: {}; compiling instead", path, why);
    return std::nullopt;
  };
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return reject(std::strerror(errno));
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  // Not read at all: a FIFO would block, a device could be endless.
  if (!S_ISREG(st.st_mode)) return reject("not a regular file");
  auto content = ReadFile(path, kMaxEntryBytes);
  if (!content) return reject(content.error().message);
  auto value = Decode(key, *content);
  if (!value) return reject(value.error().message);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return std::move(*value);
}

void CodeCacheDirectory::Put(std::string_view key, std::span<const std::uint8_t> value) {
  if (read_only_ || !ValidKey(key)) return;
  std::string path = PathOf(key);
  auto written = WriteFile(path, Encode(key, value));
  if (written) {
    writes_.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("stored {} bytes of compiled code in {}", value.size(), path);
    return;
  }
  // Once is enough: every later module would fail the same way (a full or read-only disk).
  if (write_failures_.fetch_add(1, std::memory_order_relaxed) == 0) {
    spdlog::warn("cannot store compiled code in the cache: {} (modules are still loaded, but "
                 "compiled again on the next start)",
                 written.error().message);
  }
}

CodeCacheDirectory::Stats CodeCacheDirectory::stats() const {
  Stats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.rejected = rejected_.load(std::memory_order_relaxed);
  s.writes = writes_.load(std::memory_order_relaxed);
  s.write_failures = write_failures_.load(std::memory_order_relaxed);
  return s;
}

std::string CodeCacheDirectory::Encode(std::string_view key, std::span<const std::uint8_t> value) {
  Sha256Digest checksum = Sha256(value);
  std::string out;
  out.reserve(kKeyOffset + key.size() + kTrailerBytes + value.size());
  out.append(kMagic);
  PutLittleEndian(out, kFormatVersion, 4);
  PutLittleEndian(out, key.size(), 4);
  out.append(key);
  PutLittleEndian(out, value.size(), 8);
  out.append(reinterpret_cast<const char*>(checksum.data()), checksum.size());
  out.append(reinterpret_cast<const char*>(value.data()), value.size());
  return out;
}

Result<std::vector<std::uint8_t>> CodeCacheDirectory::Decode(std::string_view key,
                                                             std::string_view content) {
  if (content.size() < kKeyOffset || content.substr(0, kMagic.size()) != kMagic) {
    return Fail(ErrorKind::kInvalidArgument, "not a compiled-code cache entry");
  }
  std::uint64_t version = GetLittleEndian(content, kMagic.size(), 4);
  if (version != kFormatVersion) {
    return Fail(ErrorKind::kInvalidArgument, "format version " + std::to_string(version) +
                                                 ", this build reads version " +
                                                 std::to_string(kFormatVersion));
  }
  std::uint64_t key_length = GetLittleEndian(content, 12, 4);
  if (key_length > kMaxKeyLength || content.size() < kKeyOffset + key_length + kTrailerBytes) {
    return Fail(ErrorKind::kInvalidArgument, "truncated");
  }
  if (content.substr(kKeyOffset, key_length) != key) {
    return Fail(ErrorKind::kInvalidArgument, "stored under another key");
  }
  std::size_t value_offset = kKeyOffset + key_length + kTrailerBytes;
  std::uint64_t value_length = GetLittleEndian(content, kKeyOffset + key_length, 8);
  if (value_length != content.size() - value_offset) {
    return Fail(ErrorKind::kInvalidArgument,
                "holds " + std::to_string(content.size() - value_offset) + " bytes of code, " +
                    "its header says " + std::to_string(value_length) + " (truncated?)");
  }
  auto value = std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(content.data()) + value_offset, value_length);
  Sha256Digest checksum = Sha256(value);
  if (std::memcmp(checksum.data(), content.data() + kKeyOffset + key_length + 8, checksum.size()) !=
      0) {
    return Fail(ErrorKind::kInvalidArgument, "checksum mismatch (damaged)");
  }
  return std::vector<std::uint8_t>(value.begin(), value.end());
}

}  // namespace kw::loader
