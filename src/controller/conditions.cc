#include "controller/conditions.h"

#include <ctime>

namespace kw::controller {

std::string Rfc3339(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

void SetCondition(json::array& conditions, const Condition& condition, std::string_view now) {
  const std::string_view status = condition.status ? "True" : "False";
  for (json::value& existing : conditions) {
    if (!existing.is_object() || StringAt(existing, {"type"}) != condition.type) continue;
    json::object& object = existing.as_object();
    if (StringAt(existing, {"status"}) != status || !object.contains("lastTransitionTime")) {
      object["lastTransitionTime"] = now;
    }
    object["status"] = status;
    object["reason"] = condition.reason;
    object["message"] = condition.message;
    return;
  }
  conditions.emplace_back(json::object{{"type", condition.type},
                                       {"status", status},
                                       {"lastTransitionTime", now},
                                       {"reason", condition.reason},
                                       {"message", condition.message}});
}

std::string ConditionStatus(const json::value& conditions, std::string_view type) {
  if (!conditions.is_array()) return {};
  for (const json::value& condition : conditions.get_array()) {
    if (StringAt(condition, {"type"}) == type) return StringAt(condition, {"status"});
  }
  return {};
}

}  // namespace kw::controller
