// `kwctl annotate`: turning a policy module plus its metadata.yml into an annotated module.
//
// The caller (kwctl) reads the files and, for waPC policies, runs the guest's `protocol_version`
// call; this component does everything else of tooling.md §3.3: it checks that the declared
// executionMode agrees with the module (Rego or not), fills in protocolVersion and the
// `io.kubewarden.kwctl` / `io.kubewarden.policy.usage` annotations, validates the result, renames
// Javy's `kubewarden:javy/host.call` import to `host.call`, and replaces the metadata section.
// Pure functions, thread-safe; errors are kInvalidArgument (bad metadata) or kBadModule.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "policy/metadata.h"

namespace kw::policy {

// Parses a metadata.yml (the JSON fields of the metadata section, written as YAML;
// `protocolVersion` is not needed, `hostCapabilities` is a top-level key). Does not validate.
Result<Metadata> MetadataFromYaml(std::string_view yaml_text);

// Returns `wasm` annotated with `metadata`.
//
// `protocol_version_from_guest` is what the waPC guest's `protocol_version` call returned: either
// its JSON text (`"v1"`, quotes included) or the bare name (`v1`). It is required when
// `metadata.execution_mode` is kubewarden-wapc and ignored otherwise (those get "Unknown").
// `usage_text`, when set, becomes the `io.kubewarden.policy.usage` annotation. `kwctl_version` is
// recorded in `io.kubewarden.kwctl`. Validation failures read "Metadata is invalid: <reason>".
Result<std::vector<std::uint8_t>> Annotate(std::span<const std::uint8_t> wasm, Metadata metadata,
                                           std::optional<std::string> protocol_version_from_guest,
                                           std::optional<std::string> usage_text,
                                           std::string_view kwctl_version);

}  // namespace kw::policy
