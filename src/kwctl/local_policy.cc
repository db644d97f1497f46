#include "kwctl/local_policy.h"

#include <algorithm>
#include <filesystem>
#include <regex>

#include "oci/reference.h"

namespace kw::kwctl {
namespace {

namespace fs = std::filesystem;

Error Missing(const std::string& uri) {
  return Error(ErrorKind::kNotFound, "Cannot find policy with uri: " + uri);
}

Result<LocalPolicy> FromUri(const oci::PolicyUri& uri, const oci::Store& store) {
  if (uri.scheme == oci::Scheme::kFile) {
    std::error_code ec;
    if (!fs::is_regular_file(uri.path, ec)) return std::unexpected(Missing(uri.uri));
    return LocalPolicy{.uri = uri.uri, .path = uri.path};
  }
  std::optional<std::string> path = store.Lookup(uri);
  if (!path) return std::unexpected(Missing(uri.uri));
  return LocalPolicy{.uri = uri.uri, .path = *path, .in_store = true};
}

bool IsLowerHex(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

Result<LocalPolicy> ResolveLocalPolicy(const std::string& text, const oci::Store& store) {
  static const std::regex kScheme(R"(^\w+://)");
  if (std::regex_search(text, kScheme)) {
    KW_ASSIGN_OR_RETURN(oci::PolicyUri uri, oci::ParsePolicyUri(text));
    return FromUri(uri, store);
  }
  std::error_code ec;
  if (fs::exists(text, ec)) {
    const fs::path absolute = fs::canonical(text, ec);
    if (ec) return Fail(ErrorKind::kIo, "cannot resolve " + text + ": " + ec.message());
    if (!fs::is_regular_file(absolute, ec)) {
      return Fail(ErrorKind::kInvalidArgument, text + " is not a file");
    }
    return LocalPolicy{.uri = "file://" + absolute.string(), .path = absolute.string()};
  }
  if (IsLowerHex(text)) {
    auto found = store.FindBySha256Prefix(text);
    if (found) return LocalPolicy{.uri = found->uri, .path = found->path, .in_store = true};
    if (found.error().kind != ErrorKind::kNotFound) return std::unexpected(found.error());
  }
  // A bare reference (`ghcr.io/org/policy:v1`) reads as registry://, as upstream's get_uri does.
  if (auto uri = oci::ParsePolicyUri(text); uri && uri->scheme == oci::Scheme::kRegistry) {
    if (auto local = FromUri(*uri, store)) return local;
  }
  return std::unexpected(Missing(text));
}

}  // namespace kw::kwctl
