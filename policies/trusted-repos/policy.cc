// trusted-repos (policies.md §19, §1.8, §1.9): restricts container images by registry, tag and
// image name, with exact entries and wildcard patterns.
//
// Rust-origin. Dispatch on request.kind.kind through Extraction R; an unsupported kind, an
// undecodable object or a missing pod spec accepts. Images come from init, ephemeral and regular
// containers (upstream quirk: an init or ephemeral list with any container lacking `image` is
// ignored as a whole). Images that do not parse as references are allowed.
#include <kubewarden/kubewarden.h>

#include <algorithm>

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

using kw::WildcardMatch;

// ---------------------------------------------------------------- references (§1.9)

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWord(char c) { return IsAlnum(c) || c == '_'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// [a-z0-9]+ ((?:[._]|__|[-]*)[a-z0-9]+)*
bool IsPathComponent(std::string_view s) {
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
bool IsDomainComponent(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

// component(\.component)*(:[0-9]+)?
bool IsDomain(std::string_view s) {
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

bool IsName(std::string_view name) {
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
bool IsTag(std::string_view s) {
  if (s.empty() || s.size() > 128 || !IsWord(s[0])) return false;
  for (char c : s) {
    if (!IsWord(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[[:xdigit:]]{32,}
bool IsDigest(std::string_view s) {
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
  bool operator==(const Reference&) const = default;
};

std::expected<Reference, std::string> ParseReference(std::string_view s) {
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
  for (char& c : ref.registry) {
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

// ---------------------------------------------------------------- settings

struct ImageEntry {
  std::string_view raw;
  std::optional<Reference> exact;  // nullopt: a wildcard pattern
};

struct Settings {
  std::vector<std::string_view> registries_allow, registries_reject, tags_reject;
  std::vector<ImageEntry> images_allow, images_reject;
};

std::vector<ImageEntry> ReadImages(kw::SettingsReader& reader, std::string_view key) {
  std::vector<ImageEntry> out;
  for (std::string_view raw : reader.StringList(key)) {
    ImageEntry entry{raw, std::nullopt};
    if (!kw::IsWildcardPattern(raw)) {
      auto ref = ParseReference(raw);
      if (!ref) {
        reader.Fail(key, ref.error());
        continue;
      }
      entry.exact = std::move(*ref);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

// A defaulted struct field: absent -> default, null -> serde's type error.
std::optional<kw::SettingsReader> ReadStruct(kw::SettingsReader& reader, std::string_view key,
                                             std::string_view name) {
  const kw::json::Value* raw = reader.Raw(key);
  if (raw != nullptr && raw->IsNull()) {
    reader.Fail(key, kw::serde::InvalidType(*raw, "struct " + std::string(name)));
  }
  return reader.Struct(key, name);
}

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  if (auto r = ReadStruct(reader, "registries", "Registries")) {
    settings.registries_allow = r->StringList("allow");
    settings.registries_reject = r->StringList("reject");
  }
  if (auto r = ReadStruct(reader, "tags", "Tags")) {
    settings.tags_reject = r->StringList("reject");
  }
  if (auto r = ReadStruct(reader, "images", "Images")) {
    settings.images_allow = ReadImages(*r, "allow");
    settings.images_reject = ReadImages(*r, "reject");
  }
  if (!reader.ok()) return reader.error();

  std::vector<std::string> problems;
  if (!settings.registries_allow.empty() && !settings.registries_reject.empty()) {
    problems.emplace_back("only one of registries allow or reject can be provided");
  }
  if (!settings.images_allow.empty() && !settings.images_reject.empty()) {
    problems.emplace_back("only one of images allow or reject can be provided");
  }
  std::vector<std::string_view> bad_tags;
  for (std::string_view tag : settings.tags_reject) {
    if (tag.empty() || (!kw::IsWildcardPattern(tag) && !IsTag(tag))) bad_tags.push_back(tag);
  }
  if (!bad_tags.empty()) {
    problems.push_back("tags " + kw::RustList(bad_tags) +
                       " are invalid, they must be valid OCI tags or wildcard patterns");
  }
  if (problems.empty()) return std::nullopt;
  std::string out;
  for (const std::string& p : problems) {
    if (!out.empty()) out.append(", ");
    out.append(p);
  }
  return out;
}

// ---------------------------------------------------------------- validation

bool EntryMatches(std::string_view entry, std::string_view value) {
  return kw::PatternOrLiteralMatches(entry, value);
}

bool AnyEntryMatches(const std::vector<std::string_view>& entries, std::string_view value) {
  return std::any_of(entries.begin(), entries.end(),
                     [value](std::string_view e) { return EntryMatches(e, value); });
}

bool ImageMatches(const ImageEntry& entry, const Reference& ref) {
  if (entry.exact) {
    if (*entry.exact == ref) return true;
    auto by_repository = ParseReference(ref.repository);
    if (by_repository && *entry.exact == *by_repository) return true;
    auto by_name = ParseReference(ref.registry + "/" + ref.repository);
    return by_name && *entry.exact == *by_name;
  }
  if (WildcardMatch(entry.raw, ref.Whole())) return true;
  if (entry.raw.find_first_of(":@") != std::string_view::npos) return false;
  return WildcardMatch(entry.raw, ref.registry + "/" + ref.repository) ||
         WildcardMatch(entry.raw, ref.repository);
}

bool AnyImageMatches(const std::vector<ImageEntry>& entries, const Reference& ref) {
  return std::any_of(entries.begin(), entries.end(),
                     [&ref](const ImageEntry& e) { return ImageMatches(e, ref); });
}

void AppendPart(std::string& out, std::string_view title, std::vector<std::string>& items) {
  if (items.empty()) return;
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  if (out.size() > std::string_view("not allowed, reported errors: ").size()) out.append("; ");
  out.append(title);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(items[i]);
  }
}

kw::ValidationResponse Validate(kw::ValidationRequest& request, const Settings& settings) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec || *spec == nullptr) return kw::Accept();
  const kw::json::Value& pod_spec = **spec;

  std::vector<std::string_view> images;
  for (ContainerList list : {ContainerList::kInitContainers, ContainerList::kEphemeralContainers,
                             ContainerList::kContainers}) {
    std::vector<std::string_view> found;
    bool all_have_image = true;
    for (const kw::json::Value& container : kw::k8s::Containers(pod_spec, list)) {
      const kw::json::Value* image = container.Find("image");
      std::optional<std::string_view> s = image ? image->AsString() : std::nullopt;
      if (s) {
        found.push_back(*s);
      } else {
        all_have_image = false;
      }
    }
    if (!all_have_image && list != ContainerList::kContainers) continue;
    images.insert(images.end(), found.begin(), found.end());
  }
  kw::SortUnique(images);

  std::vector<std::string> registries, tags, rejected;
  for (std::string_view s : images) {
    auto ref = ParseReference(s);
    if (!ref) continue;
    if (!settings.registries_reject.empty() &&
        AnyEntryMatches(settings.registries_reject, ref->registry)) {
      registries.push_back(ref->registry);
    }
    if (!settings.registries_allow.empty() &&
        !AnyEntryMatches(settings.registries_allow, ref->registry)) {
      registries.push_back(ref->registry);
    }
    std::string_view tag = ref->tag ? std::string_view(*ref->tag) : std::string_view("latest");
    if (!settings.tags_reject.empty() && AnyEntryMatches(settings.tags_reject, tag)) {
      tags.emplace_back(tag);
    }
    if (!settings.images_reject.empty() && AnyImageMatches(settings.images_reject, *ref)) {
      rejected.emplace_back(s);
    }
    if (!settings.images_allow.empty() && !AnyImageMatches(settings.images_allow, *ref)) {
      rejected.emplace_back(s);
    }
  }
  if (registries.empty() && tags.empty() && rejected.empty()) return kw::Accept();
  std::string message = "not allowed, reported errors: ";
  AppendPart(message, "registries not allowed: ", registries);
  AppendPart(message, "tags not allowed: ", tags);
  AppendPart(message, "images not allowed: ", rejected);
  return kw::Reject(message);
}

}  // namespace

KUBEWARDEN_POLICY_WITH_SETTINGS(Settings, ReadSettings, Validate)
