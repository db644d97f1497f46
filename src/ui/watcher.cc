#include "ui/watcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kube/discovery.h"

namespace kw::ui {
namespace {

struct ReportKind {
  std::string_view api_version, kind;
};
constexpr ReportKind kReportKinds[] = {
    {"wgpolicyk8s.io/v1alpha2", "PolicyReport"},
    {"wgpolicyk8s.io/v1alpha2", "ClusterPolicyReport"},
    {"openreports.io/v1alpha1", "Report"},
    {"openreports.io/v1alpha1", "ClusterReport"},
};

}  // namespace

struct ReportWatcher::Watched {
  std::string kind;
  // Set once the reflector is built: changes it reports while its constructor still runs (the
  // first list) are read by the full pass after it has synced.
  std::atomic<const kube::Reflector*> reflector{nullptr};
  std::unique_ptr<kube::Reflector> owner;

  std::string Key(std::string_view ns, std::string_view name) const {
    return kind + "/" + std::string(ns) + "/" + std::string(name);
  }
};

ReportWatcher::ReportWatcher(std::shared_ptr<const kube::Client> client, ReportIndex& index,
                             HistoryStore* history, WatcherOptions options)
    : client_(std::move(client)), index_(index), history_(history), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

ReportWatcher::~ReportWatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  watched_.clear();  // each reflector stops and joins
}

bool ReportWatcher::Sleep(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, delay, [&] { return stopping_; });
}

void ReportWatcher::Refresh(const Watched& watched, std::string_view ns, std::string_view name) {
  const kube::Reflector* reflector = watched.reflector.load();
  if (reflector == nullptr) return;
  const std::string key = watched.Key(ns, name);
  kube::Reflector::Text json = reflector->Find(ns, name);
  if (!json) {
    if (index_.Remove(key)) spdlog::debug("report {} removed", key);
    return;
  }
  auto report = ParseReport(*json);
  if (!report) {
    spdlog::warn("report {} left out: {}", key, report.error().message);
    index_.Remove(key);
    return;
  }
  const std::vector<std::string> warnings = report->warnings;
  if (index_.Upsert(key, std::move(*report))) {
    spdlog::debug("report {} updated", key);
    for (const std::string& warning : warnings) spdlog::warn("report {}: {}", key, warning);
  }
}

std::optional<std::vector<kube::ResourceType>> ReportWatcher::DiscoverNew(kube::Discovery& discovery) {
  std::vector<kube::ResourceType> found;
  for (const ReportKind& kind : kReportKinds) {
    const bool watching = std::any_of(watched_.begin(), watched_.end(),
                                      [&](const auto& watched) { return watched->kind == kind.kind; });
    if (watching) continue;
    auto type = discovery.Find(kind.api_version, kind.kind);
    if (type) {
      spdlog::info("{} {}: watching", kind.api_version, kind.kind);
      found.push_back(std::move(*type));
    } else if (type.error().kind != ErrorKind::kNotFound) {
      spdlog::warn("cannot discover the report kinds (retrying): {}", type.error().message);
      return std::nullopt;
    }
  }
  return found;
}

bool ReportWatcher::Watch(kube::ResourceType type) {
  auto watched = std::make_unique<Watched>();
  watched->kind = type.kind;
  kube::ReflectorOptions reflector_options;
  Watched* slot = watched.get();
  reflector_options.on_change = [this, slot](std::string_view ns, std::string_view name) {
    Refresh(*slot, ns, name);
  };
  watched->owner = std::make_unique<kube::Reflector>(client_, std::move(type), kube::Selectors{},
                                                     std::vector<std::string>{},
                                                     std::move(reflector_options));
  watched->reflector = watched->owner.get();
  const Watched& added = *watched;
  watched_.push_back(std::move(watched));
  // The reflector retries by itself; this only waits for its first list.
  while (true) {
    auto synced = added.owner->WaitSynced(std::chrono::steady_clock::now() + options_.retry);
    if (synced) break;
    std::chrono::milliseconds pause(0);
    if (synced.error().kind != ErrorKind::kTimeout) {
      spdlog::warn("listing {} failed (retrying): {}", added.kind, synced.error().message);
      pause = options_.retry;
    }
    if (!Sleep(pause)) return false;
  }
  // The objects of the first list (their changes came before the reflector was known).
  std::vector<std::pair<std::string, std::string>> names;
  added.owner->Visit("", [&](std::string_view ns, std::string_view name, std::string_view) {
    names.emplace_back(ns, name);
  });
  for (const auto& [ns, name] : names) Refresh(added, ns, name);
  return true;
}

void ReportWatcher::Run() {
  // Kinds found missing are asked for again at most every `rediscover`.
  kube::Discovery discovery(client_, options_.rediscover);
  // Discovery until every kind is known to be served or not.
  std::optional<std::vector<kube::ResourceType>> types;
  while (!(types = DiscoverNew(discovery))) {
    if (!Sleep(options_.retry)) return;
  }
  if (types->empty()) spdlog::warn("no report kind is served yet: install the report CRDs");
  for (kube::ResourceType& type : *types) {
    if (!Watch(std::move(type))) return;
  }
  ready_ = true;
  spdlog::info("{} reports listed: {} results", index_.report_count(), index_.result_count());

  // The settle timer: a quarter of the settle time between looks, at most a second. Kinds not
  // served yet are looked for again now and then (report CRDs installed after the UI).
  const auto tick = std::clamp(options_.settle / 4, std::chrono::milliseconds(50),
                               std::chrono::milliseconds(1000));
  auto next_discovery = std::chrono::steady_clock::now() + options_.rediscover;
  while (Sleep(tick)) {
    RecordIfSettled();
    if (watched_.size() == std::size(kReportKinds) || std::chrono::steady_clock::now() < next_discovery) {
      continue;
    }
    next_discovery = std::chrono::steady_clock::now() + options_.rediscover;
    if (auto found = DiscoverNew(discovery)) {
      for (kube::ResourceType& type : *found) {
        if (!Watch(std::move(type))) return;
      }
    }
  }
}

void ReportWatcher::RecordIfSettled() {
  if (history_ == nullptr) return;
  const std::uint64_t generation = index_.generation();
  if (generation == recorded_generation_) return;
  if (std::chrono::system_clock::now() - index_.last_change() < options_.settle) return;
  recorded_generation_ = generation;
  std::optional<Snapshot> snapshot = index_.Snap();
  if (!snapshot) return;
  if (snapshot->run_uid.empty()) {
    spdlog::warn("the reports carry no kubewarden.io/audit-scanner-run-uid label: no history "
                 "recorded");
    return;
  }
  auto recorded = history_->Record(*snapshot);
  if (!recorded) {
    spdlog::error("cannot record scan {} in the history: {}", snapshot->run_uid,
                  recorded.error().message);
  } else if (*recorded) {
    spdlog::info("scan {} recorded: {} pass, {} fail, {} warn, {} error, {} skip",
                 snapshot->run_uid, snapshot->totals.Of(Verdict::kPass),
                 snapshot->totals.Of(Verdict::kFail), snapshot->totals.Of(Verdict::kWarn),
                 snapshot->totals.Of(Verdict::kError), snapshot->totals.Of(Verdict::kSkip));
  }
}

}  // namespace kw::ui
