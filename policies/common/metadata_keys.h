// policies/common/metadata_keys.h: what labels (policies-more.md §4) and annotations (§3) share
// on top of the criteria engine (criteria.h): their settings (the §1.2 shape, no empty list,
// every value a valid key) and their verdict over the keys of one metadata map.
#ifndef POLICIES_COMMON_METADATA_KEYS_H_
#define POLICIES_COMMON_METADATA_KEYS_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <kubewarden/kubewarden.h>

#include "criteria.h"

namespace metadata_keys {

namespace kw = kubewarden;

// Whether `key` is a qualified Kubernetes key: an optional DNS-subdomain prefix and "/", then a
// name of [A-Za-z0-9_.-] that starts and ends alphanumeric. The regular expression of both
// policies' settings validation, without the labels' length limits (they check those first).
inline bool IsQualifiedKey(std::string_view key) {
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  auto alnum = [&](char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); };
  std::size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    key.remove_prefix(slash + 1);
    // Dot-separated DNS labels: [a-z0-9] at both ends, '-' inside.
    std::size_t start = 0;
    while (true) {
      std::size_t dot = prefix.find('.', start);
      std::string_view label =
          prefix.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (label.empty() || !lower_alnum(label.front()) || !lower_alnum(label.back())) return false;
      for (char c : label) {
        if (!lower_alnum(c) && c != '-') return false;
      }
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (key.empty() || !alnum(key.front()) || !alnum(key.back())) return false;
  for (char c : key) {
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

// Decodes the settings into `out`; returns the message that makes them invalid. `noun` is the
// resource word ("label"); `invalid_note(key)` says why a key is invalid (nullopt when it is
// valid). The notes of the offenders, in ascending key order, make
// "Invalid annotation names: <n1, n2>" (upstream's labels say "annotation" too).
template <typename InvalidNote>
std::optional<std::string> ReadSettings(const kw::json::Value& value, std::string_view noun,
                                        criteria::Criteria& out, InvalidNote invalid_note) {
  kw::SettingsReader reader(value);
  out = criteria::Read(reader);
  if (!reader.ok()) return reader.error();
  if (out.values.empty()) return "Empty " + std::string(noun) + " list is not allowed";
  std::string message = "Invalid annotation names: ";
  bool any = false;  // a note may be empty (the empty key)
  for (std::string_view key : out.values) {
    auto note = invalid_note(key);
    if (!note) continue;
    message.append(any ? ", " : "").append(*note);
    any = true;
  }
  if (any) return message;
  return std::nullopt;
}

// The verdict: the keys of request.object.metadata.<map> (none when absent or not an object)
// against `c`; a failure rejects without a code.
inline kw::ValidationResponse Validate(const kw::ValidationRequest& request,
                                       const criteria::Criteria& c, std::string_view map,
                                       std::string_view noun) {
  const kw::json::Value* object = request.object();
  const kw::json::Value* metadata = object ? object->Find("metadata") : nullptr;
  const kw::json::Value* keys = metadata ? metadata->Find(map) : nullptr;
  std::set<std::string_view> found;
  if (keys != nullptr && keys->IsObject()) {
    for (const kw::json::Value& member : *keys) found.insert(member.key());
  }
  if (auto message = criteria::Check(c, found, noun)) return kw::Reject(*message);
  return kw::Accept();
}

}  // namespace metadata_keys

#endif  // POLICIES_COMMON_METADATA_KEYS_H_
