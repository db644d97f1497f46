#include "policy/metadata.h"

#include "base/json_fields.h"
#include "base/semver.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <utility>

namespace kw::policy {
namespace {

using json_fields::FindRequired;
using json_fields::FindSet;
using json_fields::GetBool;
using json_fields::GetEnum;
using json_fields::GetString;
using json_fields::GetStringList;
using json_fields::Indexed;
using json_fields::Invalid;
using json_fields::KindName;
using json_fields::WrongType;

constexpr std::string_view kOperations[] = {"CREATE", "UPDATE", "DELETE", "CONNECT", "*"};

constexpr std::pair<std::string_view, ProtocolVersion> kProtocolVersionNames[] = {
    {"v1", ProtocolVersion::kV1}, {"Unknown", ProtocolVersion::kUnknown}};
constexpr std::pair<std::string_view, ExecutionMode> kExecutionModeNames[] = {
    {"kubewarden-wapc", ExecutionMode::kKubewardenWapc},
    {"opa", ExecutionMode::kOpa},
    {"gatekeeper", ExecutionMode::kGatekeeper},
    {"wasi", ExecutionMode::kWasi}};
constexpr std::pair<std::string_view, PolicyType> kPolicyTypeNames[] = {
    {"kubernetes", PolicyType::kKubernetes}, {"raw", PolicyType::kRaw}};

Result<Rule> RuleFromJson(const json::value& v, std::string_view path) {
  if (!v.is_object()) return WrongType(path, "an object", v);
  const json::object& o = v.get_object();
  Rule rule;
  std::pair<std::string_view, std::vector<std::string>*> fields[] = {
      {"apiGroups", &rule.api_groups},
      {"apiVersions", &rule.api_versions},
      {"resources", &rule.resources},
      {"operations", &rule.operations}};
  for (auto& [key, target] : fields) {
    std::string field = std::string(path) + "." + std::string(key);
    KW_ASSIGN_OR_RETURN(const json::value* item, FindRequired(o, key, field));
    KW_ASSIGN_OR_RETURN(*target, GetStringList(*item, field));
  }
  return rule;
}

Result<ContextAwareResource> ContextAwareResourceFromJson(const json::value& v,
                                                          std::string_view path) {
  if (!v.is_object()) return WrongType(path, "an object", v);
  const json::object& o = v.get_object();
  ContextAwareResource resource;
  std::string field = std::string(path) + ".apiVersion";
  KW_ASSIGN_OR_RETURN(const json::value* api_version, FindRequired(o, "apiVersion", field));
  KW_ASSIGN_OR_RETURN(resource.api_version, GetString(*api_version, field));
  field = std::string(path) + ".kind";
  KW_ASSIGN_OR_RETURN(const json::value* kind, FindRequired(o, "kind", field));
  KW_ASSIGN_OR_RETURN(resource.kind, GetString(*kind, field));
  return resource;
}

template <typename T>
void SortUnique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

json::array StringsToJson(const std::vector<std::string>& strings) {
  json::array out;
  out.reserve(strings.size());
  for (const auto& s : strings) out.emplace_back(s);
  return out;
}

// "*" matches everything, so listing anything beside it is a mistake Kubernetes rejects.
Result<void> ValidateWildcardList(const std::vector<std::string>& list, std::string_view field) {
  if (list.empty()) return Invalid(std::string(field) + " must not be empty");
  if (list.size() > 1 && std::find(list.begin(), list.end(), "*") != list.end()) {
    return Invalid(std::string(field) + ": '*' must be the only entry when present");
  }
  return {};
}

// Kubernetes' resource rules (ValidateRule in admissionregistration validation), checked
// regardless of the order of the entries.
Result<void> ValidateResources(const std::vector<std::string>& resources,
                               std::string_view field) {
  if (resources.empty()) return Invalid(std::string(field) + " must not be empty");
  std::set<std::string_view> resources_with_any_subresource;  // x in "x/*"
  std::set<std::string_view> subresources_of_any_resource;    // y in "*/y"
  const std::string* plain_resource = nullptr;                // an "x" other than "*"
  bool has_any = false;                                        // "*"
  bool has_any_any = false;                                    // "*/*"
  for (std::size_t i = 0; i < resources.size(); ++i) {
    const std::string& r = resources[i];
    if (r.empty()) return Invalid(Indexed(field, i) + " must not be an empty string");
    auto slash = r.find('/');
    if (slash == std::string::npos) {
      if (r == "*") {
        has_any = true;
      } else if (!plain_resource) {
        plain_resource = &r;
      }
      continue;
    }
    std::string_view res = std::string_view(r).substr(0, slash);
    std::string_view sub = std::string_view(r).substr(slash + 1);
    if (res == "*" && sub == "*") has_any_any = true;
    if (sub == "*") resources_with_any_subresource.insert(res);
    if (res == "*") subresources_of_any_resource.insert(sub);
  }
  if (has_any_any && resources.size() > 1) {
    return Invalid(std::string(field) + ": '*/*' must be the only entry when present");
  }
  if (has_any && plain_resource) {
    return Invalid(std::string(field) + ": '*' cannot be combined with '" + *plain_resource +
                   "' (other resources without subresources)");
  }
  for (const std::string& r : resources) {
    auto slash = r.find('/');
    if (slash == std::string::npos) continue;
    std::string_view res = std::string_view(r).substr(0, slash);
    std::string_view sub = std::string_view(r).substr(slash + 1);
    if (sub != "*" && resources_with_any_subresource.contains(res)) {
      return Invalid(std::string(field) + ": '" + std::string(res) + "/*' is present, so '" + r +
                     "' must not be listed");
    }
    if (res != "*" && subresources_of_any_resource.contains(sub)) {
      return Invalid(std::string(field) + ": '*/" + std::string(sub) + "' is present, so '" + r +
                     "' must not be listed");
    }
  }
  return {};
}

Result<void> ValidateRule(const Rule& rule, std::string_view path) {
  KW_TRY(ValidateWildcardList(rule.api_groups, std::string(path) + ".apiGroups"));
  KW_TRY(ValidateWildcardList(rule.api_versions, std::string(path) + ".apiVersions"));
  KW_TRY(ValidateResources(rule.resources, std::string(path) + ".resources"));
  std::string operations = std::string(path) + ".operations";
  for (const auto& op : rule.operations) {
    if (std::find(std::begin(kOperations), std::end(kOperations), op) == std::end(kOperations)) {
      return Invalid(operations + ": '" + op +
                     "' is not one of CREATE, UPDATE, DELETE, CONNECT, *");
    }
  }
  return ValidateWildcardList(rule.operations, operations);
}

// MAJOR.MINOR.PATCH of a semantic version, each fitting in 64 bits as upstream's parser wants.
std::optional<std::array<std::uint64_t, 3>> VersionCore(std::string_view text) {
  std::optional<SemVer> parsed = ParseSemVer(text);
  if (!parsed) return std::nullopt;
  std::array<std::uint64_t, 3> core{};
  for (std::size_t i = 0; i < 3; ++i) {
    std::optional<std::uint64_t> value = NumericIdentifierValue(parsed->core[i]);
    if (!value) return std::nullopt;
    core[i] = *value;
  }
  return core;
}

// The running version comes from our own build and may be "1.36", "v1.36.0" or "1.36.0-beta.1";
// only major.minor matters.
std::optional<std::pair<std::uint64_t, std::uint64_t>> MajorMinor(std::string_view text) {
  if (text.starts_with('v')) text.remove_prefix(1);
  std::uint64_t major = 0, minor = 0;
  const char* end = text.data() + text.size();
  auto [p1, ec1] = std::from_chars(text.data(), end, major);
  if (ec1 != std::errc() || p1 == end || *p1 != '.') return std::nullopt;
  auto [p2, ec2] = std::from_chars(p1 + 1, end, minor);
  if (ec2 != std::errc()) return std::nullopt;
  if (p2 != end && *p2 != '.' && *p2 != '-' && *p2 != '+') return std::nullopt;
  return std::pair{major, minor};
}

}  // namespace

std::optional<std::string_view> Metadata::Annotation(std::string_view key) const {
  if (!annotations) return std::nullopt;
  auto it = annotations->find(std::string(key));
  if (it == annotations->end()) return std::nullopt;
  return it->second;
}

std::string_view ProtocolVersionName(ProtocolVersion version) {
  return version == ProtocolVersion::kV1 ? "v1" : "Unknown";
}

std::string_view ExecutionModeName(ExecutionMode mode) {
  for (const auto& [name, value] : kExecutionModeNames) {
    if (value == mode) return name;
  }
  return "unknown";
}

std::string_view PolicyTypeName(PolicyType type) {
  return type == PolicyType::kRaw ? "raw" : "kubernetes";
}

Result<ExecutionMode> ParseExecutionMode(std::string_view text) {
  if (text == "kubewarden") return ExecutionMode::kKubewardenWapc;
  for (const auto& [name, value] : kExecutionModeNames) {
    if (text == name) return value;
  }
  return Invalid("unknown execution mode '" + std::string(text) +
                 "': expected one of kubewarden-wapc (or kubewarden), opa, gatekeeper, wasi");
}

Result<Metadata> MetadataFromJson(const json::value& value) {
  if (!value.is_object()) {
    return Invalid("metadata must be an object, got " + std::string(KindName(value)));
  }
  const json::object& o = value.get_object();
  Metadata m;

  if (const json::value* v = FindSet(o, "protocolVersion")) {
    KW_ASSIGN_OR_RETURN(m.protocol_version, GetEnum(*v, "protocolVersion", kProtocolVersionNames));
  }

  KW_ASSIGN_OR_RETURN(const json::value* rules, FindRequired(o, "rules", "rules"));
  if (!rules->is_array()) return WrongType("rules", "a list", *rules);
  for (std::size_t i = 0; i < rules->get_array().size(); ++i) {
    KW_ASSIGN_OR_RETURN(Rule rule, RuleFromJson(rules->get_array()[i], Indexed("rules", i)));
    m.rules.push_back(std::move(rule));
  }

  if (const json::value* v = FindSet(o, "annotations")) {
    if (!v->is_object()) return WrongType("annotations", "a map of strings", *v);
    auto& annotations = m.annotations.emplace();
    for (const auto& member : v->get_object()) {
      std::string key(member.key());
      KW_ASSIGN_OR_RETURN(std::string text, GetString(member.value(), "annotations." + key));
      annotations.emplace(std::move(key), std::move(text));
    }
  }

  KW_ASSIGN_OR_RETURN(const json::value* mutating, FindRequired(o, "mutating", "mutating"));
  KW_ASSIGN_OR_RETURN(m.mutating, GetBool(*mutating, "mutating"));

  if (const json::value* v = FindSet(o, "backgroundAudit")) {
    KW_ASSIGN_OR_RETURN(m.background_audit, GetBool(*v, "backgroundAudit"));
  }
  if (const json::value* v = FindSet(o, "executionMode")) {
    KW_ASSIGN_OR_RETURN(m.execution_mode, GetEnum(*v, "executionMode", kExecutionModeNames));
  }
  if (const json::value* v = FindSet(o, "policyType")) {
    KW_ASSIGN_OR_RETURN(m.policy_type, GetEnum(*v, "policyType", kPolicyTypeNames));
  }

  if (const json::value* v = FindSet(o, "contextAwareResources")) {
    if (!v->is_array()) return WrongType("contextAwareResources", "a list", *v);
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      KW_ASSIGN_OR_RETURN(ContextAwareResource r,
                          ContextAwareResourceFromJson(v->get_array()[i],
                                                       Indexed("contextAwareResources", i)));
      m.context_aware_resources.push_back(std::move(r));
    }
    SortUnique(m.context_aware_resources);
  }

  if (const json::value* v = FindSet(o, "hostCapabilities")) {
    KW_ASSIGN_OR_RETURN(m.host_capabilities, GetStringList(*v, "hostCapabilities"));
    SortUnique(*m.host_capabilities);
  }

  if (const json::value* v = FindSet(o, "minimumKubewardenVersion")) {
    KW_ASSIGN_OR_RETURN(m.minimum_kubewarden_version, GetString(*v, "minimumKubewardenVersion"));
  }
  return m;
}

json::value RuleToJson(const Rule& rule) {
  json::object o;
  o.emplace("apiGroups", StringsToJson(rule.api_groups));
  o.emplace("apiVersions", StringsToJson(rule.api_versions));
  o.emplace("resources", StringsToJson(rule.resources));
  o.emplace("operations", StringsToJson(rule.operations));
  return o;
}

Result<ContextAwareResource> ParseContextAwareResource(const json::value& value,
                                                       std::string_view path) {
  return ContextAwareResourceFromJson(value, path);
}

json::value ContextAwareResourceToJson(const ContextAwareResource& resource) {
  json::object o;
  o.emplace("apiVersion", resource.api_version);
  o.emplace("kind", resource.kind);
  return o;
}

json::value MetadataToJson(const Metadata& m) {
  json::object o;
  if (m.protocol_version) {
    o.emplace("protocolVersion", ProtocolVersionName(*m.protocol_version));
  } else {
    o.emplace("protocolVersion", nullptr);
  }
  json::array rules;
  for (const auto& rule : m.rules) rules.push_back(RuleToJson(rule));
  o.emplace("rules", std::move(rules));
  if (m.annotations) {
    json::object annotations;
    for (const auto& [key, value] : *m.annotations) annotations.emplace(key, value);
    o.emplace("annotations", std::move(annotations));
  }
  o.emplace("mutating", m.mutating);
  o.emplace("backgroundAudit", m.background_audit);
  json::array resources;
  for (const auto& r : m.context_aware_resources) {
    resources.push_back(ContextAwareResourceToJson(r));
  }
  o.emplace("contextAwareResources", std::move(resources));
  if (m.minimum_kubewarden_version) {
    o.emplace("minimumKubewardenVersion", *m.minimum_kubewarden_version);
  }
  o.emplace("executionMode", ExecutionModeName(m.execution_mode));
  o.emplace("policyType", PolicyTypeName(m.policy_type));
  if (m.host_capabilities) o.emplace("hostCapabilities", StringsToJson(*m.host_capabilities));
  return o;
}

Result<void> ValidateMetadata(const Metadata& m) {
  if (!m.protocol_version) {
    return Invalid("protocolVersion is not set (kwctl annotate sets it)");
  }
  if (m.execution_mode == ExecutionMode::kKubewardenWapc &&
      *m.protocol_version != ProtocolVersion::kV1) {
    return Invalid("protocolVersion must be 'v1' for kubewarden-wapc policies, got '" +
                   std::string(ProtocolVersionName(*m.protocol_version)) + "'");
  }
  for (std::size_t i = 0; i < m.rules.size(); ++i) {
    KW_TRY(ValidateRule(m.rules[i], Indexed("rules", i)));
  }
  for (std::size_t i = 0; i < m.context_aware_resources.size(); ++i) {
    const auto& r = m.context_aware_resources[i];
    std::string path = Indexed("contextAwareResources", i);
    if (r.api_version.empty()) return Invalid(path + ".apiVersion must not be empty");
    if (r.kind.empty()) return Invalid(path + ".kind must not be empty");
  }
  if (m.minimum_kubewarden_version && !IsValidSemver(*m.minimum_kubewarden_version)) {
    return Invalid("minimumKubewardenVersion: '" + *m.minimum_kubewarden_version +
                   "' is not a valid semantic version (expected MAJOR.MINOR.PATCH)");
  }
  return {};
}

Result<std::optional<Metadata>> ReadMetadata(const wasm::ModuleInfo& module) {
  auto section = module.FindCustomSection(kMetadataSectionName);
  if (!section) return std::optional<Metadata>();
  std::string_view text(reinterpret_cast<const char*>(section->data()), section->size());
  KW_ASSIGN_OR_RETURN(
      json::value json,
      ParseJson(text, "the io.kubewarden.metadata section does not hold valid JSON"));
  auto metadata = MetadataFromJson(json);
  if (!metadata) {
    return std::unexpected(metadata.error().Wrap("invalid io.kubewarden.metadata section"));
  }
  return std::optional<Metadata>(std::move(*metadata));
}

Result<std::optional<Metadata>> ReadMetadata(std::span<const std::uint8_t> wasm_bytes) {
  KW_ASSIGN_OR_RETURN(wasm::ModuleInfo module, wasm::Inspect(wasm_bytes));
  return ReadMetadata(module);
}

Result<std::vector<std::uint8_t>> WriteMetadata(std::span<const std::uint8_t> wasm,
                                                const Metadata& metadata) {
  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> stripped,
                      wasm::RemoveCustomSections(wasm, kMetadataSectionName));
  std::string payload = ToJson(MetadataToJson(metadata));
  return wasm::AppendCustomSection(
      stripped, kMetadataSectionName,
      std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
}

bool IsRegoModule(const wasm::ModuleInfo& module) {
  return std::any_of(module.exports.begin(), module.exports.end(),
                     [](const wasm::Export& e) { return e.name.starts_with("opa_"); });
}

Result<ExecutionMode> ChooseExecutionMode(std::optional<ExecutionMode> cli_override,
                                          const std::optional<Metadata>& metadata,
                                          const wasm::ModuleInfo& module) {
  if (cli_override) return *cli_override;
  bool rego = IsRegoModule(module);
  if (!metadata) {
    if (rego) {
      return Invalid(
          "the policy is a Rego policy without Kubewarden metadata: please specify which Opa "
          "runtime to use: opa or gatekeeper");
    }
    return ExecutionMode::kKubewardenWapc;
  }
  ExecutionMode mode = metadata->execution_mode;
  switch (mode) {
    case ExecutionMode::kOpa:
    case ExecutionMode::kGatekeeper:
      if (!rego) {
        return Invalid("the policy metadata declares executionMode '" +
                       std::string(ExecutionModeName(mode)) +
                       "', but the module is not a Rego policy (it exports no opa_* symbol)");
      }
      break;
    case ExecutionMode::kKubewardenWapc:
      if (rego) {
        return Invalid(
            "the policy metadata declares executionMode 'kubewarden-wapc', but the module is a "
            "Rego policy: its executionMode must be 'opa' or 'gatekeeper'");
      }
      break;
    case ExecutionMode::kWasi:
      break;
  }
  return mode;
}

bool IsValidSemver(std::string_view text) { return VersionCore(text).has_value(); }

Result<void> CheckMinimumKubewardenVersion(const Metadata& metadata,
                                           std::string_view running_version) {
  if (!metadata.minimum_kubewarden_version) return {};
  const std::string& minimum = *metadata.minimum_kubewarden_version;
  auto required = VersionCore(minimum);
  if (!required) {
    return Invalid("minimumKubewardenVersion: '" + minimum +
                   "' is not a valid semantic version (expected MAJOR.MINOR.PATCH)");
  }
  auto running = MajorMinor(running_version);
  if (!running) {
    return Fail(ErrorKind::kInternal, "cannot parse the running Kubewarden version '" +
                                          std::string(running_version) + "'");
  }
  if (std::pair{(*required)[0], (*required)[1]} > *running) {
    return Invalid("Policy required Kubewarden version " + minimum +
                   " or greater. But it's running on " + std::string(running_version));
  }
  return {};
}

}  // namespace kw::policy
