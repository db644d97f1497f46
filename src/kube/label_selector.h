// metav1.LabelSelector ({matchLabels, matchExpressions}) evaluated against an object's labels, as
// webhooks' namespace/object selectors and policies' namespaceSelector are: every requirement
// must hold; `In`/`NotIn` compare against `values`, `Exists`/`DoesNotExist` test the key. A null
// or absent selector selects everything, an empty one too.
#pragma once

#include "base/error.h"
#include "base/json.h"

namespace kw::kube {

// `labels`: the metadata.labels object, or nullptr/null when the object has none. A malformed
// selector (not an object, a non-string label value, an unknown operator) is kInvalidArgument
// naming what is wrong: the API server refuses to store those, so a caller usually treats the
// error as "selects nothing".
Result<bool> LabelSelectorMatches(const json::value* selector, const json::value* labels);

}  // namespace kw::kube
