// What `kwctl scaffold verification-config | manifest | artifacthub` print (tooling.md §1.4,
// §3.5, §4.1, §5), as pure functions of their inputs: the commands in commands.h read the files,
// call these and print the result. Output follows upstream kwctl's field names and order, so
// that the YAML can be diffed against what upstream generates. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "policy/metadata.h"

namespace kw::kwctl {

// `kwctl scaffold verification-config`: upstream's comment header, which tells where to save the
// file (`default_config_path`), then a config accepting only policies signed by Kubewarden's
// GitHub Actions (allOf: githubAction, owner kubewarden; the unset fields written as null).
std::string ScaffoldVerificationConfigText(std::string_view default_config_path);

// --- scaffold manifest ---------------------------------------------------------------------

enum class ManifestType { kClusterAdmissionPolicy, kAdmissionPolicy };

// "ClusterAdmissionPolicy" or "AdmissionPolicy"; anything else is kInvalidArgument.
Result<ManifestType> ParseManifestType(std::string_view text);

// The settings of `scaffold manifest`: the text of --settings-path or --settings-json (JSON is
// YAML), nullopt when neither was given. Empty or null settings are `{}`; anything else must be
// a mapping.
Result<json::value> ParseManifestSettings(const std::optional<std::string>& text,
                                          std::string_view what);

// True when `name` can be metadata.name of a policy: what the API server accepts, apimachinery's
// IsDNS1123Subdomain (labels of a-z, 0-9 and '-', starting and ending alphanumeric, joined by
// '.'; at most 253 characters in all).
bool IsValidResourceName(std::string_view name);

struct ManifestRequest {
  ManifestType type = ManifestType::kClusterAdmissionPolicy;
  std::string module_uri;  // spec.module, as given or as file:///<absolute path>
  policy::Metadata metadata;
  json::value settings = json::object();  // see ParseManifestSettings
  std::optional<std::string> title;       // --title; wins over io.kubewarden.policy.title
  bool allow_context_aware = false;
};

struct Manifest {
  json::value resource;               // the custom resource, keys in upstream's order
  std::vector<std::string> warnings;  // for the log, as upstream logs them
};

// Builds the ClusterAdmissionPolicy or AdmissionPolicy for a policy. The metadata must validate
// ("Metadata is invalid: ..."). metadata.name is the title (omitted, with a warning, when there
// is none); metadata.annotations copies only the severity and category annotations. spec holds
// module, settings, rules, mutating, backgroundAudit (only when false: true is the CRD default)
// and, for a ClusterAdmissionPolicy, contextAwareResources: copied only when
// `allow_context_aware`, because the policy gets to read those resources once deployed;
// otherwise left out with a warning telling the user to review and add them.
Result<Manifest> BuildPolicyManifest(const ManifestRequest& request);

// --- scaffold vap --------------------------------------------------------------------------

// The default module of `scaffold vap --cel-policy`.
inline constexpr std::string_view kDefaultCelPolicyModule =
    "ghcr.io/kubewarden/policies/cel-policy:latest";

struct VapRequest {
  json::value policy;   // an admissionregistration.k8s.io ValidatingAdmissionPolicy
  json::value binding;  // its ValidatingAdmissionPolicyBinding
  std::string cel_policy_module = std::string(kDefaultCelPolicyModule);
};

// The ClusterAdmissionPolicy running `policy` and `binding` on cel-policy (tooling.md §1.4):
// metadata from the binding (name, labels, annotations); spec.module the cel-policy module;
// settings failurePolicy, variables, validations, and paramKind with paramRef (both or
// neither); rules from the policy's matchConstraints.resourceRules (resourceNames cannot be
// expressed: dropped with a warning), its matchPolicy and objectSelector; the binding's
// matchResources.namespaceSelector; mutating false. What cel-policy cannot run (auditAnnotations,
// matchConditions, the binding's validationActions other than Deny) is left out with a warning,
// as is a cel-policy module without a tag or tagged `latest`. Errors name the file's problem:
// a wrong kind, a binding for another policy, paramKind without paramRef.
Result<Manifest> BuildVapManifest(const VapRequest& request);

// --- scaffold artifacthub ------------------------------------------------------------------

struct Maintainer {
  std::string name;
  std::string email;

  bool operator==(const Maintainer&) const = default;
};

// Parses io.kubewarden.policy.author, an RFC 5322 address list: `Name <mail>`, `"Last, First"
// <mail>` or a bare `mail`, separated by commas. Every entry needs an address with an '@'.
Result<std::vector<Maintainer>> ParseMaintainers(std::string_view authors);

// RFC 3339 in UTC with the nanoseconds, trailing zeros dropped (2024-05-01T10:00:00.5Z), as
// upstream's `createdAt`.
std::string FormatRfc3339(std::chrono::system_clock::time_point time);

// The artifacthub-pkg.yml object for `metadata` (a metadata.yml), created at `created_at`, with
// the questions file's text embedded verbatim when there is one. The version, title, display
// name, description and OCI URL annotations are required (an error names the missing one); the
// version must be semver and the questions text must not be empty.
Result<json::value> BuildArtifactHubPackage(const policy::Metadata& metadata,
                                            const std::optional<std::string>& questions,
                                            std::chrono::system_clock::time_point created_at);

// The whole file: upstream's comment header, then the package as YAML.
Result<std::string> ScaffoldArtifactHubText(const policy::Metadata& metadata,
                                            const std::optional<std::string>& questions,
                                            std::chrono::system_clock::time_point created_at);

}  // namespace kw::kwctl
