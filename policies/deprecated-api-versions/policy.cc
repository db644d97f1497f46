// deprecated-api-versions (policies.md §29): rejects objects whose group/version and kind are
// deprecated or removed at the configured Kubernetes version (table in deprecations.h).
// Reads a few fields of the request: on demand is cheaper than parsing it whole (request.h).
#define KUBEWARDEN_REQUEST_ON_DEMAND
#include <kubewarden/kubewarden.h>

#include <cstdint>

#include "deprecations.h"

namespace kw = kubewarden;

namespace {

// A semantic version; only the ordering against the release table matters, where a version with
// a pre-release sorts before the same MAJOR.MINOR.PATCH without one.
struct Version {
  std::uint64_t major = 0, minor = 0, patch = 0;
  bool has_pre = false;
  bool has_build = false;
};

int Compare(const Version& a, const Version& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  if (a.has_pre != b.has_pre) return a.has_pre ? -1 : 1;  // table versions have no pre-release
  return 0;
}

// Rust Debug of a char: 'x', '\'' and the usual escapes.
std::string QuotedChar(std::string_view rest) {
  unsigned char c = static_cast<unsigned char>(rest[0]);
  std::string out = "'";
  if (c == '\0') return "'\\0'";
  if (c == '\'') return "'\\''";
  if (c == '\\') return "'\\\\'";
  if (c == '\n') return "'\\n'";
  if (c == '\r') return "'\\r'";
  if (c == '\t') return "'\\t'";
  std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  if (n > rest.size()) n = rest.size();
  if (c < 0x20 || c == 0x7F) {
    const char* hex = "0123456789abcdef";
    out += "\\u{";
    if (c >= 0x10) out += hex[c >> 4];
    out += hex[c & 15];
    out += "}'";
    return out;
  }
  out.append(rest.substr(0, n));
  out += '\'';
  return out;
}

// Parses like Rust's semver::Version::from_str; returns the error text on failure.
std::optional<std::string> ParseVersion(std::string_view text, Version& v) {
  if (text.empty()) return "empty string, expected a semver version";
  const char* positions[] = {"major version number", "minor version number",
                             "patch version number"};
  std::uint64_t* parts[] = {&v.major, &v.minor, &v.patch};
  for (int i = 0; i < 3; ++i) {
    const char* pos = positions[i];
    std::size_t len = 0;
    std::uint64_t value = 0;
    while (len < text.size() && text[len] >= '0' && text[len] <= '9') {
      if (value == 0 && len > 0) return std::string("invalid leading zero in ") + pos;
      std::uint64_t digit = static_cast<std::uint64_t>(text[len] - '0');
      if (value > (UINT64_MAX - digit) / 10) return std::string("value of ") + pos + " exceeds u64::MAX";
      value = value * 10 + digit;
      ++len;
    }
    if (len == 0) {
      if (!text.empty()) {
        return "unexpected character " + QuotedChar(text) + " while parsing " + pos;
      }
      return std::string("unexpected end of input while parsing ") + pos;
    }
    *parts[i] = value;
    text.remove_prefix(len);
    if (i < 2) {
      if (!text.empty() && text[0] == '.') {
        text.remove_prefix(1);
      } else if (!text.empty()) {
        return "unexpected character " + QuotedChar(text) + " after " + pos;
      } else {
        return std::string("unexpected end of input while parsing ") + pos;
      }
    }
  }
  const char* pos = "patch version number";
  // semver's identifier(): dot-separated segments of [A-Za-z0-9-].
  auto identifier = [&](bool pre, const char* where, std::size_t* out_len) -> std::optional<std::string> {
    std::size_t acc = 0, seg = 0;
    bool nondigit = false;
    for (;;) {
      std::size_t at = acc + seg;
      char c = at < text.size() ? text[at] : '\0';
      bool have = at < text.size();
      if (have && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-')) {
        ++seg;
        nondigit = true;
      } else if (have && c >= '0' && c <= '9') {
        ++seg;
      } else {
        bool dot = have && c == '.';
        if (seg == 0) {
          if (acc == 0 && !dot) {
            *out_len = 0;
            return std::nullopt;
          }
          return std::string("empty identifier segment in ") + where;
        }
        if (pre && seg > 1 && !nondigit && text[acc] == '0') {
          return std::string("invalid leading zero in ") + where;
        }
        acc += seg;
        if (dot) {
          acc += 1;
          seg = 0;
          nondigit = false;
        } else {
          *out_len = acc;
          return std::nullopt;
        }
      }
    }
  };
  if (text.empty()) return std::nullopt;
  if (text[0] == '-') {
    text.remove_prefix(1);
    pos = "pre-release identifier";
    std::size_t len = 0;
    if (auto e = identifier(true, pos, &len)) return e;
    if (len == 0) return std::string("empty identifier segment in ") + pos;
    v.has_pre = true;
    text.remove_prefix(len);
  }
  if (!text.empty() && text[0] == '+') {
    text.remove_prefix(1);
    pos = "build metadata";
    std::size_t len = 0;
    if (auto e = identifier(false, pos, &len)) return e;
    if (len == 0) return std::string("empty identifier segment in ") + pos;
    v.has_build = true;
    text.remove_prefix(len);
  }
  if (!text.empty()) return "unexpected character " + QuotedChar(text) + " after " + pos;
  return std::nullopt;
}

// A version of the embedded table (always valid).
Version TableVersion(const char* text) {
  Version v;
  ParseVersion(text, v);
  return v;
}

struct Settings {
  Version kubernetes_version;
  std::string_view kubernetes_version_text;
  bool deny_on_deprecation = true;
};

std::optional<std::string> ReadSettings(const kw::json::Value& value, Settings& settings) {
  kw::SettingsReader reader(value);
  std::string_view text = reader.RequiredString("kubernetes_version");
  const kw::json::Value* raw = reader.Raw("kubernetes_version");
  if (raw != nullptr && raw->IsString()) {
    if (!text.empty() && text[0] == 'v') text.remove_prefix(1);  // optional leading `v`
    settings.kubernetes_version_text = text;
    if (auto error = ParseVersion(text, settings.kubernetes_version)) {
      reader.Fail("kubernetes_version", *error);
    }
  }
  settings.deny_on_deprecation = reader.Bool("deny_on_deprecation", true);
  if (!reader.ok()) return reader.error();
  return std::nullopt;
}

kw::SettingsValidationResponse ValidateSettings(const kw::json::Value& value) {
  Settings settings;
  if (auto error = ReadSettings(value, settings)) return kw::SettingsInvalid(*error);
  const Version& k = settings.kubernetes_version;
  if (k.major == 0 && k.minor == 0 && k.patch == 1 && !k.has_pre && !k.has_build) {
    return kw::SettingsInvalid("Please provide a kubernetes version");
  }
  return kw::SettingsValid();
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  Settings settings;
  if (auto error = ReadSettings(request.settings(), settings)) return kw::EvaluationError(*error);
  const Version& k = settings.kubernetes_version;

  auto gvk = request.kind();
  std::string key;
  key.reserve(gvk.group.size() + 1 + gvk.version.size());
  key.append(gvk.group).append("/").append(gvk.version);

  for (const Deprecation& row : kDeprecations) {
    if (key != row.version || gvk.kind != row.kind) continue;
    bool removed = row.removed_in != nullptr && Compare(k, TableVersion(row.removed_in)) >= 0;
    bool deprecated =
        row.deprecated_in != nullptr && Compare(k, TableVersion(row.deprecated_in)) >= 0;
    if (!removed && !deprecated) continue;
    if (!settings.deny_on_deprecation && !removed) return kw::Accept();
    std::string message = key + " " + std::string(gvk.kind) + " cannot be used.";
    if (row.deprecated_in != nullptr) {
      message += " It has been deprecated starting from ";
      message += row.deprecated_in;
      message += ".";
    }
    if (row.removed_in != nullptr) {
      message += " It has been removed starting from ";
      message += row.removed_in;
      message += ".";
    }
    message += " It has been replaced by ";
    message += row.replacement;
    message += ".";
    return kw::Reject(message);
  }
  return kw::Accept();
}

}  // namespace

KUBEWARDEN_POLICY(Validate, ValidateSettings)
