// Whole-file reads and writes, with errors that name the path.
//
// Every read has a cap, because every file we read may be hostile or mistaken: a 60 MB
// "settings" file, `/dev/zero` as a module. A regular file over the cap is refused before a
// byte is read ("policies.yml is 62.0 MiB, more than the 4 MiB limit"); a pipe or device is read
// up to the cap and no further, so a read never costs more memory than its cap.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace kw {

// The cap on what people and controllers write by hand or by template: policies.yml, settings
// files, sources.yaml, docker's config.json, verification configs and Sigstore trust roots,
// policy CRs, metadata.yml, kwctl's request files. policies.yml with hundreds of policies is a
// few hundred KiB, and Kubernetes keeps a ConfigMap under about 1 MiB, so 4 MiB is generous; it
// keeps a parse cheap (see yaml.h). A request is at most 2 MiB for policy-server.
inline constexpr std::size_t kMaxConfigFileBytes = 4u << 20;

// What a read accepts besides regular files.
enum class FileTypes {
  // Also pipes and devices, read up to the cap: `--settings-path <(...)`, /dev/stdin.
  kAnyReadable,
  // Regular files only: a FIFO, device, socket or directory is refused without reading it (and
  // without waiting for a FIFO's writer). For inputs that are never streamed, such as modules.
  kRegularOnly,
};

// Reads the whole file, at most `max_bytes` of it. Errors name `path`: kNotFound when it does
// not exist; kInvalidArgument for a directory, a file type that `types` refuses, or a file
// over the cap; kIo when the system fails.
Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes = 1u << 30,
                             FileTypes types = FileTypes::kAnyReadable);
Result<std::vector<std::uint8_t>> ReadBinaryFile(const std::string& path,
                                                 std::size_t max_bytes = 1u << 30,
                                                 FileTypes types = FileTypes::kAnyReadable);

// ReadFile with kMaxConfigFileBytes: the one way configuration files are read.
Result<std::string> ReadConfigFile(const std::string& path);

// Reads all of standard input (same cap).
Result<std::string> ReadStdin(std::size_t max_bytes = 1u << 30);

// "<what> is 62.0 MiB, more than the 4 MiB limit": for every input refused for its size.
Error TooLarge(std::string_view what, std::uint64_t size, std::uint64_t limit);

// Writes `data` to `path` atomically (a temporary file beside it, `<path>.tmp-<pid>-<n>`,
// renamed over it): readers see the old content or the new, never a mix, even with concurrent
// writers. On failure the temporary file is removed.
Result<void> WriteFile(const std::string& path, std::string_view data);

// What a path resolves to now: a file counts as changed when this differs from when it was read
// (replaced, rewritten, or touched). Sub-second times, so a rewrite within the same second shows.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t modified_ns = 0;
  std::int64_t changed_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

// nullopt while the path resolves to nothing (mid-replacement, say).
std::optional<FileIdentity> IdentifyFile(const std::string& path);

}  // namespace kw
