// trusted-repos (policies.md §19, §1.8, §1.9): restricts container images by registry, tag and
// image name, with exact entries and wildcard patterns.
//
// Rust-origin. Dispatch on request.kind.kind through Extraction R; an unsupported kind, an
// undecodable object or a missing pod spec accepts. Images come from init, ephemeral and regular
// containers (upstream quirk: an init or ephemeral list with any container lacking `image` is
// ignored as a whole). Images that do not parse as references are allowed.
#include <kubewarden/kubewarden.h>

#include <algorithm>

#include "../common/image_reference.h"

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

using kw::WildcardMatch;

using image_reference::IsTag;
using image_reference::ParseReference;
using image_reference::Reference;

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
