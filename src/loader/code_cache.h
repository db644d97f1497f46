// The compiled-code cache on disk: an engine::CodeCache over one directory, so that a restart
// of policy-server or another kwctl run loads the machine code of its policies instead of
// compiling them again (policy-server.md §2.5 says what upstream caches; this is our version).
//
// One file per key, `<dir>/<key>.code`:
//
//   offset  size  field
//        0     8  magic "KWCODE\r\n"
//        8     4  format version, little-endian (kFormatVersion)
//       12     4  key length n, little-endian (at most kMaxKeyLength)
//       16     n  the key the entry was stored under
//     16+n     8  value length m, little-endian
//     24+n    32  SHA-256 of the value
//     56+n     m  the value (the engine's serialized code)
//
// Everything in the directory is treated as damaged until proven whole: a missing, truncated,
// oversized or garbage file, a file of another format version, a file renamed from another key
// or whose value does not match its checksum is a miss, never an error, and the engine compiles
// instead (then stores a good entry over it). The checksum guards against accidents only: the
// directory must be writable by this user alone, since what it holds is machine code the
// process will run. Open refuses a directory any user may write to, or that belongs to another
// user (other than root).
//
// Entries are written atomically (a temporary file renamed over the entry), so concurrent
// writers (threads, or processes sharing the directory) leave one whole entry. Nothing is ever
// evicted: keys change with the engine version, so an upgrade leaves old entries unused; delete
// the directory to reclaim them.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"

namespace kw::loader {

class CodeCacheDirectory final : public engine::CodeCache {
 public:
  static constexpr std::uint32_t kFormatVersion = 1;
  static constexpr std::size_t kMaxKeyLength = 128;
  // Larger entries are not read (the compiled code of a 2 MB module is about 3 MB).
  static constexpr std::size_t kMaxEntryBytes = 512u << 20;

  // Opens `dir`, creating it (mode 0700) when missing. Fails (kIo, kInvalidArgument) when it
  // cannot be created or is not a directory this user alone controls; callers then run without
  // a cache. A directory this process cannot write to is used read-only, with a warning.
  static Result<std::shared_ptr<CodeCacheDirectory>> Open(const std::string& dir);

  std::optional<std::vector<std::uint8_t>> Get(std::string_view key) override;
  void Put(std::string_view key, std::span<const std::uint8_t> value) override;

  const std::string& dir() const { return dir_; }
  bool read_only() const { return read_only_; }
  // The file an entry lives in (whether or not it exists).
  std::string PathOf(std::string_view key) const;

  // Counters, for logs and tests.
  struct Stats {
    std::uint64_t hits = 0;      // Get found a whole entry
    std::uint64_t misses = 0;    // Get found no entry
    std::uint64_t rejected = 0;  // Get found an entry and refused it
    std::uint64_t writes = 0;    // Put stored an entry
    std::uint64_t write_failures = 0;
  };
  Stats stats() const;

  // The bytes of an entry file for `value` stored under `key` (exposed for tests).
  static std::string Encode(std::string_view key, std::span<const std::uint8_t> value);

 private:
  CodeCacheDirectory(std::string dir, bool read_only) : dir_(std::move(dir)), read_only_(read_only) {}
  // The value of entry file `content` if it is whole and belongs to `key`, else why not.
  static Result<std::vector<std::uint8_t>> Decode(std::string_view key, std::string_view content);

  std::string dir_;
  bool read_only_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, rejected_{0}, writes_{0}, write_failures_{0};
};

}  // namespace kw::loader
