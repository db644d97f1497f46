// The compliance UI's reading of one policy report (spec/tooling.md §8.4; what src/audit/report.cc
// writes): PolicyReport/ClusterPolicyReport of wgpolicyk8s.io/v1alpha2 or Report/ClusterReport of
// openreports.io/v1alpha1, one per audited resource.
//
// Reports come from the API server, which anybody with write access to them fills: hostile
// input. A report that is not a JSON object is refused; anything else that is missing or of the
// wrong type is left out with a warning (a result that is not an object, a result without a
// policy or with an unknown verdict, `results` that is not a list), so that one bad report or
// entry never hides the others.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace kw::ui {

// The verdicts of a result, in the order the API lists them.
enum class Verdict { kPass, kFail, kWarn, kError, kSkip };
inline constexpr int kVerdictCount = 5;
std::string_view VerdictName(Verdict verdict);
// "pass", "fail", ...; false for anything else.
bool ParseVerdict(std::string_view name, Verdict& verdict);

// RFC 3339 in UTC with seconds ("2026-01-02T03:04:05Z"), as the API shows every time.
std::string FormatTime(std::chrono::system_clock::time_point time);

// The audited resource a report is about (its `scope`).
struct AuditedResource {
  std::string uid;
  std::string api_version;
  std::string kind;
  std::string ns;  // "" for cluster-scoped resources
  std::string name;
  bool operator==(const AuditedResource&) const = default;
};

struct ReportResult {
  std::string policy;
  std::string rule;
  Verdict result = Verdict::kPass;
  std::string message;
  std::string severity;  // "" when absent
  std::string category;  // "" when absent
  std::string timestamp;  // RFC 3339 (UTC), "" when absent
  std::string properties;  // a JSON object as compact text ("{}" when absent)
  bool operator==(const ReportResult&) const = default;
};

struct ParsedReport {
  AuditedResource resource;
  std::string run_uid;  // label kubewarden.io/audit-scanner-run-uid, "" when absent
  std::vector<ReportResult> results;
  std::vector<std::string> warnings;  // what was left out, and why
  bool operator==(const ParsedReport&) const = default;
};

// Reads a report's JSON text. kInvalidArgument when it is not JSON, not an object, or names no
// resource at all (neither scope.uid nor metadata.name).
Result<ParsedReport> ParseReport(std::string_view json);

}  // namespace kw::ui
