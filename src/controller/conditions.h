// Status conditions (metav1.Condition) as apimachinery's meta.SetStatusCondition keeps them: one
// per type, lastTransitionTime moved only when the status flips, so that rewriting the same
// condition changes nothing and costs no write.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/json.h"

namespace kw::controller {

// RFC 3339 in UTC with seconds, as metav1.Time renders.
std::string Rfc3339(std::chrono::system_clock::time_point time);

struct Condition {
  std::string_view type;
  bool status = false;
  std::string_view reason;
  std::string_view message;
};

// Sets `condition` in `conditions` (a list of metav1.Condition), keeping its lastTransitionTime
// unless its status changes (then `now`).
void SetCondition(json::array& conditions, const Condition& condition, std::string_view now);

// The status ("True"/"False"/"Unknown") of the condition of `type`, "" when absent.
std::string ConditionStatus(const json::value& conditions, std::string_view type);

}  // namespace kw::controller
