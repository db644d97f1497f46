#include "policy/annotate.h"

#include <utility>

#include "base/json.h"
#include "base/yaml.h"
#include "wasm/wasm_binary.h"

namespace kw::policy {
namespace {

// Javy compiles JS policies against its own import namespace; the Kubewarden host only provides
// waPC's `host.call`, so kwctl rewires the import at annotation time.
constexpr std::string_view kJavyHostModule = "kubewarden:javy/host";
constexpr std::string_view kJavyHostName = "call";
constexpr std::string_view kWapcHostModule = "host";
constexpr std::string_view kWapcHostName = "call";

Result<ProtocolVersion> ParseGuestProtocolVersion(std::string_view reported) {
  std::string name(reported);
  // The guest answers with a JSON string; accept the bare name too, for callers that decoded it.
  if (auto json = ParseJson(reported); json && json->is_string()) {
    name = std::string(json->get_string());
  }
  if (name == "v1") return ProtocolVersion::kV1;
  return Fail(ErrorKind::kInvalidArgument,
              "the policy reports an unsupported waPC protocol version '" + name +
                  "' (expected \"v1\")");
}

}  // namespace

Result<Metadata> MetadataFromYaml(std::string_view yaml_text) {
  KW_ASSIGN_OR_RETURN(json::value json, ParseYamlAsJson(yaml_text, "invalid metadata YAML"));
  // Upstream deserializes annotation values straight into strings, so `hidden-ui: true` or
  // `version: 1.0` are accepted there with their literal text; take those values from a
  // string-only view of the same document.
  if (json::value* annotations = json.is_object() ? json.get_object().if_contains("annotations")
                                                  : nullptr;
      annotations && annotations->is_object()) {
    KW_ASSIGN_OR_RETURN(json::value text_view, ParseYamlAsJson(yaml_text, "invalid metadata YAML",
                                                               YamlScalars::kAsStrings));
    const json::value* text_annotations = FindKey(text_view, "annotations");
    for (auto& member : annotations->get_object()) {
      if (!member.value().is_number() && !member.value().is_bool()) continue;
      if (const json::value* text = text_annotations ? FindKey(*text_annotations, member.key())
                                                     : nullptr) {
        member.value() = *text;
      }
    }
  }
  auto metadata = MetadataFromJson(json);
  if (!metadata) return std::unexpected(metadata.error().Wrap("invalid metadata"));
  return std::move(*metadata);
}

Result<std::vector<std::uint8_t>> Annotate(std::span<const std::uint8_t> wasm, Metadata metadata,
                                           std::optional<std::string> protocol_version_from_guest,
                                           std::optional<std::string> usage_text,
                                           std::string_view kwctl_version) {
  KW_ASSIGN_OR_RETURN(wasm::ModuleInfo module, wasm::Inspect(wasm));
  bool rego = IsRegoModule(module);
  std::string mode_name(ExecutionModeName(metadata.execution_mode));
  switch (metadata.execution_mode) {
    case ExecutionMode::kOpa:
    case ExecutionMode::kGatekeeper:
      if (!rego) {
        return Fail(ErrorKind::kInvalidArgument,
                    "wrong executionMode '" + mode_name +
                        "' in the metadata: the module is not a Rego policy (it exports no opa_* "
                        "symbol)");
      }
      metadata.protocol_version = ProtocolVersion::kUnknown;
      break;
    case ExecutionMode::kKubewardenWapc: {
      if (rego) {
        return Fail(ErrorKind::kInvalidArgument,
                    "wrong executionMode 'kubewarden-wapc' in the metadata: the module is a Rego "
                    "policy, use 'opa' or 'gatekeeper'");
      }
      if (!protocol_version_from_guest) {
        return Fail(ErrorKind::kInvalidArgument,
                    "the protocol version of the kubewarden-wapc policy is unknown: the guest's "
                    "protocol_version call gave no answer");
      }
      KW_ASSIGN_OR_RETURN(metadata.protocol_version,
                          ParseGuestProtocolVersion(*protocol_version_from_guest));
      break;
    }
    case ExecutionMode::kWasi:
      metadata.protocol_version = ProtocolVersion::kUnknown;
      break;
  }

  auto& annotations = metadata.annotations ? *metadata.annotations : metadata.annotations.emplace();
  annotations.insert_or_assign(std::string(kAnnotationKwctlVersion), std::string(kwctl_version));
  if (usage_text) {
    annotations.insert_or_assign(std::string(kAnnotationUsage), std::move(*usage_text));
  }

  if (auto valid = ValidateMetadata(metadata); !valid) {
    return std::unexpected(valid.error().Wrap("Metadata is invalid"));
  }

  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> renamed,
                      wasm::RenameImport(wasm, kJavyHostModule, kJavyHostName, kWapcHostModule,
                                         kWapcHostName));
  return WriteMetadata(renamed, metadata);
}

}  // namespace kw::policy
