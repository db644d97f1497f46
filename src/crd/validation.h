// Validation of Kubewarden CRs by the controller's validating webhooks (spec tooling.md
// §5.2-5.5): every problem of the object, as Kubernetes field errors (field_error.h).
//
// It works on the raw JSON the user sent, so a wrong type is reported on its field like any
// other problem, never a crash. Pure apart from `lookup`; thread-safe if `lookup` is.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "crd/field_error.h"
#include "crd/object_lookup.h"
#include "crd/types.h"

namespace kw::crd {

struct WebhookOptions {
  // Where the controller runs and creates the policy servers (--deployments-namespace); a
  // PolicyServer's imagePullSecret and sigstoreTrustConfig are looked up there.
  std::string deployments_namespace = "kubewarden";
  // Compiles a matchCondition's CEL expression in the Kubernetes admission environment: nullopt
  // when it compiles, else the detail of the error (controller/match_conditions.h). Unset:
  // expressions are not checked (the API server still checks them when the policy's webhook is
  // registered).
  std::function<std::optional<std::string>(std::string_view expression)> compile_match_condition;
};

// The errors of `object`, a policy or policy group of `kind`; `old_object` is the stored object
// on an update and nullptr on a create. Empty: valid.
FieldErrors ValidatePolicy(PolicyKind kind, const json::value& object,
                           const json::value* old_object, const WebhookOptions& options);

// The errors of the PolicyServer `object`. An update is checked as a create.
FieldErrors ValidatePolicyServer(const json::value& object, ObjectLookup& lookup,
                                 const WebhookOptions& options);

}  // namespace kw::crd
