// What keeps the compliance UI current: a reflector (list + watch) on each of the four report
// kinds the API server serves (PolicyReport, ClusterPolicyReport of wgpolicyk8s.io/v1alpha2;
// Report, ClusterReport of openreports.io/v1alpha1), every change parsed into the ReportIndex,
// and a settle timer that records a snapshot in the history once the reports have not changed
// for `settle` (a scan writes its reports over seconds or minutes: recording only when they
// are quiet keeps one row per scan, not one per report).
//
// Until the API server answers discovery the watcher retries in the background; ready() turns
// true once every served kind has been listed once. Kinds not served are left out (logged).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "kube/client.h"
#include "kube/reflector.h"
#include "ui/history_store.h"
#include "ui/report_index.h"

namespace kw::ui {

struct WatcherOptions {
  std::chrono::milliseconds settle{std::chrono::seconds(10)};
  // How often discovery is tried again while the API server does not answer.
  std::chrono::milliseconds retry{std::chrono::seconds(2)};
};

class ReportWatcher {
 public:
  // Starts in a thread of its own. `index` and `history` (which may be null: no history) must
  // outlive the watcher.
  ReportWatcher(std::shared_ptr<const kube::Client> client, ReportIndex& index,
                HistoryStore* history, WatcherOptions options = {});
  ~ReportWatcher();  // stops the reflectors and the timer
  ReportWatcher(const ReportWatcher&) = delete;
  ReportWatcher& operator=(const ReportWatcher&) = delete;

  bool ready() const { return ready_; }

 private:
  struct Watched;
  void Run();
  // Reads one report object again (after a change) into the index.
  void Refresh(const Watched& watched, std::string_view ns, std::string_view name);
  void RecordIfSettled();
  // Sleeps `delay`; false when stopping.
  bool Sleep(std::chrono::milliseconds delay);

  const std::shared_ptr<const kube::Client> client_;
  ReportIndex& index_;
  HistoryStore* const history_;
  const WatcherOptions options_;
  std::vector<std::unique_ptr<Watched>> watched_;
  std::atomic<bool> ready_{false};
  std::uint64_t recorded_generation_ = 0;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kw::ui
