// The content of one image layer: a tree of directories, files (copied from the host), and
// symbolic links, keyed by absolute path in the image. Building it checks what a container
// runtime would otherwise resolve in surprising ways: an entry below a symlink, a path declared
// twice with different content, a file where a directory is needed.
//
// A layer is described in text, one entry a line ('#' starts a comment, fields are separated by
// blanks, so paths cannot contain any):
//   dir     <path> [mode=0755] [owner=<uid>:<gid>]
//   file    <path> <host file> [mode=<octal>] [owner=<uid>:<gid>]  (mode: the host file's)
//   symlink <path> <target>
//   copy    <host path>          the host path at the same place in the image, with every
//                                symlink met on the way (in the directories or at the end) kept
//                                as a symlink and followed, down to a regular file
//   tree    <path> <host dir>    the host directory's whole content, symlinks kept as they are
// Missing parent directories are created (0755, root). Owners default to 0:0.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/error.h"
#include "image/tar.h"

namespace kw::image {

struct RootFsEntry {
  EntryType type = EntryType::kFile;
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string host_path;  // kFile: where the content comes from (read when the layer is built)
  std::string target;     // kSymlink

  bool operator==(const RootFsEntry&) const = default;
};

struct Owner {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

class RootFs {
 public:
  // Paths are absolute in the image ("/etc/passwd"), normalised (no "." or ".." components).
  Result<void> AddDirectory(const std::string& path, std::uint32_t mode, Owner owner = {});
  // `mode`: the host file's permission bits when absent.
  Result<void> AddFile(const std::string& path, const std::string& host_path,
                       std::optional<std::uint32_t> mode = std::nullopt, Owner owner = {});
  Result<void> AddSymlink(const std::string& path, const std::string& target);
  Result<void> CopyHostPath(const std::string& host_path);
  Result<void> CopyHostTree(const std::string& path, const std::string& host_dir);

  // By path in the image, in byte order: parents before their children.
  const std::map<std::string, RootFsEntry>& entries() const { return entries_; }

 private:
  Result<void> Put(const std::string& path, RootFsEntry entry);
  Result<void> EnsureParents(const std::string& path);

  std::map<std::string, RootFsEntry> entries_;
  std::set<std::string> implicit_;  // directories only made to hold children
};

// Adds the entries of a layer description (see above) to `rootfs`. Errors name the line.
Result<void> AddDescription(RootFs& rootfs, std::string_view description);

}  // namespace kw::image
