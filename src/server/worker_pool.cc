#include "server/worker_pool.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace kw::server {
namespace {

// Set on a pool's threads: the pool, and the thread's Evaluator.
struct PoolThread {
  const WorkerPool* pool = nullptr;
  evaluator::Evaluator* evaluator = nullptr;
};
thread_local PoolThread this_thread;

}  // namespace

Result<std::unique_ptr<WorkerPool>> WorkerPool::Start(const engine::Engine& engine,
                                                      host::DispatcherSharedPtr dispatcher,
                                                      unsigned threads, Priority priority) {
  if (threads == 0) return Fail(ErrorKind::kInvalidArgument, "the worker pool needs a thread");
  std::unique_ptr<WorkerPool> pool(new WorkerPool());
  pool->work_.emplace(pool->io_.get_executor());
  std::vector<std::future<Result<void>>> started;
  for (unsigned i = 0; i < threads; ++i) {
    auto promise = std::make_shared<std::promise<Result<void>>>();
    started.push_back(promise->get_future());
    pool->threads_.emplace_back([&engine, dispatcher, priority, promise, p = pool.get()] {
      p->ThreadMain(engine, dispatcher, priority,
                    [promise](Result<void> r) { promise->set_value(std::move(r)); });
    });
  }
  for (auto& f : started) {
    Result<void> r = f.get();
    if (!r) {
      pool->Stop();
      return std::unexpected(r.error().Wrap("cannot start an evaluation thread"));
    }
  }
  return pool;
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::ThreadMain(const engine::Engine& engine, host::DispatcherSharedPtr dispatcher,
                            Priority priority, std::function<void(Result<void>)> started) {
  // A thread's scheduling policy is its own on Linux (sched_setscheduler with a thread id).
  // Done before `started`, so before the process's system-call filter.
  if (priority == Priority::kIdle) {
    const sched_param none{};
    if (sched_setscheduler(gettid(), SCHED_IDLE, &none) != 0) {
      spdlog::warn("cannot lower an evaluation thread's priority: {}", std::strerror(errno));
    }
  }
  // The Worker and the Evaluator live and die on this thread, as the engine requires.
  auto worker = engine.CreateWorker();
  if (!worker) {
    started(std::unexpected(worker.error()));
    return;
  }
  evaluator::Evaluator evaluator(**worker, std::move(dispatcher));
  this_thread = {this, &evaluator};
  started({});
  for (;;) {
    try {
      io_.run();
      break;
    } catch (const std::exception& e) {
      // A handler threw (allocation failure...): log it and keep serving.
      spdlog::error("worker thread: {}", e.what());
    }
  }
  this_thread = {};
}

void WorkerPool::Run(Task task) {
  if (this_thread.pool == this) return task(*this_thread.evaluator);
  boost::asio::post(io_, [task = std::move(task)]() mutable {
    // Handlers of io_ only run on this pool's threads, each of which has its Evaluator.
    task(*this_thread.evaluator);
  });
}

void WorkerPool::Stop() {
  work_.reset();
  io_.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace kw::server
