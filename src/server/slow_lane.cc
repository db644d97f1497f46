#include "server/slow_lane.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace kw::server {
namespace {

// Never 0, which TimeoutMark reserves for "no timeout".
std::int64_t Now() {
  return std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
             .count());
}

}  // namespace

Result<std::unique_ptr<SlowLane>> SlowLane::Start(const engine::Engine& engine,
                                                  host::DispatcherSharedPtr dispatcher,
                                                  SlowLaneOptions options,
                                                  metrics::Registry* metrics) {
  if (options.capacity == 0) {
    return Fail(ErrorKind::kInvalidArgument, "the slow lane needs room for a request");
  }
  auto pool = WorkerPool::Start(engine, std::move(dispatcher), options.threads,
                                WorkerPool::Priority::kIdle);
  if (!pool) return std::unexpected(pool.error().Wrap("cannot start the slow lane"));
  return std::unique_ptr<SlowLane>(new SlowLane(options, metrics, std::move(*pool)));
}

const evaluator::TimeoutMark* SlowLane::MarkOf(const evaluator::EnvironmentEntry& entry) {
  if (entry.group) return &entry.group->timeouts;
  if (entry.policy) return &entry.policy->timeouts;
  return nullptr;
}

bool SlowLane::StillSuspect(const evaluator::EnvironmentEntry& entry,
                            const evaluator::TimeoutMark& mark, std::int64_t last) {
  const std::chrono::nanoseconds quiet_for(Now() - last);
  if (quiet_for < options_.quiet) return true;
  // Only the request that forgives it reports it: another may have, or a new timeout came.
  std::int64_t expected = last;
  if (mark.last().compare_exchange_strong(expected, 0, std::memory_order_relaxed)) {
    spdlog::info("policy {} has not run out of time or run slow for {} s: its requests go back "
                 "to the main workers",
                 entry.id, std::chrono::duration_cast<std::chrono::seconds>(quiet_for).count());
    Count(metrics::SlowLaneEvent::kExit, entry);
  }
  return false;
}

void SlowLane::NoteEvaluation(const evaluator::EnvironmentEntry& entry,
                              std::chrono::nanoseconds took, bool timed_out) {
  if (timed_out) return Suspect(entry, "ran out of time");
  // Timeouts are whole seconds (timeoutEvalSeconds, --policy-timeout): nothing under a
  // millisecond is slow, and the common answer costs this one comparison.
  if (took < std::chrono::milliseconds(1)) return;
  std::chrono::milliseconds timeout = TimeoutOf(entry);
  if (timeout.count() > 0 && took * kSlowFraction >= timeout) {
    Suspect(entry, fmt::format("took {} ms, a tenth of its timeout or more",
                               std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  }
}

std::chrono::milliseconds SlowLane::TimeoutOf(const evaluator::EnvironmentEntry& entry) {
  if (entry.policy) return entry.policy->config.timeout;
  // A group's members run one after the other, each within its own timeout: the group is slow
  // by the longest of them.
  std::chrono::milliseconds longest{0};
  if (entry.group) {
    for (const auto& [name, member] : entry.group->members) {
      longest = std::max(longest, member->config.timeout);
    }
  }
  return longest;
}

void SlowLane::Suspect(const evaluator::EnvironmentEntry& entry, std::string_view why) {
  const evaluator::TimeoutMark* mark = MarkOf(entry);
  if (mark == nullptr) return;
  if (mark->last().exchange(Now(), std::memory_order_relaxed) != 0) return;
  spdlog::warn("policy {} {}: its requests go to the slow lane until it runs {} s without "
               "running out of time or running slow",
               entry.id, why,
               std::chrono::duration_cast<std::chrono::seconds>(options_.quiet).count());
  Count(metrics::SlowLaneEvent::kEntry, entry);
}

bool SlowLane::Reserve(const evaluator::EnvironmentEntry& entry) {
  if (occupied_.fetch_add(1, std::memory_order_relaxed) < options_.capacity) return true;
  occupied_.fetch_sub(1, std::memory_order_relaxed);
  spdlog::debug("policy {}: the slow lane is full, answering with the timeout rejection",
                entry.id);
  Count(metrics::SlowLaneEvent::kRejection, entry);
  return false;
}

void SlowLane::Run(WorkerPool::Task task) {
  pool_->Run([this, task = std::move(task)](evaluator::Evaluator& evaluator) mutable {
    // Given back even when the task throws (the pool's thread logs it and goes on).
    struct Release {
      std::atomic<std::size_t>& occupied;
      ~Release() { occupied.fetch_sub(1, std::memory_order_relaxed); }
    } release{occupied_};
    task(evaluator);
  });
}

void SlowLane::Count(metrics::SlowLaneEvent event, const evaluator::EnvironmentEntry& entry) {
  if (metrics_ != nullptr) metrics_->RecordSlowLane(event, entry.id);
}

}  // namespace kw::server
