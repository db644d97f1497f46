// The archives of `kwctl save` and `kwctl load` (tooling.md §1.4): a gzip-compressed tar whose
// entries are regular files named by their store-relative path
// (`registry/ghcr.io/kubewarden/policies/pod-privileged:v0.2.2`) and holding the module bytes,
// as upstream writes them with the tar crate. There is no manifest entry: the paths are the
// index, so the archives of both tools load into each other's store.
//
// Writing uses POSIX ustar headers, with GNU `L` long-name entries for paths that do not fit
// ustar's name/prefix fields (upstream's tar crate writes GNU headers and long names the same
// way). Reading accepts ustar and GNU headers, GNU long names and pax `path` records, skips
// directory entries and refuses every other entry type (links, devices), because `load` writes
// what it reads into the store.
//
// Archives are untrusted input: sizes are checked against what is left of the archive, the
// decompressed size is capped, and names are returned verbatim for the caller to check. Pure
// functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace kw::kwctl {

struct ArchiveEntry {
  std::string name;  // relative path, '/'-separated
  std::string data;
};

// The tar stream of `entries` (uncompressed), ending with the two zero blocks.
std::string WriteTar(const std::vector<ArchiveEntry>& entries);
// The regular-file entries of a tar stream. kInvalidArgument for a malformed or truncated
// stream, or an entry that is neither a regular file nor a directory.
Result<std::vector<ArchiveEntry>> ReadTar(std::string_view tar);

// gzip (RFC 1952) compression of `data`.
Result<std::string> Gzip(std::string_view data);
// Decompresses a gzip stream; kInvalidArgument when it is not gzip, is corrupt, or inflates to
// more than `max_bytes`.
Result<std::string> Gunzip(std::string_view data, std::uint64_t max_bytes);

}  // namespace kw::kwctl
