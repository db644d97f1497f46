// The threads of policy-server: a fixed pool of `--workers` threads that both serve HTTP and
// evaluate policies.
//
// Each thread owns one engine Worker (for V8, an isolate, which must be created, used and
// destroyed on its thread) and one evaluator::Evaluator over it, which keeps the policies' guest
// instances warm between requests. The threads run one asio::io_context, io(), on which the
// HTTP server of the admission API serves its connections: a request is read, parsed, evaluated
// and answered on the thread that read it. Handing each request to a separate evaluation thread
// and back cost two futex wake-ups and context switches per request, a third of the CPU time at
// 20k requests/s on 2 cores.
//
// Like upstream's semaphore (§1.7), waiting for a thread has no bound and no timeout. Each
// evaluation is bounded by its policy's timeout (the engine's watchdog interrupts the guest), so
// a policy that loops forever holds one thread for at most its own timeout per request, while
// the other threads go on serving every other connection; only when every thread is busy with
// such requests do others wait, and then for at most that timeout.
//
// Thread-safe: Run may be called from any thread. Stop (or the destructor) must not be called
// from a pool thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

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
  // With kIdle the threads are scheduled only on CPU time nothing else wants (Linux SCHED_IDLE;
  // a failure is logged, not fatal), from before Start returns.
  enum class Priority { kNormal, kIdle };
  static Result<std::unique_ptr<WorkerPool>> Start(const engine::Engine& engine,
                                                   host::DispatcherSharedPtr dispatcher,
                                                   unsigned threads,
                                                   Priority priority = Priority::kNormal);

  // Stops, then destroys the handlers still queued on io() (connections included).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` with a pool thread's Evaluator: at once when called on a pool thread (an HTTP
  // handler on io()), otherwise queued for the next free thread. After Stop the task never
  // runs; it is destroyed with the pool.
  void Run(Task task);

  // The context the pool's threads run. Objects bound to it (an HttpServer over it) must be
  // destroyed before the pool.
  boost::asio::io_context& io() { return io_; }

  // Lets the handlers that are running finish and joins the threads; queued handlers stay
  // unrun until the pool is destroyed. Idempotent.
  void Stop();

  unsigned threads() const { return static_cast<unsigned>(threads_.size()); }

 private:
  WorkerPool() = default;
  void ThreadMain(const engine::Engine& engine, host::DispatcherSharedPtr dispatcher,
                  Priority priority, std::function<void(Result<void>)> started);

  boost::asio::io_context io_;
  // Keeps the threads in io_.run() while nothing is pending.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

}  // namespace kw::server
