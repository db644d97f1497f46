// kyverno-dsl: the YAML a Kyverno ClusterPolicy is written in, converted to JSON values as
// sigs.k8s.io/yaml does (§18.1). A guest cannot use the host's yaml-cpp, so this is a compact
// reader of the block and flow styles policies use: mappings, sequences (also "- key: v"
// items), plain/single/double-quoted scalars, literal/folded block scalars (| > with - +),
// flow collections, comments and a leading `---`. Anchors, aliases, tags and multi-document
// streams are refused with an error. JSON text passes through the JSON parser.
//
// Errors read like Go's: "error converting YAML to JSON: yaml: line <n>: <reason>". Depth is
// bounded (kMaxYamlDepth), so hostile input gets an error.
#pragma once

#include <string>
#include <string_view>

#include "value.h"

namespace kyverno {

inline constexpr int kMaxYamlDepth = 128;

bool ParseYaml(std::string_view text, Value* out, std::string* error);

}  // namespace kyverno
