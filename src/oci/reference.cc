#include "oci/reference.h"

#include <algorithm>
#include <cctype>

#include "net/http_client.h"

namespace kw::oci {
namespace {

constexpr std::size_t kMaxNameLength = 255;  // distribution's NameTotalLengthMax

Result<Reference> Invalid(std::string_view text, std::string_view why) {
  return Fail(ErrorKind::kInvalidArgument,
              "invalid OCI reference '" + std::string(text) + "': " + std::string(why));
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsWord(char c) { return IsAlnum(c) || c == '_'; }

// [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
bool IsPathComponent(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (std::size_t i = 0; i < s.size();) {
    if (IsLowerAlnum(s[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && !IsLowerAlnum(s[j])) ++j;
    const std::string_view sep = s.substr(i, j - i);
    const bool dashes = std::all_of(sep.begin(), sep.end(), [](char c) { return c == '-'; });
    if (sep != "." && sep != "_" && sep != "__" && !dashes) return false;
    i = j;
  }
  return true;
}

// host (DNS labels or a bracketed IPv6 address) with an optional :port.
bool IsDomain(std::string_view s) {
  std::string_view host = s;
  std::string_view port;
  if (s.starts_with('[')) {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : s.substr(1, close - 1)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    }
    const std::string_view after = s.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return false;
    if (!after.empty()) port = after.substr(1);
    if (!after.empty() && port.empty()) return false;
    host = {};
  } else if (const std::size_t colon = s.find(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (port.empty()) return false;
  }
  if (!port.empty() && (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        }))) {
    return false;
  }
  if (s.starts_with('[')) return true;
  if (host.empty()) return false;
  std::size_t start = 0;
  while (start <= host.size()) {
    const std::size_t dot = host.find('.', start);
    const std::string_view label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || !IsAlnum(label.front()) || !IsAlnum(label.back()) ||
        !std::all_of(label.begin(), label.end(), [](char c) { return IsAlnum(c) || c == '-'; })) {
      return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// [\w][\w.-]{0,127}
bool IsTag(std::string_view s) {
  return !s.empty() && s.size() <= 128 && IsWord(s.front()) &&
         std::all_of(s.begin(), s.end(), [](char c) { return IsWord(c) || c == '.' || c == '-'; });
}

}  // namespace

bool IsValidDigest(std::string_view digest) {
  std::size_t hex_length = 0;
  if (digest.starts_with("sha256:")) {
    hex_length = 64;
  } else if (digest.starts_with("sha512:")) {
    hex_length = 128;
  } else {
    return false;
  }
  const std::string_view hex = digest.substr(7);
  return hex.size() == hex_length && std::all_of(hex.begin(), hex.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Reference::Whole() const {
  std::string out = registry + "/" + repository;
  if (tag) out += ":" + *tag;
  if (digest) out += "@" + *digest;
  return out;
}

std::string Reference::TagOrDigest() const { return digest ? *digest : tag.value_or("latest"); }

std::string Reference::ApiHost() const {
  return registry == kDockerHubRegistry ? std::string(kDockerHubApiHost) : registry;
}

Result<Reference> ParseReference(std::string_view text) {
  if (text.empty()) return Invalid(text, "it is empty");
  Reference ref;
  std::string_view name = text;
  if (const std::size_t at = name.find('@'); at != std::string_view::npos) {
    const std::string_view digest = name.substr(at + 1);
    if (!IsValidDigest(digest)) {
      return Invalid(text, "the digest must be sha256:<64 hex digits> or sha512:<128 hex digits>");
    }
    ref.digest = std::string(digest);
    name = name.substr(0, at);
  }
  // The tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
  const std::size_t slash = name.rfind('/');
  const std::size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    const std::string_view tag = name.substr(colon + 1);
    if (!IsTag(tag)) {
      return Invalid(text, "the tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    }
    ref.tag = std::string(tag);
    name = name.substr(0, colon);
  }
  if (name.empty()) return Invalid(text, "the repository name is missing");
  // As docker: the first component is a registry when it looks like a host (a dot, a port, or
  // "localhost", or upper-case letters, which repositories cannot have).
  const std::size_t first_slash = name.find('/');
  std::string_view path = name;
  if (first_slash != std::string_view::npos) {
    const std::string_view first = name.substr(0, first_slash);
    const bool has_upper =
        std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
        first.starts_with('[') || has_upper) {
      if (!IsDomain(first))
        return Invalid(text, "'" + std::string(first) + "' is not a valid registry host");
      ref.registry = std::string(first);
      path = name.substr(first_slash + 1);
    }
  }
  if (ref.registry.empty() || ref.registry == "index.docker.io") {
    ref.registry = std::string(kDockerHubRegistry);
  }
  if (path.empty()) return Invalid(text, "the repository name is missing");
  std::size_t start = 0;
  while (true) {
    const std::size_t next = path.find('/', start);
    const std::string_view component =
        path.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start);
    if (!IsPathComponent(component)) {
      return Invalid(text, "'" + std::string(component) +
                               "' is not a valid repository path component (lower-case letters, "
                               "digits and single separators . _ __ - only)");
    }
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  ref.repository = std::string(path);
  if (ref.registry == kDockerHubRegistry && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  if (ref.registry.size() + 1 + ref.repository.size() > kMaxNameLength) {
    return Invalid(text, "the name is longer than 255 characters");
  }
  if (!ref.tag && !ref.digest) ref.tag = "latest";
  return ref;
}

std::string_view SchemeName(Scheme scheme) {
  switch (scheme) {
    case Scheme::kRegistry:
      return "registry";
    case Scheme::kHttps:
      return "https";
    case Scheme::kHttp:
      return "http";
    case Scheme::kFile:
      return "file";
  }
  return "unknown";
}

Result<PolicyUri> ParsePolicyUri(std::string_view text) {
  PolicyUri out;
  const auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid policy URI '" + std::string(text) + "': " + std::string(why));
  };
  if (text.find_first_of(std::string_view(" \t\r\n\0", 5)) != std::string_view::npos) {
    return invalid("blanks and control characters are not allowed");
  }
  const std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    // A bare reference (upstream's parse_url: no scheme means registry).
    KW_ASSIGN_OR_RETURN(Reference ref, ParseReference(text));
    out.uri = "registry://" + ref.Whole();
    out.reference = std::move(ref);
    return out;
  }
  const std::string_view scheme = text.substr(0, scheme_end);
  const std::string_view rest = text.substr(scheme_end + 3);
  if (scheme == "registry") {
    KW_ASSIGN_OR_RETURN(Reference ref, ParseReference(rest));
    out.uri = "registry://" + ref.Whole();
    out.reference = std::move(ref);
  } else if (scheme == "https" || scheme == "http") {
    out.scheme = scheme == "https" ? Scheme::kHttps : Scheme::kHttp;
    const std::size_t host_end = rest.find_first_of("/?#");
    if (host_end == 0 || rest.empty()) return invalid("the host is missing");
    if (auto url = net::ParseHttpUrl(text); !url) return std::unexpected(url.error());
    out.uri = std::string(text);
  } else if (scheme == "file") {
    out.scheme = Scheme::kFile;
    if (!rest.starts_with('/')) return invalid("file:// must be followed by an absolute path");
    out.path = std::string(rest);
    out.uri = std::string(text);
  } else {
    return invalid("unknown scheme '" + std::string(scheme) +
                   "' (registry, https, http and file are supported)");
  }
  return out;
}

}  // namespace kw::oci
