#include "audit/scanner.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "audit/selection.h"
#include "kube/label_selector.h"
#include "kube/resources.h"

namespace kw::audit {
namespace {

constexpr std::string_view kManagedBySelector = "app.kubernetes.io/managed-by=kubewarden";

// One scan's shared state.
class Run {
 public:
  Run(std::shared_ptr<const kube::Client> client, const ScanOptions& options)
      : client_(std::move(client)),
        options_(options),
        discovery_(std::make_shared<kube::Discovery>(client_)) {}

  Result<void> ListPolicies() {
    // Logged at the end, whichever way it ends.
    struct Count {
      const std::vector<crd::Policy>& policies;
      ~Count() { spdlog::debug("{} policies listed", policies.size()); }
    } count{policies_};
    for (crd::PolicyKind kind : crd::kAllPolicyKinds) {
      KW_ASSIGN_OR_RETURN(kube::ResourceType type,
                          discovery_->Find(crd::kApiVersion, crd::KindName(kind)));
      kube::ListOptions list;
      list.limit = options_.page_size;
      KW_TRY(kube::ListAll(*client_, type, list, [&](kube::ListPage& page) -> Result<void> {
        for (json::value& item : page.items) {
          if (item.is_object() && !item.as_object().contains("kind")) {
            item.as_object()["kind"] = crd::KindName(kind);
          }
          auto policy = crd::ParsePolicy(item);
          if (!policy) {
            spdlog::warn("skipping a {} that cannot be read: {}", crd::KindName(kind),
                         policy.error().message);
            continue;
          }
          if (!options_.preview_policy.empty() && !Named(*policy, options_.preview_policy)) {
            continue;
          }
          policies_.push_back(std::move(*policy));
        }
        return {};
      }));
    }
    return {};
  }

  // Whether `name` designates `policy` (see ScanOptions::preview_policy).
  static bool Named(const crd::Policy& policy, std::string_view name) {
    return name == policy.UniqueName() ||
           (policy.IsNamespaced() ? name == policy.meta.ns + "/" + policy.meta.name
                                  : name == policy.meta.name);
  }

  Result<void> CheckPreview() const {
    if (options_.preview_policy.empty()) return {};
    if (policies_.empty()) {
      return Fail(ErrorKind::kNotFound, "no policy named '" + options_.preview_policy + "'");
    }
    if (policies_.size() > 1) {
      return Fail(ErrorKind::kInvalidArgument,
                  "'" + options_.preview_policy + "' names " + std::to_string(policies_.size()) +
                      " policies: give the unique name (clusterwide-<name>, "
                      "clusterwide-group-<name>, ...)");
    }
    return {};
  }

  Result<void> ScanEverything() {
    KW_TRY(CheckPreview());
    if (options_.report_kind == ReportKind::kOpenReports && options_.store && !preview()) {
      RemoveLegacyReports();
    }
    if (options_.only_namespace.empty()) KW_TRY(ScanScope(Scope{}));
    if (options_.only_cluster) return {};
    if (!options_.only_namespace.empty()) {
      KW_ASSIGN_OR_RETURN(kube::ResourceType namespaces, discovery_->Find("v1", "Namespace"));
      KW_ASSIGN_OR_RETURN(json::value ns,
                          kube::Get(*client_, namespaces, "", options_.only_namespace));
      return ScanNamespace(ns);
    }
    KW_ASSIGN_OR_RETURN(kube::ResourceType namespaces, discovery_->Find("v1", "Namespace"));
    kube::ListOptions list;
    list.limit = options_.page_size;
    std::vector<json::value> all;
    KW_TRY(kube::ListAll(*client_, namespaces, list, [&](kube::ListPage& page) -> Result<void> {
      for (json::value& item : page.items) all.push_back(std::move(item));
      return {};
    }));
    for (const json::value& ns : all) {
      const std::string name = StringAt(ns, {"metadata", "name"});
      if (name == options_.kubewarden_namespace ||
          std::find(options_.ignored_namespaces.begin(), options_.ignored_namespaces.end(),
                    name) != options_.ignored_namespaces.end()) {
        continue;
      }
      KW_TRY(ScanNamespace(ns));
    }
    return {};
  }

  const ScanSummary& summary() const { return summary_; }
  bool preview() const { return !options_.preview_policy.empty(); }

 private:
  Result<void> ScanNamespace(const json::value& ns) {
    const json::value* metadata = FindKey(ns, "metadata");
    const json::value* labels = metadata ? FindKey(*metadata, "labels") : nullptr;
    return ScanScope(Scope{StringAt(ns, {"metadata", "name"}),
                           labels != nullptr ? *labels : json::value(json::object{})});
  }

  // The policy server base URL of `policy`, or why there is none.
  Result<std::string> EndpointOf(const crd::Policy& policy) {
    if (!options_.policy_server_url.empty()) return options_.policy_server_url;
    std::lock_guard lock(mutex_);
    auto cached = endpoints_.find(policy.policy_server);
    if (cached != endpoints_.end()) return cached->second;
    Result<std::string> found = [&]() -> Result<std::string> {
      KW_ASSIGN_OR_RETURN(kube::ResourceType services, discovery_->Find("v1", "Service"));
      kube::ListOptions list;
      list.ns = options_.kubewarden_namespace;
      list.selectors.label_selector =
          "app.kubernetes.io/instance=policy-server-" + policy.policy_server;
      KW_ASSIGN_OR_RETURN(kube::ListPage page, kube::ListPageOf(*client_, services, list));
      if (page.items.size() != 1) {
        return Fail(ErrorKind::kNotFound, "expected one Service of policy server '" +
                                              policy.policy_server + "', found " +
                                              std::to_string(page.items.size()));
      }
      const json::value& service = page.items[0];
      const json::value* spec = FindKey(service, "spec");
      const json::value* ports = spec ? FindKey(*spec, "ports") : nullptr;
      if (ports == nullptr || !ports->is_array() || ports->as_array().empty()) {
        return Fail(ErrorKind::kNotFound, "the Service of policy server '" +
                                              policy.policy_server + "' has no port");
      }
      const json::value* port = FindKey(ports->as_array()[0], "port");
      return "https://" + StringAt(service, {"metadata", "name"}) + "." +
             options_.kubewarden_namespace + ".svc:" +
             (port != nullptr && port->is_int64() ? std::to_string(port->get_int64()) : "443");
    }();
    endpoints_.emplace(policy.policy_server, found);
    return found;
  }

  Evaluation Evaluate(const crd::Policy& policy, const std::string& base,
                      const std::string& review) {
    net::HttpRequest request;
    request.method = "POST";
    request.url = base + "/audit/" + policy.UniqueName();
    request.headers = {{"Content-Type", "application/json"}};
    request.body = review;
    request.timeout = options_.request_timeout;
    request.max_response_bytes = 16u << 20;
    auto answer = net::Send(request, options_.tls.get());
    if (!answer) return ReadAuditAnswer(0, "", answer.error().message);
    return ReadAuditAnswer(static_cast<int>(answer->status), answer->body);
  }

  struct Audited {
    const crd::Policy* policy;
    std::string base;  // the policy server's URL
  };

  void Record(const Evaluation& evaluation) {
    std::lock_guard lock(mutex_);
    switch (evaluation.verdict) {
      case Verdict::kPass: ++summary_.pass; break;
      case Verdict::kFail: ++summary_.fail; break;
      case Verdict::kError: ++summary_.error; break;
    }
  }

  Result<void> ScanScope(const Scope& scope) {
    const auto lookup = [&](std::string_view group, std::string_view version,
                            std::string_view resource) -> std::optional<kube::ResourceType> {
      const std::string api_version =
          group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
      auto type = discovery_->FindResource(api_version, resource);
      if (!type) return std::nullopt;
      return std::move(*type);
    };
    ReportContext context{options_.report_kind, options_.run_uid,
                          std::chrono::system_clock::now(), 0, 0};
    // The types to list, each with the policies auditing it.
    std::map<std::string, std::pair<kube::ResourceType, std::vector<Audited>>> by_type;
    const bool preview = !options_.preview_policy.empty();
    for (const SelectedPolicy& selected :
         SelectPolicies(policies_, scope, lookup, {!preview, !preview})) {
      if (selected.outcome == SelectedPolicy::Outcome::kSkipped) {
        spdlog::debug("{}: policy {} skipped: {}", scope.cluster() ? "cluster" : scope.ns,
                      selected.policy->UniqueName(), selected.reason);
        ++context.skipped_policies;
        continue;
      }
      if (selected.outcome == SelectedPolicy::Outcome::kErrored) {
        spdlog::error("policy {} cannot be audited: {}", selected.policy->UniqueName(),
                      selected.reason);
        ++context.errored_policies;
        continue;
      }
      Result<std::string> base = EndpointOf(*selected.policy);
      if (!base) {
        spdlog::error("policy {} cannot be audited: {}", selected.policy->UniqueName(),
                      base.error().message);
        ++context.errored_policies;
        continue;
      }
      for (const kube::ResourceType& type : selected.targets) {
        auto& entry = by_type[type.ApiVersion() + "/" + type.plural];
        entry.first = type;
        entry.second.push_back({selected.policy, *base});
      }
    }
    for (auto& [key, entry] : by_type) {
      // One type that cannot be listed (no permission, a CRD going away) costs only its own
      // resources' reports.
      auto scanned = ScanType(scope, entry.first, entry.second, context);
      if (!scanned) {
        spdlog::error("cannot list {} {}: {}", entry.first.plural,
                      scope.cluster() ? "cluster-wide" : "in " + scope.ns,
                      scanned.error().message);
      }
    }
    if (options_.store && !preview) RemoveStaleReports(scope);
    return {};
  }

  Result<void> ScanType(const Scope& scope, const kube::ResourceType& type,
                        const std::vector<Audited>& policies, const ReportContext& context) {
    kube::ListOptions list;
    list.ns = scope.ns;
    list.limit = options_.page_size;
    auto listed = kube::ListAll(*client_, type, list, [&](kube::ListPage& page) -> Result<void> {
      std::atomic<std::size_t> next{0};
      const auto work = [&] {
        for (std::size_t i = next++; i < page.items.size(); i = next++) {
          ScanResource(page.items[i], type, policies, context);
        }
      };
      const std::size_t threads =
          std::min<std::size_t>(std::max(1u, options_.parallel_resources), page.items.size());
      std::vector<std::thread> workers;
      for (std::size_t t = 1; t < threads; ++t) workers.emplace_back(work);
      work();
      for (std::thread& worker : workers) worker.join();
      return {};
    });
    if (!listed) return std::unexpected(listed.error());
    return {};
  }

  void ScanResource(json::value& resource, const kube::ResourceType& type,
                    const std::vector<Audited>& policies, const ReportContext& context) {
    if (!resource.is_object()) return;
    // List items come without apiVersion and kind; policies see them as a request would carry.
    json::object& object = resource.as_object();
    if (!object.contains("apiVersion")) object["apiVersion"] = type.ApiVersion();
    if (!object.contains("kind")) object["kind"] = type.kind;
    const json::value* metadata = object.if_contains("metadata");
    const json::value* labels = metadata ? FindKey(*metadata, "labels") : nullptr;
    const std::string review = SyntheticReview(resource, type);
    std::vector<PolicyResult> results;
    for (const Audited& audited : policies) {
      auto selected = kube::LabelSelectorMatches(&audited.policy->object_selector, labels);
      if (!selected || !*selected) continue;
      Evaluation evaluation = Evaluate(*audited.policy, audited.base, review);
      Record(evaluation);
      results.push_back({audited.policy, std::move(evaluation)});
    }
    {
      std::lock_guard lock(mutex_);
      ++summary_.resources;
    }
    if (results.empty()) return;
    if (options_.preview_out != nullptr) {
      PrintPreview(resource, type, results);
      return;
    }
    json::value report = BuildReport(resource, type, results, context);
    if (options_.output_scan) spdlog::info("{}", ToJson(report));
    if (!options_.store) return;
    auto written = WriteReport(report);
    if (!written) {
      spdlog::error("cannot write the report of {} {}/{}: {}", type.kind,
                    StringAt(resource, {"metadata", "namespace"}),
                    StringAt(resource, {"metadata", "name"}), written.error().message);
      return;
    }
    std::lock_guard lock(mutex_);
    ++summary_.reports_written;
  }

  // One line per resource the previewed policy would not admit as it is.
  void PrintPreview(const json::value& resource, const kube::ResourceType& type,
                    const std::vector<PolicyResult>& results) {
    for (const PolicyResult& result : results) {
      if (result.evaluation.verdict == Verdict::kPass) continue;
      const std::string ns = StringAt(resource, {"metadata", "namespace"});
      std::lock_guard lock(mutex_);
      *options_.preview_out << (result.evaluation.verdict == Verdict::kFail ? "reject" : "error")
                            << "\t" << type.kind << "\t" << (ns.empty() ? "" : ns + "/")
                            << StringAt(resource, {"metadata", "name"}) << "\t"
                            << result.evaluation.message << "\n";
    }
  }

  Result<void> WriteReport(const json::value& report) {
    KW_ASSIGN_OR_RETURN(kube::ResourceType type,
                        discovery_->Find(StringAt(report, {"apiVersion"}),
                                         StringAt(report, {"kind"})));
    kube::ApplyOptions apply;
    apply.field_manager = "kubewarden-audit-scanner";
    apply.force = true;
    KW_TRY(kube::Apply(*client_, type, StringAt(report, {"metadata", "namespace"}), report, apply));
    return {};
  }

  // Reports of this scope that this run did not write: their resources are gone or no longer
  // audited.
  void RemoveStaleReports(const Scope& scope) {
    const bool open_reports = options_.report_kind == ReportKind::kOpenReports;
    const std::string api_version =
        open_reports ? "openreports.io/v1alpha1" : "wgpolicyk8s.io/v1alpha2";
    const std::string kind = scope.cluster()
                                 ? (open_reports ? "ClusterReport" : "ClusterPolicyReport")
                                 : (open_reports ? "Report" : "PolicyReport");
    auto type = discovery_->Find(api_version, kind);
    if (!type) {
      spdlog::error("cannot clean up old reports: {}", type.error().message);
      return;
    }
    kube::Selectors selectors;
    selectors.label_selector = "kubewarden.io/audit-scanner-run-uid!=" + options_.run_uid + "," +
                               std::string(kManagedBySelector);
    auto removed = kube::DeleteCollection(*client_, *type, scope.ns, selectors);
    if (!removed) spdlog::error("cannot clean up old {}s: {}", kind, removed.error().message);
  }

  // With openreports, the wgpolicyk8s.io reports an earlier scanner wrote go (when that API
  // is still served).
  void RemoveLegacyReports() {
    kube::Selectors selectors;
    selectors.label_selector = std::string(kManagedBySelector);
    for (std::string_view kind : {"PolicyReport", "ClusterPolicyReport"}) {
      auto type = discovery_->Find("wgpolicyk8s.io/v1alpha2", kind);
      if (!type) continue;
      auto removed = kube::DeleteCollection(*client_, *type, "", selectors);
      if (!removed) spdlog::warn("cannot remove legacy {}s: {}", kind, removed.error().message);
    }
  }

  const std::shared_ptr<const kube::Client> client_;
  const ScanOptions& options_;
  std::shared_ptr<kube::Discovery> discovery_;
  std::vector<crd::Policy> policies_;
  std::mutex mutex_;
  std::map<std::string, Result<std::string>> endpoints_;
  ScanSummary summary_;
};

}  // namespace

Result<ScanSummary> Scan(const std::shared_ptr<const kube::Client>& client,
                         const ScanOptions& options) {
  Run run(client, options);
  KW_TRY(run.ListPolicies());
  KW_TRY(run.ScanEverything());
  return run.summary();
}

}  // namespace kw::audit
