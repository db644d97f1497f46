#include "admission/response_handler.h"

#include <utility>

namespace kw::admission {

AdmissionResponse ApplyResponseHandler(AdmissionResponse response,
                                       const PolicyResponseOptions& options) {
  if (options.monitor_mode) {
    response.allowed = true;
    response.patch.reset();
    response.patch_type.reset();
    response.status.reset();
    return response;
  }
  if (!options.allowed_to_mutate && response.patch) {
    response.allowed = false;
    response.patch.reset();
    response.patch_type.reset();
    response.status.emplace().message =
        "Request rejected by policy " + options.policy_id +
        ". The policy attempted to mutate the request, but it is currently configured to not "
        "allow mutations.";
  }
  if (!response.allowed && options.custom_message) {
    AdmissionResponseStatus& status =
        response.status ? *response.status : response.status.emplace();
    StatusCause cause;
    cause.message = std::exchange(status.message, *options.custom_message).value_or("");
    StatusDetails& details = status.details ? *status.details : status.details.emplace();
    details.causes.push_back(std::move(cause));
  }
  return response;
}

}  // namespace kw::admission
