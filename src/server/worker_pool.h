// The threads of policy-server: a fixed pool of `--workers` threads that both serve HTTP and
// evaluate policies.
//
// Each thread owns one engine Worker (for V8, an isolate, which must be created, used and
// destroyed on its thread), one evaluator::Evaluator over it, which keeps the policies' guest
// instances warm between requests, and one asio::io_context that only it runs. The HTTP server
// of the admission API spreads its connections over these contexts (each new connection goes to
// the thread serving the fewest): a request is read, parsed, evaluated and answered on the thread
// that owns its connection, the way nginx and Envoy run their workers.
//
// Why not one io_context run by every thread: Asio then hands its reactor from thread to thread
// around every handler (the thread leaving epoll_wait wakes another to take its place, and each
// new operation interrupts the one waiting), about 13 context switches per request at 3k req/s
// on 2 cores, which doubled the CPU time of a request below saturation (bench/load.sh's fixed
// rates). Handing each request to a separate evaluation thread and back cost two futex wake-ups
// per request, a third of the CPU time at 20k requests/s.
//
// The price is that a connection waits while its thread evaluates another connection's request.
// Each evaluation is bounded by its policy's timeout (the engine's watchdog interrupts the
// guest), and a policy that has run out of time goes to the slow lane (slow_lane.h), which
// evaluates it on a thread of its own from then on.
//
// Thread-safe: Run may be called from any thread. Stop (or the destructor) must not be called
// from a pool thread.
#pragma once

#include <atomic>
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
  static Result<std::unique_ptr<WorkerPool>> Start(const engine::Engine& engine,
                                                   host::DispatcherSharedPtr dispatcher,
                                                   unsigned threads);

  // Stops, then destroys the handlers still queued on the contexts (connections included).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` with a pool thread's Evaluator: at once when called on a pool thread (an HTTP
  // handler on one of contexts()), otherwise queued for the threads in turn. After Stop the
  // task never runs; it is destroyed with the pool.
  void Run(Task task);

  // One context per thread, each run by its thread only. Objects bound to them (an HttpServer
  // over them) must be destroyed before the pool.
  std::vector<boost::asio::io_context*> contexts();

  // Lets the handlers that are running finish and joins the threads; queued handlers stay
  // unrun until the pool is destroyed. Idempotent.
  void Stop();

  unsigned threads() const { return static_cast<unsigned>(lanes_.size()); }

 private:
  // A thread and the context only it runs.
  struct Lane {
    boost::asio::io_context io{1};
    // Keeps the thread in io.run() while nothing is pending.
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    std::thread thread;
  };

  WorkerPool() = default;
  void ThreadMain(Lane& lane, const engine::Engine& engine, host::DispatcherSharedPtr dispatcher,
                  std::function<void(Result<void>)> started);

  std::vector<std::unique_ptr<Lane>> lanes_;
  std::atomic<std::size_t> next_lane_{0};  // where Run queues the next task from outside
};

}  // namespace kw::server
