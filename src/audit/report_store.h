// The reports of one scope (the cluster, or one namespace) as the cluster has them, so that a scan
// writes only the reports that changed and removes the ones it no longer makes.
//
// Upstream rewrites every report on every scan and then deletes, by label, those that do not
// carry the new run UID. Here the scope's reports are listed once (their digests kept, not the
// reports), a report whose digest (report.h) is unchanged is not written again, and at the end
// the reports this scan neither wrote nor found unchanged are deleted by name. So a report's run
// UID label names the scan that last changed it. Reports about resources whose type could not be
// listed this time are kept: not seeing them is not knowing they are gone.
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "audit/report.h"
#include "base/error.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace kw::audit {

class ReportStore {
 public:
  // Lists the kubewarden-managed reports of `kind` in the scope (`ns` empty: cluster reports).
  static Result<std::unique_ptr<ReportStore>> Load(std::shared_ptr<const kube::Client> client,
                                                   kube::Discovery& discovery, ReportKind kind,
                                                   std::string ns, std::size_t page_size);

  enum class Outcome { kWritten, kUnchanged };
  // Writes `report` (one of this scope's) unless the cluster holds it already as it is.
  Result<Outcome> Write(const json::value& report);

  // Deletes the reports this scan did not write or keep, except those about resources of
  // `unlisted_types` ("<apiVersion>/<Kind>"). Returns how many were deleted; failures are logged.
  std::size_t RemoveUnseen(const std::set<std::string>& unlisted_types);

 private:
  struct Existing {
    Sha256Digest digest;
    std::string resource_type;  // scope.apiVersion + "/" + scope.kind
    bool seen = false;
  };
  ReportStore(std::shared_ptr<const kube::Client> client, kube::ResourceType type, std::string ns);

  const std::shared_ptr<const kube::Client> client_;
  const kube::ResourceType type_;
  const std::string ns_;
  std::mutex mutex_;
  std::map<std::string, Existing> existing_;  // by report name (the resource's UID)
};

}  // namespace kw::audit
