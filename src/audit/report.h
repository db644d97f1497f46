// What the audit scanner sends and writes (spec/tooling.md §8.3, §8.4): the synthetic
// AdmissionReview for one resource, the verdict read from policy-server's /audit answer, and the
// one report per resource (PolicyReport/ClusterPolicyReport of wgpolicyk8s.io/v1alpha2, or
// Report/ClusterReport of openreports.io/v1alpha1) in upstream's exact shape. Pure.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/sha256.h"
#include "crd/types.h"
#include "kube/discovery.h"

namespace kw::audit {

// The AdmissionReview policy-server's /audit gets for `resource` of `type`: operation CREATE,
// the resource as `object`, its UID as the request's, `resource.resource` set to the Kind (an
// upstream quirk kept: policies see what they see upstream) and an empty userInfo.
std::string SyntheticReview(const json::value& resource, const kube::ResourceType& type);

enum class Verdict { kPass, kFail, kError };
struct Evaluation {
  Verdict verdict = Verdict::kError;
  std::string message;
};
// policy-server's answer: a transport failure or a non-200 status (`http_status` 0 for the
// former, `error` saying why) is an error, as is an answer with status.code 500; else allowed is
// a pass, refused a fail; the message is response.status.message.
Evaluation ReadAuditAnswer(int http_status, std::string_view body, std::string_view error = {});

enum class ReportKind { kPolicyReport, kOpenReports };

struct PolicyResult {
  const crd::Policy* policy = nullptr;
  Evaluation evaluation;
};

struct ReportContext {
  ReportKind kind = ReportKind::kOpenReports;
  std::string run_uid;
  std::chrono::system_clock::time_point now;
  // The scope's skipped and errored policies (counted in every report's summary, as upstream).
  int skipped_policies = 0;
  int errored_policies = 0;
};

// Bounds that keep every report writable (etcd takes objects up to 1.5 MiB, and a policy's
// message is the policy's to choose): a result's message is cut at kMaxMessageBytes, and a
// report still over kMaxReportBytes keeps its most telling results (fail, then error, then pass)
// and names in the annotation kTruncatedAnnotation how many it left out. The summary always
// counts every result.
inline constexpr std::size_t kMaxMessageBytes = 4096;
inline constexpr std::size_t kMaxReportBytes = 1u << 20;
inline constexpr std::string_view kTruncatedAnnotation = "kubewarden.io/audit-scanner-truncated";

// The report of `resource`, with one result per policy that evaluated it.
json::value BuildReport(const json::value& resource, const kube::ResourceType& type,
                        const std::vector<PolicyResult>& results, const ReportContext& context,
                        std::size_t max_report_bytes = kMaxReportBytes);

// A digest of what a scan decides in `report` (this scanner's or one read back from the cluster):
// every field BuildReport writes but the run UID label and the results' timestamps. Equal
// digests: the report need not be written again.
Sha256Digest ReportDigest(const json::value& report);

}  // namespace kw::audit
