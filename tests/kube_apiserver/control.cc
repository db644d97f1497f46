#include "kube_apiserver/control.h"

namespace kw::kube_double {
namespace {

Result<Fault> ParseFault(const json::value& value) {
  if (!value.is_object()) return Fail(ErrorKind::kInvalidArgument, "a fault must be an object");
  const json::object& o = value.get_object();
  Fault fault;
  auto text = [&](std::string_view key, std::string& out) -> Result<void> {
    const json::value* v = o.if_contains(key);
    if (!v) return {};
    if (!v->is_string()) {
      return Fail(ErrorKind::kInvalidArgument, "fault: " + std::string(key) + " must be a string");
    }
    out = std::string(v->get_string());
    return {};
  };
  auto number = [&](std::string_view key, std::int64_t low, std::int64_t high,
                    std::int64_t& out) -> Result<void> {
    const json::value* v = o.if_contains(key);
    if (!v) return {};
    if (!v->is_int64() || v->get_int64() < low || v->get_int64() > high) {
      return Fail(ErrorKind::kInvalidArgument, "fault: " + std::string(key) +
                                                   " must be an integer in [" +
                                                   std::to_string(low) + ", " +
                                                   std::to_string(high) + "]");
    }
    out = v->get_int64();
    return {};
  };
  KW_TRY(text("path", fault.path_prefix));
  KW_TRY(text("verb", fault.verb));
  KW_TRY(text("reason", fault.reason));
  KW_TRY(text("message", fault.message));
  std::string body;
  if (o.contains("body")) {
    KW_TRY(text("body", body));
    fault.body = body;
  }
  std::int64_t count = 1, delay = 0, status = 0, cut = -1;
  KW_TRY(number("count", 1, 1'000'000, count));
  KW_TRY(number("delayMs", 0, 600'000, delay));
  KW_TRY(number("status", 100, 599, status));
  KW_TRY(number("cutAfterEvents", 0, 1'000'000, cut));
  fault.remaining = static_cast<int>(count);
  fault.delay = std::chrono::milliseconds(delay);
  fault.status = static_cast<int>(status);
  fault.cut_after_events = static_cast<int>(cut);
  if (const json::value* g = o.if_contains("garbage")) {
    if (!g->is_bool()) return Fail(ErrorKind::kInvalidArgument, "fault: garbage must be a boolean");
    fault.garbage = g->get_bool();
  }
  if (fault.path_prefix.empty() || fault.path_prefix.front() != '/') {
    return Fail(ErrorKind::kInvalidArgument, "fault: path must be a path prefix starting with /");
  }
  return fault;
}

}  // namespace

Result<void> Faults::Add(const json::value& rules) {
  std::vector<Fault> parsed;
  if (rules.is_array()) {
    for (const auto& r : rules.get_array()) {
      KW_ASSIGN_OR_RETURN(Fault f, ParseFault(r));
      parsed.push_back(std::move(f));
    }
  } else {
    KW_ASSIGN_OR_RETURN(Fault f, ParseFault(rules));
    parsed.push_back(std::move(f));
  }
  std::lock_guard lock(mutex_);
  rules_.insert(rules_.end(), parsed.begin(), parsed.end());
  return {};
}

void Faults::Clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

std::optional<Fault> Faults::Take(std::string_view verb, std::string_view path) {
  std::lock_guard lock(mutex_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (!path.starts_with(it->path_prefix)) continue;
    if (!it->verb.empty() && it->verb != verb) continue;
    Fault fault = *it;
    if (--it->remaining <= 0) rules_.erase(it);
    return fault;
  }
  return std::nullopt;
}

void RequestCounter::Count(const std::string& verb, const std::string& path) {
  std::lock_guard lock(mutex_);
  ++counts_[{path, verb}];
}

json::object RequestCounter::ToJson() const {
  std::lock_guard lock(mutex_);
  json::array requests;
  for (const auto& [key, count] : counts_) {
    requests.push_back(json::object{{"verb", key.second}, {"path", key.first}, {"count", count}});
  }
  return json::object{{"requests", std::move(requests)}};
}

std::uint64_t RequestCounter::Get(const std::string& verb, const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find({path, verb});
  return it == counts_.end() ? 0 : it->second;
}

void RequestCounter::Reset() {
  std::lock_guard lock(mutex_);
  counts_.clear();
}

}  // namespace kw::kube_double
