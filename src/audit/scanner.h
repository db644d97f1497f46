// The audit scan (spec/tooling.md §8): every resource the active policies audit, sent as a
// synthetic CREATE to its policy server's /audit endpoint, and one report per resource written
// with the verdicts (report.h), stale reports of earlier runs removed.
//
// The cluster-wide scan comes first (unless a namespace is asked for), then each namespace but
// the ignored ones and the Kubewarden namespace. A policy that cannot be audited counts as
// skipped or errored in the summaries of its scope (selection.h); a policy server that cannot be
// reached or answers garbage errors the results of its policies only, and the scan goes on.
// Resources are listed page by page and evaluated `parallel_resources` at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include "audit/report.h"
#include "base/error.h"
#include "kube/client.h"
#include "net/http_client.h"

namespace kw::audit {

struct ScanOptions {
  std::string kubewarden_namespace = "kubewarden";
  std::string only_namespace;    // -n: this namespace only
  bool only_cluster = false;     // -c: cluster-scoped resources only
  std::vector<std::string> ignored_namespaces;
  std::string policy_server_url;  // -u: <url>/audit/<id> for every policy
  ReportKind report_kind = ReportKind::kPolicyReport;
  bool store = true;              // false: --disable-store
  bool output_scan = false;       // log each report
  unsigned parallel_resources = 100;
  std::size_t page_size = 100;
  std::chrono::milliseconds request_timeout{10000};
  std::shared_ptr<const net::TlsConfig> tls;  // for https:// policy servers
  std::string run_uid;                        // a fresh UUID per run
  // A preview of one policy (--policy: its name, <namespace>/<name> for namespaced kinds, or its
  // unique name): only it is evaluated, whatever its state, nothing is written, and each
  // resource it would reject is printed on `preview_out`.
  std::string preview_policy;
  std::ostream* preview_out = nullptr;
};

struct ScanSummary {
  std::uint64_t resources = 0;
  std::uint64_t reports_written = 0;
  std::uint64_t pass = 0, fail = 0, error = 0;
};

// Runs one scan. Fails only when the scan cannot start or go on at all (the policies or the
// namespaces cannot be listed); everything else is counted in the reports.
Result<ScanSummary> Scan(const std::shared_ptr<const kube::Client>& client,
                         const ScanOptions& options);

}  // namespace kw::audit
