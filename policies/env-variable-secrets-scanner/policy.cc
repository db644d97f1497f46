// env-variable-secrets-scanner (policies-more.md §5): rejects workloads whose container
// environment variables hold secrets, in plain text or base64-encoded, found with rusty-hog's
// rules (rules.h).
#include <kubewarden/kubewarden.h>
#include <kubewarden/regex.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "rules.h"

namespace kw = kubewarden;
using kw::k8s::ContainerList;

namespace {

// Compiled on first use: most lines never get past a rule's needles.
std::optional<kw::regex::Regexp> g_compiled[env_secrets::kRuleCount];

const kw::regex::Regexp* Compiled(std::size_t rule) {
  if (!g_compiled[rule]) {
    auto re = kw::regex::Regexp::Compile(env_secrets::kRules[rule].pattern);
    if (!re) __builtin_trap();  // the table is fixed; policy_cases_test runs every rule
    g_compiled[rule].emplace(std::move(*re));
  }
  return &*g_compiled[rule];
}

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool ContainsFolded(std::string_view text, std::string_view needle) {
  if (needle.size() > text.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && Lower(text[i + j]) == Lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

// Whether `line` may match the rule: a cheap necessary condition. Under (?i) a non-ASCII letter
// can fold to an ASCII one (U+212A to k), so non-ASCII lines always go to the regex.
bool MayMatch(const env_secrets::Rule& rule, std::string_view line, bool ascii) {
  if (line.size() < rule.min_length) return false;
  if (rule.needles[0].empty() || !ascii) return true;
  for (std::string_view needle : rule.needles) {
    if (needle.empty()) break;
    if (rule.fold_case ? ContainsFolded(line, needle)
                       : line.find(needle) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// Adds to `found` (flags by rule) the rules that match some line of `text`.
void Scan(std::string_view text, std::vector<bool>& found) {
  while (true) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    bool ascii = IsAscii(line);
    for (std::size_t rule = 0; rule < env_secrets::kRuleCount; ++rule) {
      if (!found[rule] && MayMatch(env_secrets::kRules[rule], line, ascii) &&
          Compiled(rule)->Match(line)) {
        found[rule] = true;
      }
    }
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

int Base64Digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with canonical padding (whole quads, `=` only to pad the last one, unused
// bits zero), as Rust's base64 STANDARD engine decodes it; nullopt otherwise.
std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t at = 0; at < text.size(); at += 4) {
    bool last = at + 4 == text.size();
    int padding = last ? (text[at + 3] == '=') + (text[at + 2] == '=' && text[at + 3] == '=') : 0;
    std::uint32_t bits = 0;
    for (int i = 0; i < 4 - padding; ++i) {
      int digit = Base64Digit(text[at + i]);
      if (digit < 0) return std::nullopt;
      bits |= static_cast<std::uint32_t>(digit) << (18 - 6 * i);
    }
    if ((padding == 1 && (bits & 0xFF) != 0) || (padding == 2 && (bits & 0xFFFF) != 0)) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(bits >> 16));
    if (padding < 2) out.push_back(static_cast<char>(bits >> 8));
    if (padding < 1) out.push_back(static_cast<char>(bits));
  }
  return out;
}

struct Finding {
  std::string_view container;
  std::string_view key;
  std::size_t rule;
  bool operator==(const Finding&) const = default;
};

kw::SettingsValidationResponse ValidateSettings(const kw::json::Value&) {
  return kw::SettingsValid();
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  auto spec = kw::k8s::ExtractPodSpec(request);
  if (!spec) return kw::Reject("Cannot parse validation request");
  if (*spec == nullptr) return kw::Accept();

  std::vector<Finding> findings;
  std::vector<bool> found(env_secrets::kRuleCount);
  for (ContainerList list : {ContainerList::kContainers, ContainerList::kInitContainers,
                             ContainerList::kEphemeralContainers}) {
    for (const kw::json::Value& container : kw::k8s::Containers(**spec, list)) {
      const kw::json::Value* env = container.GetArray("env");
      if (env == nullptr) continue;
      std::string_view name = container.GetString("name").value_or("");
      for (const kw::json::Value& variable : *env) {
        auto value = variable.GetString("value");
        if (!value) continue;
        found.assign(env_secrets::kRuleCount, false);
        Scan(*value, found);
        if (std::find(found.begin(), found.end(), true) == found.end()) {
          if (auto decoded = DecodeBase64(*value)) Scan(*decoded, found);
        }
        std::string_view key = variable.GetString("name").value_or("");
        for (std::size_t rule = 0; rule < found.size(); ++rule) {
          Finding finding{name, key, rule};
          if (found[rule] &&
              std::find(findings.begin(), findings.end(), finding) == findings.end()) {
            findings.push_back(finding);
          }
        }
      }
    }
  }
  if (findings.empty()) return kw::Accept();
  std::string message = "The following secrets were found in environment variables -> ";
  for (const Finding& f : findings) {
    message.append("container: ").append(f.container).append(", key: ").append(f.key);
    message.append(", reason: ").append(env_secrets::kRules[f.rule].name).append(". ");
  }
  return kw::Reject(message);
}

}  // namespace

KUBEWARDEN_POLICY(Validate, ValidateSettings)
