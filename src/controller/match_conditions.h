// The CEL check of a policy's matchConditions (crd::WebhookOptions::compile_match_condition):
// each expression must compile, as the API server requires when the controller registers the
// policy's webhook; a policy whose condition does not is refused when it is applied instead of
// failing later, unseen, in the controller's logs.
//
// Parsed, type-checked and planned with the CEL of src/cel, the libraries Kubernetes enables
// (cel/libraries.h) and its optional syntax: the variables are object, oldObject and request
// (dyn: they come as JSON), `authorizer` (kubernetes.authorization.Authorizer) and
// `authorizer.requestResource` (kubernetes.authorization.ResourceCheck), whose library is
// declared for the checker only; the result must be a bool. The detail reads as the API
// server's: "compilation failed: ERROR: <input>:1:5: ..." or "compilation failed: must
// evaluate to bool".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kw::controller {

// nullopt when `expression` compiles, else why not.
std::optional<std::string> CheckMatchCondition(std::string_view expression);

}  // namespace kw::controller
