#include "audit/scanner.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "audit/audit_client.h"
#include "audit/report_store.h"
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
        discovery_(std::make_shared<kube::Discovery>(client_)),
        audit_client_(AuditClientOptions{.tls = options.tls,
                                         .timeout = options.request_timeout,
                                         .connections_per_server = std::max<std::size_t>(
                                             16, options.parallel_resources)}),
        pool_(std::max(1u, options.parallel_resources)) {}
  ~Run() { pool_.join(); }

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
    std::erase_if(all, [&](const json::value& ns) {
      const std::string name = StringAt(ns, {"metadata", "name"});
      return name == options_.kubewarden_namespace ||
             std::find(options_.ignored_namespaces.begin(), options_.ignored_namespaces.end(),
                       name) != options_.ignored_namespaces.end();
    });
    // `parallel_namespaces` listers feed the one evaluation pool.
    std::atomic<std::size_t> next{0};
    const auto scan_namespaces = [&] {
      for (std::size_t i = next++; i < all.size(); i = next++) (void)ScanNamespace(all[i]);
    };
    std::vector<std::thread> listers;
    const std::size_t count = std::min<std::size_t>(std::max(1u, options_.parallel_namespaces),
                                                    all.size());
    for (std::size_t t = 1; t < count; ++t) listers.emplace_back(scan_namespaces);
    scan_namespaces();
    for (std::thread& lister : listers) lister.join();
    return {};
  }

  ScanSummary summary() const {
    return {resources_, written_, unchanged_, deleted_, pass_, fail_, error_};
  }
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

  struct Audited {
    const crd::Policy* policy;
    std::string base;  // the policy server's URL
  };

  void Record(const Evaluation& evaluation) {
    switch (evaluation.verdict) {
      case Verdict::kPass: ++pass_; break;
      case Verdict::kFail: ++fail_; break;
      case Verdict::kError: ++error_; break;
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
    ScopeScan scan;
    scan.context = {options_.report_kind, options_.run_uid, std::chrono::system_clock::now(), 0,
                    0};
    // The types to list, each with the policies auditing it.
    std::map<std::string, std::pair<kube::ResourceType, std::vector<Audited>>> by_type;
    for (const SelectedPolicy& selected :
         SelectPolicies(policies_, scope, lookup, {!preview(), !preview()})) {
      if (selected.outcome == SelectedPolicy::Outcome::kSkipped) {
        spdlog::debug("{}: policy {} skipped: {}", scope.cluster() ? "cluster" : scope.ns,
                      selected.policy->UniqueName(), selected.reason);
        ++scan.context.skipped_policies;
        continue;
      }
      if (selected.outcome == SelectedPolicy::Outcome::kErrored) {
        spdlog::error("policy {} cannot be audited: {}", selected.policy->UniqueName(),
                      selected.reason);
        ++scan.context.errored_policies;
        continue;
      }
      Result<std::string> base = EndpointOf(*selected.policy);
      if (!base) {
        spdlog::error("policy {} cannot be audited: {}", selected.policy->UniqueName(),
                      base.error().message);
        ++scan.context.errored_policies;
        continue;
      }
      for (const kube::ResourceType& type : selected.targets) {
        auto& entry = by_type[type.ApiVersion() + "/" + type.kind];
        entry.first = type;
        entry.second.push_back({selected.policy, *base});
      }
    }
    if (options_.store && !preview()) {
      auto store = ReportStore::Load(client_, *discovery_, options_.report_kind, scope.ns,
                                     options_.page_size);
      if (!store) {
        // Without knowing what is there, nothing is written: a scan must not duplicate or
        // delete reports blindly.
        spdlog::error("cannot read the reports {}, not scanning it: {}", ScopeName(scope),
                      store.error().message);
        return {};
      }
      scan.store = std::move(*store);
    }
    std::set<std::string> unlisted;
    for (auto& [key, entry] : by_type) {
      // One type that cannot be listed (no permission, a CRD going away) costs only its own
      // resources' reports.
      auto scanned = ScanType(scope, entry.first, entry.second, scan);
      if (!scanned) {
        unlisted.insert(key);
        spdlog::error("cannot list {} {}: {}", entry.first.plural, ScopeName(scope),
                      scanned.error().message);
      }
    }
    if (scan.store) deleted_ += scan.store->RemoveUnseen(unlisted);
    return {};
  }

  static std::string ScopeName(const Scope& scope) {
    return scope.cluster() ? "cluster-wide" : "in " + scope.ns;
  }

  // What the resources of one scope share while they are evaluated.
  struct ScopeScan {
    ReportContext context;
    std::unique_ptr<ReportStore> store;  // null: nothing is written
  };

  // One resource on its way through the evaluation pool: its review and the policies auditing
  // it, evaluated in `parallel_policies` chunks; the chunk that finishes last writes the report.
  struct ResourceWork {
    json::value resource;
    std::string review;
    std::vector<const Audited*> policies;
    std::vector<Evaluation> evaluations;  // by policy index
    std::atomic<std::size_t> chunks_left{0};
  };

  // Counts the resources of one page not done yet; the lister waits on it to keep at most two
  // pages in memory.
  struct PageLatch {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t left = 0;
    void Finish() {
      std::lock_guard lock(mutex);
      if (--left == 0) done.notify_all();
    }
    void Wait() {
      std::unique_lock lock(mutex);
      done.wait(lock, [&] { return left == 0; });
    }
  };

  Result<void> ScanType(const Scope& scope, const kube::ResourceType& type,
                        const std::vector<Audited>& policies, ScopeScan& scan) {
    kube::ListOptions list;
    list.ns = scope.ns;
    list.limit = options_.page_size;
    std::shared_ptr<PageLatch> previous;
    auto listed = kube::ListAll(*client_, type, list, [&](kube::ListPage& page) -> Result<void> {
      auto latch = std::make_shared<PageLatch>();
      std::vector<std::shared_ptr<ResourceWork>> works;
      for (json::value& item : page.items) {
        auto work = Prepare(std::move(item), type, policies);
        if (work) works.push_back(std::move(work));
      }
      latch->left = works.size();
      for (auto& work : works) Submit(std::move(work), type, scan, latch);
      // This page is being evaluated while the next one is listed; the one before must be done.
      if (previous) previous->Wait();
      previous = latch->left == 0 ? nullptr : latch;
      return {};
    });
    if (previous) previous->Wait();
    if (!listed) return std::unexpected(listed.error());
    return {};
  }

  // The work for one listed resource, or null when no policy audits it (its object selector).
  std::shared_ptr<ResourceWork> Prepare(json::value resource, const kube::ResourceType& type,
                                        const std::vector<Audited>& policies) {
    ++resources_;
    if (!resource.is_object()) return nullptr;
    // List items come without apiVersion and kind; policies see them as a request would carry.
    json::object& object = resource.as_object();
    if (!object.contains("apiVersion")) object["apiVersion"] = type.ApiVersion();
    if (!object.contains("kind")) object["kind"] = type.kind;
    const json::value* metadata = object.if_contains("metadata");
    const json::value* labels = metadata ? FindKey(*metadata, "labels") : nullptr;
    auto work = std::make_shared<ResourceWork>();
    for (const Audited& audited : policies) {
      auto selected = kube::LabelSelectorMatches(&audited.policy->object_selector, labels);
      if (selected && *selected) work->policies.push_back(&audited);
    }
    if (work->policies.empty()) return nullptr;
    work->review = SyntheticReview(resource, type);
    work->resource = std::move(resource);
    work->evaluations.resize(work->policies.size());
    return work;
  }

  void Submit(std::shared_ptr<ResourceWork> work, const kube::ResourceType& type, ScopeScan& scan,
              const std::shared_ptr<PageLatch>& latch) {
    const std::size_t count = work->policies.size();
    const std::size_t chunks = std::min<std::size_t>(std::max(1u, options_.parallel_policies), count);
    const std::size_t per_chunk = (count + chunks - 1) / chunks;
    work->chunks_left = (count + per_chunk - 1) / per_chunk;
    for (std::size_t first = 0; first < count; first += per_chunk) {
      boost::asio::post(pool_, [this, work, first, last = std::min(count, first + per_chunk),
                                &type, &scan, latch] {
        for (std::size_t i = first; i < last; ++i) {
          work->evaluations[i] = audit_client_.Evaluate(
              work->policies[i]->base, work->policies[i]->policy->UniqueName(), work->review);
          Record(work->evaluations[i]);
        }
        if (--work->chunks_left == 0) {
          Finish(*work, type, scan);
          latch->Finish();
        }
      });
    }
  }

  // All of a resource's evaluations are in: print its preview lines or write its report.
  void Finish(ResourceWork& work, const kube::ResourceType& type, ScopeScan& scan) {
    std::vector<PolicyResult> results;
    for (std::size_t i = 0; i < work.policies.size(); ++i) {
      results.push_back({work.policies[i]->policy, std::move(work.evaluations[i])});
    }
    if (options_.preview_out != nullptr) {
      PrintPreview(work.resource, type, results);
      return;
    }
    json::value report = BuildReport(work.resource, type, results, scan.context);
    if (options_.output_scan) spdlog::info("{}", ToJson(report));
    if (!scan.store) return;
    auto written = scan.store->Write(report);
    if (!written) {
      spdlog::error("cannot write the report of {} {}/{}: {}", type.kind,
                    StringAt(work.resource, {"metadata", "namespace"}),
                    StringAt(work.resource, {"metadata", "name"}), written.error().message);
      return;
    }
    ++(*written == ReportStore::Outcome::kWritten ? written_ : unchanged_);
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
  AuditClient audit_client_;
  boost::asio::thread_pool pool_;  // evaluates resources, `parallel_resources` at a time
  std::atomic<std::uint64_t> resources_{0}, written_{0}, unchanged_{0}, deleted_{0};
  std::atomic<std::uint64_t> pass_{0}, fail_{0}, error_{0};
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
