// The per-policy post-processing of a response (spec policy-server §3.2), applied by
// /validate, /validate_raw and kwctl run (not /audit) after the vanilla response is built.
//
// Rules, in this order:
//   a. monitor mode: allowed=true; patch, patchType and status cleared; warnings and audit
//      annotations kept. Nothing else applies afterwards.
//   b. protect mode, mutation not allowed, patch present: allowed=false, patch removed, status
//      replaced by {message: "Request rejected by policy <id>. The policy attempted to mutate
//      the request, but it is currently configured to not allow mutations."} (no code).
//   c. rejected and a custom message configured: status.message becomes the custom message and
//      the original message (or "") is appended to status.details.causes as
//      {reason: null, message: <original>, field: null}; other status fields are kept.
// Logging the would-be response in monitor mode is the caller's job: log the input before
// calling this when `monitor_mode` is set.
#pragma once

#include <optional>
#include <string>

#include "admission/response.h"

namespace kw::admission {

struct PolicyResponseOptions {
  std::string policy_id;
  bool monitor_mode = false;
  bool allowed_to_mutate = false;
  std::optional<std::string> custom_message;
};

AdmissionResponse ApplyResponseHandler(AdmissionResponse response,
                                       const PolicyResponseOptions& options);

}  // namespace kw::admission
