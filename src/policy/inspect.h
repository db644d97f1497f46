// `kwctl inspect`: rendering a policy's metadata for people (pretty) and for tools (YAML).
//
// The pretty layout follows tooling.md §3.4 as plain text, without terminal colours: sections
// "Details", "Annotations", "Rules" (YAML in a ```yaml fence), "Context Aware" and "Usage",
// separated by blank lines; rows are "<label>:" padded to a common column, then the value.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "policy/metadata.h"

namespace kw::policy {

// The human-readable report. `uri` is the policy as the user named it; it appears in the hint of
// the "Context Aware" section.
std::string RenderInspectPretty(const Metadata& metadata, std::string_view uri);

// `kwctl inspect -o yaml`: the metadata object (MetadataToJson) as YAML.
std::string RenderInspectYaml(const Metadata& metadata);

}  // namespace kw::policy
