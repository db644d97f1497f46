// The CEL check of a policy's matchConditions (crd::WebhookOptions::compile_match_condition):
// each expression must compile, as the API server requires when the controller registers the
// policy's webhook; a policy whose condition does not is refused when it is applied instead of
// failing later, unseen, in the controller's logs.
//
// Compiled with the CEL of src/cel and the libraries Kubernetes enables for admission
// expressions. Its detail reads as the API server's: "compilation failed: ERROR: <input>:1:5:
// ...". What the type checker will add (the result must be a bool, the variables are object,
// oldObject, request and authorizer) comes with it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kw::controller {

// nullopt when `expression` compiles, else why not.
std::optional<std::string> CheckMatchCondition(std::string_view expression);

}  // namespace kw::controller
