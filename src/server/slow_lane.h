// policy-server's slow lane: a policy that ran out of time, or came close to, recently is
// evaluated on threads of its own, so that it cannot hold the main workers (worker_pool.h) for
// most of its timeout per request while good policies' requests queue behind it.
//
// A policy (or group, or member addressed directly) becomes a suspect when an evaluation ran out
// of time or took at least a tenth of its timeout (kSlowFraction: a memory bomb that fails after
// a quarter of a second, a guest sleeping on a host call; a sound policy answers in
// microseconds). From then on its requests are evaluated by the slow lane's threads, each with
// its own engine Worker and Evaluator (and so its own warm instances), instead of the thread that
// read them. It stays a suspect until `quiet` has passed since it last ran out of time or ran
// slow; its first request after that is evaluated by the main workers again. Entering and
// leaving are logged (warning, info) and counted (kubewarden_policy_slow_lane_entries_total /
// _exits_total, metrics.h).
//
// The lane's threads run only on CPU time nothing else wants (SCHED_IDLE, WorkerPool::Priority::
// kIdle): on a server short of cores, a looping policy in the lane takes the CPU the workers
// leave, not a share equal to theirs (bench/soak.sh, 3,600 req/s of good requests beside the
// hostile ones: p99 0.7 ms, against 2-4 ms at normal priority; at nice 10 a looping suspect
// still took 40 % of a core from the loaded server). Its timeout is wall-clock time
// (the engine's watchdog), so each evaluation still ends on time: a suspect's request waits at
// most `capacity` timeouts, however busy the server; on a saturated server, a suspect that is
// only slow gets little CPU in that time and may run out of it.
//
// At most `capacity` requests are in the slow lane at once, queued or running. A suspect's
// request beyond that is answered at once with what its timeout would answer
// (evaluator::TimedOut: 200, rejected, code 500, upstream's timeout message) and counted
// (kubewarden_policy_slow_lane_rejections_total): every request still gets an answer, and a
// flood of a hostile policy's requests costs memory for `capacity` of them only.
//
// The record of timeouts lives on the served Policy and PolicyGroup objects (evaluator::
// TimeoutMark), which an unchanged policy keeps across reloads. A good policy's request pays one
// relaxed atomic load to be told it is not a suspect, and two reads of the steady clock (no
// system call) to be told it was not slow; no lock, no allocation.
//
// An evaluation's time includes instantiating the policy on that thread when it is the first:
// a module whose instantiation alone takes a tenth of its timeout spends one quiet period in the
// lane after its first request.
//
// The first timeout (or slow evaluation) of a policy still costs a main worker that time: a
// policy is only known to be hostile once it has been. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "base/error.h"
#include "engine/engine.h"
#include "evaluator/environment.h"
#include "host/host.h"
#include "metrics/metrics.h"
#include "server/worker_pool.h"

namespace kw::server {

struct SlowLaneOptions {
  unsigned threads = 1;
  std::size_t capacity = 4;  // requests queued or running at once
  std::chrono::milliseconds quiet{std::chrono::seconds(60)};
};

class SlowLane {
 public:
  // An evaluation that took at least this part of its timeout makes its policy a suspect.
  static constexpr int kSlowFraction = 10;  // a tenth

  // Starts the lane's threads (see WorkerPool::Start). `engine` and `metrics` (may be null)
  // must outlive the lane.
  static Result<std::unique_ptr<SlowLane>> Start(const engine::Engine& engine,
                                                 host::DispatcherSharedPtr dispatcher,
                                                 SlowLaneOptions options,
                                                 metrics::Registry* metrics);

  // Whether `entry`'s requests go to the slow lane: it ran out of time or ran slow within
  // `quiet`. A suspect whose quiet period has passed leaves the lane here (logged and counted
  // once).
  bool Holds(const evaluator::EnvironmentEntry& entry) {
    const evaluator::TimeoutMark* mark = MarkOf(entry);
    if (mark == nullptr) return false;
    const std::int64_t last = mark->last().load(std::memory_order_relaxed);
    return last != 0 && StillSuspect(entry, *mark, last);
  }

  // Notes how an evaluation of `entry` went: when it ran out of time, or took at least a
  // kSlowFraction-th of its timeout, the entry enters the lane (logged and counted when it was
  // not in it), or stays in it for another `quiet`.
  void NoteEvaluation(const evaluator::EnvironmentEntry& entry, std::chrono::nanoseconds took,
                      bool timed_out);

  // Takes a place for one request of `entry` (a suspect); false when the lane is full (counted
  // as a rejection of `entry`): answer with evaluator::TimedOut then.
  bool Reserve(const evaluator::EnvironmentEntry& entry);
  // Runs `task` on a lane thread in the place Reserve took, and gives the place back after.
  void Run(WorkerPool::Task task);

  // Lets the evaluations that are running finish and joins the threads (WorkerPool::Stop).
  void Stop() { pool_->Stop(); }

  const SlowLaneOptions& options() const { return options_; }

 private:
  SlowLane(SlowLaneOptions options, metrics::Registry* metrics,
           std::unique_ptr<WorkerPool> pool)
      : options_(options), metrics_(metrics), pool_(std::move(pool)) {}
  static const evaluator::TimeoutMark* MarkOf(const evaluator::EnvironmentEntry& entry);
  bool StillSuspect(const evaluator::EnvironmentEntry& entry, const evaluator::TimeoutMark& mark,
                    std::int64_t last);
  void Count(metrics::SlowLaneEvent event, const evaluator::EnvironmentEntry& entry);
  void Suspect(const evaluator::EnvironmentEntry& entry, std::string_view why);
  static std::chrono::milliseconds TimeoutOf(const evaluator::EnvironmentEntry& entry);

  const SlowLaneOptions options_;
  metrics::Registry* const metrics_;
  std::unique_ptr<WorkerPool> pool_;
  std::atomic<std::size_t> occupied_{0};  // places taken by Reserve, not yet given back
};

}  // namespace kw::server
