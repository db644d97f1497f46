// The threads of policy-server: a fixed pool of `--workers` threads that both serve HTTP and
// evaluate policies, and a standby thread that takes over the connections of a stuck one.
//
// Each thread owns one engine Worker (for V8, an isolate, which must be created, used and
// destroyed on its thread), one evaluator::Evaluator over it, which keeps the policies' guest
// instances warm between requests, and one asio::io_context. The HTTP server of the admission
// API spreads its connections over these contexts (each new connection goes to the thread that
// is not handling a request, then to the one serving the fewest): a request is read, parsed,
// evaluated and answered on the thread that owns its connection, the way nginx and Envoy run
// their workers.
//
// Why not one io_context run by every thread: Asio then hands its reactor from thread to thread
// around every handler (the thread leaving epoll_wait wakes another to take its place, and each
// new operation interrupts the one waiting), about 13 context switches per request at 3k req/s
// on 2 cores, which made a request below saturation cost twice the CPU it costs at saturation.
// Handing each request to a separate evaluation thread and back cost two futex wake-ups per
// request, a third of the CPU time at 20k requests/s.
//
// What a shared context gave for free, and what the standby thread gives back: a thread busy
// with a slow evaluation (a policy looping until its timeout, a WASI memory bomb, a slow host
// call) must not hold up the other connections it owns. When a thread has been in one task for
// longer than `rescue_after`, the standby thread (with an Evaluator of its own) runs that
// thread's context too until the task is over: the stuck thread's other connections are served
// on the standby, each still on its own strand. A policy that keeps running out of time goes to
// the slow lane anyway (slow_lane.h).
//
// Thread-safe: Run may be called from any thread. Stop (or the destructor) must not be called
// from a pool thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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

  // Starts `threads` (> 0) threads, each creating its engine Worker, and with a non-zero
  // `rescue_after` the standby thread (and its Worker); fails (and stops the ones already
  // started) when a thread cannot create its Worker. `engine` must outlive the pool.
  static Result<std::unique_ptr<WorkerPool>> Start(
      const engine::Engine& engine, host::DispatcherSharedPtr dispatcher, unsigned threads,
      std::chrono::milliseconds rescue_after = std::chrono::milliseconds(0));

  // Stops, then destroys the handlers still queued on the contexts (connections included).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` with a pool thread's Evaluator: at once when called on a pool thread (an HTTP
  // handler on one of contexts()), otherwise queued for the threads in turn. After Stop the
  // task never runs; it is destroyed with the pool.
  void Run(Task task);

  // One context per thread. Objects bound to them (an HttpServer over them) must be destroyed
  // before the pool.
  std::vector<boost::asio::io_context*> contexts();

  // Lets the handlers that are running finish and joins the threads; queued handlers stay
  // unrun until the pool is destroyed. Idempotent.
  void Stop();

  unsigned threads() const { return static_cast<unsigned>(lanes_.size()); }

  // How many times the standby thread took over a stuck thread's context (for tests and logs).
  std::uint64_t rescues() const { return rescues_.load(std::memory_order_relaxed); }

 private:
  // A thread and its context.
  struct Lane {
    boost::asio::io_context io;
    // Keeps the thread in io.run() while nothing is pending.
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    std::thread thread;
    // When the thread began the task it runs (steady clock, ns), 0 while it runs none.
    std::atomic<std::int64_t> busy_since{0};
  };

  WorkerPool() = default;
  // Starts `thread`, which creates its Worker and Evaluator and then runs `body`; returns once
  // it has (or failed to create the Worker). `busy_since`: its lane's mark, null for the standby.
  Result<void> StartThread(const engine::Engine& engine, host::DispatcherSharedPtr dispatcher,
                           std::thread& thread, std::atomic<std::int64_t>* busy_since,
                           std::function<void()> body);
  // The standby thread's loop, until Stop.
  void Standby();
  Lane* LongestStuck() const;

  std::vector<std::unique_ptr<Lane>> lanes_;
  std::atomic<std::size_t> next_lane_{0};  // where Run queues the next task from outside
  std::chrono::milliseconds rescue_after_{0};
  std::thread standby_;
  std::mutex standby_mutex_;
  std::condition_variable standby_wake_;
  bool stopping_ = false;  // guarded by standby_mutex_
  std::atomic<std::uint64_t> rescues_{0};
};

}  // namespace kw::server
