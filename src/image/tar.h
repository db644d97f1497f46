// A writer of POSIX tar archives (ustar, with PAX extended headers for what ustar cannot hold),
// as container image layers need them: directories, regular files and symbolic links, every
// entry with a fixed modification time (the epoch), so that an archive depends only on the
// entries given to it. Hard links, devices and extended attributes are not supported.
//
// The writer streams: headers and contents go to the sink as they are given, so a layer of
// hundreds of MiB never has to be held uncompressed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace kw::image {

enum class EntryType { kDirectory, kFile, kSymlink };

struct TarEntry {
  EntryType type = EntryType::kFile;
  std::string path;           // relative to the archive root, no leading or trailing "/"
  std::uint32_t mode = 0644;  // permission bits, setuid/setgid/sticky included (07777)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t size = 0;    // kFile: the number of content bytes that follow the header
  std::string link_target;   // kSymlink
};

class TarWriter {
 public:
  using Sink = std::function<void(std::string_view)>;
  explicit TarWriter(Sink sink) : sink_(std::move(sink)) {}

  // Starts an entry. For a file, exactly `entry.size` bytes of AddContent must follow before the
  // next entry. kInvalidArgument for a path or target ustar and PAX cannot carry (empty, NUL
  // bytes, "." or ".." components), or when the previous file is incomplete.
  Result<void> Add(const TarEntry& entry);
  // The next piece of the current file's content. kInvalidArgument past the declared size.
  Result<void> AddContent(std::string_view bytes);
  // The end-of-archive marker. kInvalidArgument when the last file is incomplete.
  Result<void> Finish();

 private:
  Result<void> CloseFile();
  void Emit(std::string_view bytes);

  Sink sink_;
  std::uint64_t remaining_ = 0;  // content bytes the current file still needs
  std::uint64_t written_ = 0;    // bytes emitted so far (for the 512-byte padding)
};

}  // namespace kw::image
