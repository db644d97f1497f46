#include "audit/report_store.h"

#include <spdlog/spdlog.h>

#include "kube/resources.h"

namespace kw::audit {

ReportStore::ReportStore(std::shared_ptr<const kube::Client> client, kube::ResourceType type,
                         std::string ns)
    : client_(std::move(client)), type_(std::move(type)), ns_(std::move(ns)) {}

Result<std::unique_ptr<ReportStore>> ReportStore::Load(std::shared_ptr<const kube::Client> client,
                                                       kube::Discovery& discovery, ReportKind kind,
                                                       std::string ns, std::size_t page_size) {
  const bool open_reports = kind == ReportKind::kOpenReports;
  const bool cluster = ns.empty();
  KW_ASSIGN_OR_RETURN(
      kube::ResourceType type,
      discovery.Find(open_reports ? "openreports.io/v1alpha1" : "wgpolicyk8s.io/v1alpha2",
                     cluster ? (open_reports ? "ClusterReport" : "ClusterPolicyReport")
                             : (open_reports ? "Report" : "PolicyReport")));
  std::unique_ptr<ReportStore> store(new ReportStore(client, type, ns));
  kube::ListOptions list;
  list.ns = ns;
  list.limit = page_size;
  list.selectors.label_selector = "app.kubernetes.io/managed-by=kubewarden";
  KW_TRY(kube::ListAll(*client, type, list, [&](kube::ListPage& page) -> Result<void> {
    for (const json::value& report : page.items) {
      const std::string name = StringAt(report, {"metadata", "name"});
      if (name.empty()) continue;
      store->existing_[name] = {ReportDigest(report),
                                StringAt(report, {"scope", "apiVersion"}) + "/" +
                                    StringAt(report, {"scope", "kind"})};
    }
    return {};
  }));
  return store;
}

Result<ReportStore::Outcome> ReportStore::Write(const json::value& report) {
  const std::string name = StringAt(report, {"metadata", "name"});
  const Sha256Digest digest = ReportDigest(report);
  {
    std::lock_guard lock(mutex_);
    auto found = existing_.find(name);
    if (found != existing_.end()) {
      found->second.seen = true;
      if (found->second.digest == digest) return Outcome::kUnchanged;
    }
  }
  kube::ApplyOptions apply;
  apply.field_manager = "kubewarden-audit-scanner";
  apply.force = true;
  KW_TRY(kube::Apply(*client_, type_, ns_, report, apply));
  return Outcome::kWritten;
}

std::size_t ReportStore::RemoveUnseen(const std::set<std::string>& unlisted_types) {
  std::vector<std::string> stale;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, existing] : existing_) {
      if (!existing.seen && !unlisted_types.contains(existing.resource_type)) {
        stale.push_back(name);
      }
    }
  }
  std::size_t removed = 0;
  for (const std::string& name : stale) {
    auto deleted = kube::Delete(*client_, type_, ns_, name);
    if (deleted || deleted.error().kind == ErrorKind::kNotFound) {
      ++removed;
    } else {
      spdlog::error("cannot remove the stale {} {}{}: {}", type_.kind,
                    ns_.empty() ? "" : ns_ + "/", name, deleted.error().message);
    }
  }
  return removed;
}

}  // namespace kw::audit
