// YAML on top of yaml-cpp, seen through the project's JSON DOM.
//
// Every YAML input of the project (metadata.yml, settings files, policies.yml, sources.yaml, CRDs)
// is data that upstream deserializes with serde, so the rest of the code base only ever sees a
// Boost.JSON value. Scalars are resolved the way upstream's serde_yaml resolves them (YAML 1.2
// core schema): plain `null`/`~`/empty → null, `true`/`false` → bool, decimal/0x/0o/0b integers →
// int64 (uint64 above INT64_MAX, double beyond 64 bits), finite floats → double, everything else
// → string. Quoted and block scalars are always strings; integers with leading zeros (`0755`)
// stay strings; `.inf` and `.nan` become null because JSON cannot carry them.
//
// Text that looks like JSON (its first non-blank byte is `{` or `[`) is parsed as JSON by
// Boost.JSON (json.h), duplicate keys refused as in YAML; flow-style YAML that is not JSON falls
// back to the YAML parser. kAsStrings always reads YAML, which keeps each scalar's text.
//
// Parsing never throws: yaml-cpp exceptions are caught here and become kInvalidArgument errors
// "<what>: <reason> at line L column C". Input is untrusted, and bounded so that the value costs
// memory in proportion to the text: nesting is at most 256 levels deep, and the copies anchors
// and aliases make may cost at most twice what the text itself holds ("anchors and aliases copy
// more than twice what the document itself holds"). Callers cap the text (files.h). All
// functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace kw {

// How non-null scalars become JSON. kResolve applies the core schema described above.
// kAsStrings keeps every scalar's text as a string (`1.0` → "1.0", `true` → "true"): serde reads a
// plain scalar into a String field verbatim, so callers use this view for string-typed fields
// such as annotation values. Null scalars are null in both modes.
enum class YamlScalars { kResolve, kAsStrings };

// Parses the first YAML document of `text` (an empty text is null). Mapping keys must be scalars
// and unique within their mapping.
Result<json::value> ParseYamlAsJson(std::string_view text, std::string_view what = "invalid YAML",
                                    YamlScalars scalars = YamlScalars::kResolve);

// Parses every document of a multi-document stream (`---` separated), in order. An empty text
// has no documents.
Result<std::vector<json::value>> ParseYamlDocumentsAsJson(
    std::string_view text, std::string_view what = "invalid YAML",
    YamlScalars scalars = YamlScalars::kResolve);

// A document whose root node carries a tag, as serde_yaml writes an externally tagged enum
// variant (`!KubernetesGetResource` followed by the variant's fields).
struct TaggedYaml {
  std::string tag;  // as written ("!KubernetesGetResource"); "" when the root has no tag
  json::value value;
};

// ParseYamlAsJson (always through the YAML parser, kResolve), keeping the root node's tag.
// Tags below the root are ignored, as ParseYamlAsJson does.
Result<TaggedYaml> ParseTaggedYamlAsJson(std::string_view text,
                                         std::string_view what = "invalid YAML");

// Renders `value` as block-style YAML ending with a newline. Object keys keep their order;
// sequences under a key are not indented (the kubectl/serde_yaml layout). Strings are quoted only
// when a plain scalar would read back as something else; multi-line strings use literal blocks.
// The output parses back with ParseYamlAsJson into an equal value.
std::string JsonToYaml(const json::value& value);

}  // namespace kw
