#include "ui/report.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "base/json.h"

namespace kw::ui {
namespace {

constexpr std::string_view kRunUidLabel = "kubewarden.io/audit-scanner-run-uid";
constexpr std::string_view kVerdictNames[kVerdictCount] = {"pass", "fail", "warn", "error", "skip"};
// Past this many results a report is cut short: one report per resource holds one result per
// policy, so this is far beyond any real one, and it bounds what one object costs the index.
constexpr std::size_t kMaxResultsPerReport = 10000;

// The string at `key` of `object`, "" when missing; a warning when present but not a string.
std::string OptionalString(const json::object& object, std::string_view key, std::string_view where,
                           std::vector<std::string>& warnings) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return {};
  if (!value->is_string()) {
    warnings.push_back(fmt::format("{}.{} is not a string: ignored", where, key));
    return {};
  }
  return std::string(value->get_string());
}

// protobuf's Timestamp ({"seconds": N, "nanos": N}) as the reports carry it, or an RFC 3339
// string as some writers put there.
std::string TimestampOf(const json::value* value, std::string_view where,
                        std::vector<std::string>& warnings) {
  if (value == nullptr || value->is_null()) return {};
  if (value->is_string()) return std::string(value->get_string());
  const json::value* seconds = value->is_object() ? value->get_object().if_contains("seconds") : nullptr;
  // Years 0..9999 only: gmtime and the format below cover them, and nothing real lies outside.
  constexpr double kMaxSeconds = 253402300799.0;
  if (seconds != nullptr && seconds->is_number()) {
    const double number = seconds->to_number<double>();
    if (number >= 0 && number <= kMaxSeconds) {
      return FormatTime(std::chrono::system_clock::from_time_t(static_cast<std::time_t>(number)));
    }
  }
  warnings.push_back(fmt::format("{}.timestamp is not a timestamp: ignored", where));
  return {};
}

void ReadResults(const json::value* results, ParsedReport& report) {
  if (results == nullptr || results->is_null()) return;
  if (!results->is_array()) {
    report.warnings.push_back("results is not a list: the report counts no result");
    return;
  }
  const json::array& entries = results->get_array();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string where = fmt::format("results[{}]", i);
    if (i == kMaxResultsPerReport) {
      report.warnings.push_back(fmt::format("more than {} results: the rest ignored", i));
      return;
    }
    if (!entries[i].is_object()) {
      report.warnings.push_back(where + " is not an object: ignored");
      continue;
    }
    const json::object& entry = entries[i].get_object();
    ReportResult result;
    result.policy = OptionalString(entry, "policy", where, report.warnings);
    if (result.policy.empty()) {
      report.warnings.push_back(where + " names no policy: ignored");
      continue;
    }
    const std::string verdict = OptionalString(entry, "result", where, report.warnings);
    if (!ParseVerdict(verdict, result.result)) {
      report.warnings.push_back(fmt::format("{} has result '{}', not pass, fail, warn, error or "
                                            "skip: ignored", where, verdict));
      continue;
    }
    result.rule = OptionalString(entry, "rule", where, report.warnings);
    result.message = OptionalString(entry, "message", where, report.warnings);
    result.severity = OptionalString(entry, "severity", where, report.warnings);
    result.category = OptionalString(entry, "category", where, report.warnings);
    result.timestamp = TimestampOf(entry.if_contains("timestamp"), where, report.warnings);
    result.properties = "{}";
    if (const json::value* properties = entry.if_contains("properties");
        properties != nullptr && !properties->is_null()) {
      if (properties->is_object()) {
        result.properties = ToJson(*properties);
      } else {
        report.warnings.push_back(where + ".properties is not an object: ignored");
      }
    }
    report.results.push_back(std::move(result));
  }
}

}  // namespace

std::string FormatTime(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", parts);
}

std::string_view VerdictName(Verdict verdict) { return kVerdictNames[static_cast<int>(verdict)]; }

bool ParseVerdict(std::string_view name, Verdict& verdict) {
  for (int i = 0; i < kVerdictCount; ++i) {
    if (kVerdictNames[i] == name) {
      verdict = static_cast<Verdict>(i);
      return true;
    }
  }
  return false;
}

Result<ParsedReport> ParseReport(std::string_view text) {
  KW_ASSIGN_OR_RETURN(json::value value, ParseJson(text, "the report is not JSON"));
  if (!value.is_object()) return Fail(ErrorKind::kInvalidArgument, "the report is not an object");
  const json::object& report = value.get_object();
  ParsedReport parsed;
  std::vector<std::string>& warnings = parsed.warnings;

  static const json::object kEmpty;
  const auto object_at = [&](const json::object& parent, std::string_view key,
                             std::string_view where) -> const json::object& {
    const json::value* found = parent.if_contains(key);
    if (found == nullptr || found->is_null()) return kEmpty;
    if (!found->is_object()) {
      warnings.push_back(fmt::format("{} is not an object: ignored", where));
      return kEmpty;
    }
    return found->get_object();
  };
  const json::object& metadata = object_at(report, "metadata", "metadata");
  const json::object& labels = object_at(metadata, "labels", "metadata.labels");
  const json::object& scope = object_at(report, "scope", "scope");
  parsed.run_uid = OptionalString(labels, kRunUidLabel, "metadata.labels", warnings);

  // Our scanner names each report after its resource's UID, so the name stands in for a scope
  // without one.
  AuditedResource& resource = parsed.resource;
  resource.uid = OptionalString(scope, "uid", "scope", warnings);
  if (resource.uid.empty()) resource.uid = OptionalString(metadata, "name", "metadata", warnings);
  if (resource.uid.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "the report names no resource (no scope.uid, no "
                                             "metadata.name)");
  }
  resource.api_version = OptionalString(scope, "apiVersion", "scope", warnings);
  resource.kind = OptionalString(scope, "kind", "scope", warnings);
  resource.ns = OptionalString(scope, "namespace", "scope", warnings);
  if (resource.ns.empty()) resource.ns = OptionalString(metadata, "namespace", "metadata", warnings);
  resource.name = OptionalString(scope, "name", "scope", warnings);
  ReadResults(report.if_contains("results"), parsed);
  return parsed;
}

}  // namespace kw::ui
