// The diff of json_patch.h over simdjson DOMs, for callers that already hold both documents
// parsed (response.cc diffs a policy's mutated object while its answer's DOM is alive). Private
// to the admission component.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <string>

namespace kw::admission::internal {

// Appends the JSON Patch that turns `from` into `to` (a JSON array, `[]` when they are equal)
// to `out`, and returns its number of operations.
std::size_t AppendDiff(simdjson::dom::element from, simdjson::dom::element to, std::string& out);

}  // namespace kw::admission::internal
