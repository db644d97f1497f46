#include "oci/store.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "base/files.h"
#include "base/sha256.h"
#include "net/http_client.h"

namespace kw::oci {
namespace {

namespace fs = std::filesystem;

Result<void> CheckSegments(std::string_view path, std::string_view what) {
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return Fail(ErrorKind::kInvalidArgument,
                  "cannot store '" + std::string(what) +
                      "': its path has an empty, '.' or '..' segment or names no file");
    }
    if (slash == std::string_view::npos) return {};
    start = slash + 1;
  }
}

// A leftover of an interrupted WriteFile: "<name>.tmp-<pid>-<n>".
bool IsTemporary(const std::string& name) {
  const std::size_t tmp = name.rfind(".tmp-");
  if (tmp == std::string::npos) return false;
  const std::string rest = name.substr(tmp + 5);
  return !rest.empty() && std::all_of(rest.begin(), rest.end(),
                                      [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
}

}  // namespace

std::string Store::DefaultRoot() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/kubewarden/store";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.cache/kubewarden/store";
}

Result<std::string> Store::PathFor(const PolicyUri& uri) const {
  std::string relative;
  switch (uri.scheme) {
    case Scheme::kFile:
      return Fail(ErrorKind::kInvalidArgument, "file:// policies are not kept in the store");
    case Scheme::kRegistry: {
      const Reference& ref = *uri.reference;
      relative = ref.registry + "/" + ref.repository;
      if (ref.tag) relative += ":" + *ref.tag;
      if (ref.digest) relative += "@" + *ref.digest;
      break;
    }
    case Scheme::kHttp:
    case Scheme::kHttps: {
      KW_ASSIGN_OR_RETURN(net::HttpUrl url, net::ParseHttpUrl(uri.uri));
      const std::string path = url.target.substr(0, url.target.find('?'));
      relative = url.authority + path;
      break;
    }
  }
  KW_TRY(CheckSegments(relative, uri.uri));
  return root_ + "/" + std::string(SchemeName(uri.scheme)) + "/" + relative;
}

std::optional<std::string> Store::Lookup(const PolicyUri& uri) const {
  auto path = PathFor(uri);
  std::error_code ec;
  if (!path || !fs::is_regular_file(*path, ec)) return std::nullopt;
  return *path;
}

Result<std::string> Store::Put(const PolicyUri& uri, std::string_view module) const {
  KW_ASSIGN_OR_RETURN(std::string path, PathFor(uri));
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) {
    return Fail(ErrorKind::kIo,
                "cannot create the store directory for " + path + ": " + ec.message());
  }
  KW_TRY(WriteFile(path, module));
  return path;
}

Result<void> Store::Remove(const PolicyUri& uri) const {
  KW_ASSIGN_OR_RETURN(std::string path, PathFor(uri));
  std::error_code ec;
  if (!fs::remove(path, ec)) {
    if (ec) return Fail(ErrorKind::kIo, "cannot remove " + path + ": " + ec.message());
    return Fail(ErrorKind::kNotFound, "policy " + uri.uri + " is not in the store");
  }
  // Prune the directories left empty, up to the scheme directory.
  const fs::path stop = fs::path(root_);
  for (fs::path dir = fs::path(path).parent_path();
       dir.has_parent_path() && dir.parent_path() != stop && dir != stop; dir = dir.parent_path()) {
    if (!fs::is_empty(dir, ec) || ec || !fs::remove(dir, ec)) break;
  }
  return {};
}

Result<std::vector<StoredPolicy>> Store::List() const {
  std::vector<StoredPolicy> out;
  for (const char* scheme : {"http", "https", "registry"}) {
    const fs::path base = fs::path(root_) / scheme;
    std::error_code ec;
    if (!fs::is_directory(base, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(base, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec) || IsTemporary(it->path().filename().string())) continue;
      const std::string relative = fs::relative(it->path(), base, ec).generic_string();
      if (ec || relative.find('/') == std::string::npos) continue;  // a file directly under base
      out.push_back({std::string(scheme) + "://" + relative, it->path().string()});
    }
    if (ec)
      return Fail(ErrorKind::kIo, "cannot list the policy store " + root_ + ": " + ec.message());
  }
  std::sort(out.begin(), out.end(),
            [](const StoredPolicy& a, const StoredPolicy& b) { return a.uri < b.uri; });
  return out;
}

Result<StoredPolicy> Store::FindBySha256Prefix(std::string_view prefix) const {
  if (prefix.empty() || prefix.size() > 64 ||
      !std::all_of(prefix.begin(), prefix.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return Fail(ErrorKind::kInvalidArgument,
                "'" + std::string(prefix) + "' is not a SHA-256 prefix (lower-case hex)");
  }
  KW_ASSIGN_OR_RETURN(std::vector<StoredPolicy> all, List());
  std::vector<StoredPolicy> matches;
  for (StoredPolicy& policy : all) {
    auto bytes = ReadModuleFile(policy.path);
    if (!bytes) continue;  // removed meanwhile
    if (Sha256Hex(Sha256(*bytes)).starts_with(prefix)) matches.push_back(std::move(policy));
  }
  if (matches.empty()) {
    return Fail(ErrorKind::kNotFound, "Cannot find policy with uri: " + std::string(prefix));
  }
  if (matches.size() > 1) {
    std::string uris;
    for (const StoredPolicy& match : matches) uris += (uris.empty() ? "" : ", ") + match.uri;
    return Fail(ErrorKind::kInvalidArgument, "multiple policies found with the same prefix " +
                                                 std::string(prefix) + ": " + uris);
  }
  return std::move(matches.front());
}

Result<std::vector<std::uint8_t>> ReadModuleFile(const std::string& path, std::uint64_t max_bytes) {
  return ReadBinaryFile(path, max_bytes, FileTypes::kRegularOnly);
}

}  // namespace kw::oci
