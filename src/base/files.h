// Whole-file reads and writes, with errors that name the path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace kw {

// Reads the whole file. Fails with kNotFound or kIo, the message naming `path`.
// `max_bytes` caps what we are willing to load (a guard against /dev/zero and friends).
Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes = 1u << 30);
Result<std::vector<std::uint8_t>> ReadBinaryFile(const std::string& path,
                                                 std::size_t max_bytes = 1u << 30);

// Reads all of standard input (same cap).
Result<std::string> ReadStdin(std::size_t max_bytes = 1u << 30);

// Writes `data` to `path` atomically (a temporary file beside it, `<path>.tmp-<pid>-<n>`,
// renamed over it): readers see the old content or the new, never a mix, even with concurrent
// writers. On failure the temporary file is removed.
Result<void> WriteFile(const std::string& path, std::string_view data);

}  // namespace kw
