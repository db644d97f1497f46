// Defaulting of Kubewarden CRs by the controller's mutating webhooks (spec tooling.md §5.6):
// policies and groups get `spec.policyServer: default` when it is empty or absent, and every
// kind gets the finalizer `kubewarden.io/finalizer`. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace kw::crd {

inline constexpr std::string_view kDefaultPolicyServer = "default";

// The RFC 6902 JSON Patch (JSON text, "[]" when nothing changes) that defaults the policy or
// policy group in `object_json`: the finalizer (types.h's kFinalizer) and the policy server.
// Fails with kInvalidArgument when it is not a JSON object, or when `metadata`,
// `metadata.finalizers` or `spec` has a type that cannot take the defaults.
Result<std::string> PolicyDefaultingPatch(std::string_view object_json);

// The same for a PolicyServer: the finalizer only.
Result<std::string> PolicyServerDefaultingPatch(std::string_view object_json);

}  // namespace kw::crd
