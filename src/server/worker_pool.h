// The evaluation threads of policy-server: a fixed pool of `--workers` threads fed by one FIFO
// queue.
//
// Each thread owns one engine Worker (for V8, an isolate, which must be created, used and
// destroyed on its thread) and one evaluator::Evaluator over it, which keeps the policies' guest
// instances warm between requests. A task runs on whichever thread is free next, with that
// thread's Evaluator. Nothing else evaluates: the HTTP I/O threads only submit tasks.
//
// Like upstream's semaphore (§1.7), the queue has no bound and no timeout: a request waits until
// a thread is free. Each evaluation is bounded by its policy's timeout (the engine's watchdog
// interrupts the guest), so a policy that loops forever holds one thread for at most its own
// timeout per request; only when every thread is busy with such requests do others wait, and
// then for at most that timeout.
//
// Thread-safe: Submit may be called from any thread. Stop (or the destructor) must not be called
// from a pool thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"
#include "evaluator/evaluator.h"
#include "host/host.h"

namespace kw::server {

class WorkerPool {
 public:
  using Task = std::move_only_function<void(evaluator::Evaluator&)>;

  // Starts `threads` (> 0) threads, each creating its engine Worker; fails (and stops the ones
  // already started) when a thread cannot create its Worker. `engine` must outlive the pool.
  static Result<std::unique_ptr<WorkerPool>> Start(const engine::Engine& engine,
                                                   host::DispatcherSharedPtr dispatcher,
                                                   unsigned threads);

  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`. After Stop the task is destroyed without running.
  void Submit(Task task);

  // Lets the tasks that are running finish, destroys the queued ones unrun, and joins the
  // threads. Idempotent.
  void Stop();

  unsigned threads() const { return static_cast<unsigned>(threads_.size()); }
  // Tasks waiting for a thread (a gauge for logs and metrics).
  std::size_t queued() const;

 private:
  WorkerPool() = default;
  void Run(const engine::Engine& engine, host::DispatcherSharedPtr dispatcher,
           std::function<void(Result<void>)> started);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kw::server
