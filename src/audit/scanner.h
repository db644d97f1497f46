// The audit scan (spec/tooling.md §8): every resource the active policies audit, sent as a
// synthetic CREATE to its policy server's /audit endpoint, and one report per resource written
// with the verdicts (report.h), stale reports of earlier runs removed.
//
// The cluster-wide scan comes first (unless a namespace is asked for), then each namespace but
// the ignored ones and the Kubewarden namespace. A policy that cannot be audited counts as
// skipped or errored in the summaries of its scope (selection.h); a policy server that cannot be
// reached or answers garbage errors the results of its policies only, and the scan goes on
// (audit_client.h).
//
// Concurrency: `parallel_namespaces` threads list namespaces' resources page by page and hand
// each resource to one evaluation pool of `parallel_resources` threads, its policies split into
// up to `parallel_policies` chunks evaluated at once. A lister keeps at most two pages in flight,
// so memory stays bounded whatever the cluster's size. Only reports that changed are written,
// and reports no longer made are deleted (report_store.h).
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
  unsigned parallel_namespaces = 1;
  unsigned parallel_resources = 100;
  unsigned parallel_policies = 5;
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
  std::uint64_t reports_unchanged = 0;  // found as they were: not written again
  std::uint64_t reports_deleted = 0;    // of resources gone or no longer audited
  std::uint64_t pass = 0, fail = 0, error = 0;
};

// Runs one scan. Fails only when the scan cannot start or go on at all (the policies or the
// namespaces cannot be listed); everything else is counted in the reports.
Result<ScanSummary> Scan(const std::shared_ptr<const kube::Client>& client,
                         const ScanOptions& options);

}  // namespace kw::audit
