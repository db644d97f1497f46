// policies/common/image_reference.h: container image references with the
// docker/OCI reference grammar, its error texts and docker.io normalisation
// (policies.md §1.9), shared by trusted-repos and image-cve-policy.
#ifndef POLICIES_COMMON_IMAGE_REFERENCE_H_
#define POLICIES_COMMON_IMAGE_REFERENCE_H_

#include <algorithm>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace image_reference {

inline bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
inline bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsWord(char c) { return IsAlnum(c) || c == '_'; }
inline bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// [a-z0-9]+ ((?:[._]|__|[-]*)[a-z0-9]+)*
inline bool IsPathComponent(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  std::size_t i = 0;
  while (i < s.size()) {
    if (IsLowerAlnum(s[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && !IsLowerAlnum(s[j])) ++j;
    std::string_view sep = s.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

// [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
inline bool IsDomainComponent(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

// component(\.component)*(:[0-9]+)?
inline bool IsDomain(std::string_view s) {
  std::size_t colon = s.find(':');
  if (colon != std::string_view::npos) {
    std::string_view port = s.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), IsDigit)) return false;
    s = s.substr(0, colon);
  }
  while (true) {
    std::size_t dot = s.find('.');
    if (!IsDomainComponent(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s = s.substr(dot + 1);
  }
}

inline bool IsName(std::string_view name) {
  std::size_t slash = name.find('/');
  std::string_view first = name.substr(0, slash);
  bool first_ok = slash != std::string_view::npos && IsDomain(first);
  if (!first_ok && !IsPathComponent(first)) return false;
  while (slash != std::string_view::npos) {
    name = name.substr(slash + 1);
    slash = name.find('/');
    if (!IsPathComponent(name.substr(0, slash))) return false;
  }
  return true;
}

// [\w][\w.-]{0,127}
inline bool IsTag(std::string_view s) {
  if (s.empty() || s.size() > 128 || !IsWord(s[0])) return false;
  for (char c : s) {
    if (!IsWord(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[[:xdigit:]]{32,}
inline bool IsDigest(std::string_view s) {
  std::size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view algorithm = s.substr(0, colon), hex = s.substr(colon + 1);
  if (hex.size() < 32 || !std::all_of(hex.begin(), hex.end(), IsHex)) return false;
  bool need_letter = true;
  for (char c : algorithm) {
    bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (need_letter) {
      if (!letter) return false;
      need_letter = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      need_letter = true;
    } else if (!IsAlnum(c)) {
      return false;
    }
  }
  return !need_letter;
}

struct Reference {
  std::string registry;
  std::string repository;
  std::optional<std::string> tag;
  std::optional<std::string> digest;

  std::string Whole() const {
    std::string out = registry + "/" + repository;
    if (tag) out.append(":").append(*tag);
    if (digest) out.append("@").append(*digest);
    return out;
  }
  bool operator==(const Reference &) const = default;
};

inline std::expected<Reference, std::string> ParseReference(std::string_view s) {
  if (s.empty()) return std::unexpected("repository name must have at least one component");
  std::string_view rest = s;
  std::optional<std::string_view> digest, tag;
  std::size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!IsDigest(*digest)) return std::unexpected("invalid reference format");
  }
  std::size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      rest.substr(colon + 1).find('/') == std::string_view::npos) {
    tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (!IsTag(*tag)) return std::unexpected("invalid reference format");
  }
  if (!IsName(rest)) return std::unexpected("invalid reference format");

  Reference ref;
  std::size_t slash = rest.find('/');
  std::string_view first = rest.substr(0, slash);
  if (slash == std::string_view::npos ||
      (first.find_first_of(".:") == std::string_view::npos && first != "localhost")) {
    ref.registry = "docker.io";
    ref.repository = std::string(rest);
  } else {
    ref.registry = std::string(first);
    ref.repository = std::string(rest.substr(slash + 1));
  }
  if (ref.registry == "index.docker.io") ref.registry = "docker.io";
  if (ref.registry == "docker.io" && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  for (char &c : ref.registry) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (tag) ref.tag = std::string(*tag);
  if (digest) ref.digest = std::string(*digest);
  if (!tag && !digest) ref.tag = "latest";
  if (ref.repository.size() > 255) {
    return std::unexpected("repository name must not be more than 255 characters");
  }
  if (digest) {
    std::size_t c = digest->find(':');
    if (c == std::string_view::npos) return std::unexpected("invalid checksum digest format");
    std::string_view algorithm = digest->substr(0, c);
    std::size_t hex = digest->size() - c - 1;
    std::size_t want = algorithm == "sha256"   ? 64
                       : algorithm == "sha384" ? 96
                       : algorithm == "sha512" ? 128
                                               : 0;
    if (want == 0) return std::unexpected("unsupported digest algorithm");
    if (hex != want) return std::unexpected("invalid checksum digest length");
  }
  return ref;
}

}  // namespace image_reference

#endif  // POLICIES_COMMON_IMAGE_REFERENCE_H_
