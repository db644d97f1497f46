// Kubewarden policy metadata: the `io.kubewarden.metadata` custom section of a policy module.
//
// The section holds compact JSON with upstream's camelCase field names; this component reads and
// writes it byte-compatibly with upstream kwctl/policy-server, validates it with upstream's rules,
// and decides which runtime (execution mode) a module needs. Parsing is lenient where upstream is
// (unknown keys, such as the legacy `contextAware`, are ignored) and strict where it is (`rules`
// and `mutating` are required; wrong types are errors naming the field). Parsing and validation
// are separate steps: a module whose metadata parses but does not validate can still be
// inspected. Everything here is a pure function of its inputs and thread-safe; failures are
// kInvalidArgument (bad metadata, bad choice) or kBadModule (bytes that are not wasm).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "wasm/wasm_binary.h"

namespace kw::policy {

inline constexpr std::string_view kMetadataSectionName = "io.kubewarden.metadata";

// Annotation keys with a meaning for the tooling (tooling.md §3.2).
inline constexpr std::string_view kAnnotationTitle = "io.kubewarden.policy.title";
inline constexpr std::string_view kAnnotationVersion = "io.kubewarden.policy.version";
inline constexpr std::string_view kAnnotationDescription = "io.kubewarden.policy.description";
inline constexpr std::string_view kAnnotationAuthor = "io.kubewarden.policy.author";
inline constexpr std::string_view kAnnotationUrl = "io.kubewarden.policy.url";
inline constexpr std::string_view kAnnotationOciUrl = "io.kubewarden.policy.ociUrl";
inline constexpr std::string_view kAnnotationSource = "io.kubewarden.policy.source";
inline constexpr std::string_view kAnnotationLicense = "io.kubewarden.policy.license";
inline constexpr std::string_view kAnnotationUsage = "io.kubewarden.policy.usage";
inline constexpr std::string_view kAnnotationSeverity = "io.kubewarden.policy.severity";
inline constexpr std::string_view kAnnotationCategory = "io.kubewarden.policy.category";
inline constexpr std::string_view kAnnotationKwctlVersion = "io.kubewarden.kwctl";
inline constexpr std::string_view kAnnotationArtifactHubDisplayName = "io.artifacthub.displayName";
inline constexpr std::string_view kAnnotationArtifactHubResources = "io.artifacthub.resources";
inline constexpr std::string_view kAnnotationArtifactHubKeywords = "io.artifacthub.keywords";
inline constexpr std::string_view kAnnotationHiddenUi = "io.kubewarden.hidden-ui";
inline constexpr std::string_view kAnnotationGithubReleaseTag = "com.github.release.tag";

// The common prefix of the `io.kubewarden.policy.*` annotations.
inline constexpr std::string_view kAnnotationPolicyPrefix = "io.kubewarden.policy.";

enum class ProtocolVersion { kV1, kUnknown };

enum class ExecutionMode { kKubewardenWapc, kOpa, kGatekeeper, kWasi };

enum class PolicyType { kKubernetes, kRaw };

// One admission rule, as in a ValidatingWebhookConfiguration. Operations are kept as strings so
// that a bad value is reported by ValidateMetadata together with the other rule problems.
struct Rule {
  std::vector<std::string> api_groups;
  std::vector<std::string> api_versions;
  std::vector<std::string> resources;
  std::vector<std::string> operations;

  bool operator==(const Rule&) const = default;
};

// A Kubernetes kind the policy may read through host capabilities.
struct ContextAwareResource {
  std::string api_version;
  std::string kind;

  auto operator<=>(const ContextAwareResource&) const = default;
};

struct Metadata {
  std::optional<ProtocolVersion> protocol_version;
  std::vector<Rule> rules;
  std::optional<std::map<std::string, std::string>> annotations;
  bool mutating = false;
  bool background_audit = true;
  ExecutionMode execution_mode = ExecutionMode::kKubewardenWapc;
  PolicyType policy_type = PolicyType::kKubernetes;
  // A set: kept sorted and free of duplicates by MetadataFromJson (upstream's BTreeSet order).
  std::vector<ContextAwareResource> context_aware_resources;
  // A set as well: sorted and deduplicated by MetadataFromJson.
  std::optional<std::vector<std::string>> host_capabilities;
  std::optional<std::string> minimum_kubewarden_version;

  bool operator==(const Metadata&) const = default;

  // The annotation `key`, or nullopt.
  std::optional<std::string_view> Annotation(std::string_view key) const;
};

// Upstream's serialized names: "v1"/"Unknown", "kubewarden-wapc"/"opa"/"gatekeeper"/"wasi",
// "kubernetes"/"raw".
std::string_view ProtocolVersionName(ProtocolVersion version);
std::string_view ExecutionModeName(ExecutionMode mode);
std::string_view PolicyTypeName(PolicyType type);

// Parses an execution mode given by a user (kwctl -e, policies.yml): the serialized names plus
// the CLI literal "kubewarden", which upstream's help text advertises for kubewarden-wapc.
Result<ExecutionMode> ParseExecutionMode(std::string_view text);

// Decodes the metadata JSON object. Sets are normalized (sorted, deduplicated). Does not validate.
Result<Metadata> MetadataFromJson(const json::value& value);

// Encodes `metadata` with upstream's key order: protocolVersion (null when unset), rules,
// annotations (omitted when unset), mutating, backgroundAudit, contextAwareResources,
// minimumKubewardenVersion (omitted when unset), executionMode, policyType, hostCapabilities
// (omitted when unset).
json::value MetadataToJson(const Metadata& metadata);
json::value RuleToJson(const Rule& rule);
json::value ContextAwareResourceToJson(const ContextAwareResource& resource);
// Reads one `{apiVersion, kind}` entry; `path` names it in errors.
Result<ContextAwareResource> ParseContextAwareResource(const json::value& value,
                                                       std::string_view path);

// Checks upstream's validation rules; the error lists the first problem found, naming the field
// (e.g. "rules[0].operations: 'PATCH' is not one of CREATE, UPDATE, DELETE, CONNECT, *").
Result<void> ValidateMetadata(const Metadata& metadata);

// Reads the first `io.kubewarden.metadata` section of a module. nullopt when there is none;
// kInvalidArgument when its payload is not valid metadata JSON; kBadModule for malformed wasm.
Result<std::optional<Metadata>> ReadMetadata(std::span<const std::uint8_t> wasm_bytes);
// Same, for a module that was already inspected.
Result<std::optional<Metadata>> ReadMetadata(const wasm::ModuleInfo& module);

// Returns a copy of `wasm` whose metadata sections are replaced by one holding `metadata`
// (compact JSON, appended at the end). Does not validate.
Result<std::vector<std::uint8_t>> WriteMetadata(std::span<const std::uint8_t> wasm,
                                                const Metadata& metadata);

// True when the module exports a symbol starting with `opa_`, i.e. it was built by `opa build`.
bool IsRegoModule(const wasm::ModuleInfo& module);

// Picks the runtime for a module the way `kwctl run` does: the CLI choice wins; otherwise the
// metadata's mode, which must agree with Rego detection (opa/gatekeeper need a Rego module,
// kubewarden-wapc must not be one); without metadata a Rego module is an error (OPA or
// Gatekeeper cannot be told apart) and anything else is kubewarden-wapc.
Result<ExecutionMode> ChooseExecutionMode(std::optional<ExecutionMode> cli_override,
                                          const std::optional<Metadata>& metadata,
                                          const wasm::ModuleInfo& module);

// Checks `minimumKubewardenVersion` against the running stack version, comparing major.minor
// only (patch and pre-release are ignored, as upstream does). OK when the metadata sets none.
Result<void> CheckMinimumKubewardenVersion(const Metadata& metadata,
                                           std::string_view running_version);

// True when `text` is a semantic version 2.0.0 (MAJOR.MINOR.PATCH[-pre][+build]).
bool IsValidSemver(std::string_view text);

}  // namespace kw::policy
