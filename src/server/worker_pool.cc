#include "server/worker_pool.h"

#include <future>

#include <spdlog/spdlog.h>

namespace kw::server {

Result<std::unique_ptr<WorkerPool>> WorkerPool::Start(const engine::Engine& engine,
                                                      host::DispatcherSharedPtr dispatcher,
                                                      unsigned threads) {
  if (threads == 0) return Fail(ErrorKind::kInvalidArgument, "the worker pool needs a thread");
  std::unique_ptr<WorkerPool> pool(new WorkerPool());
  std::vector<std::future<Result<void>>> started;
  for (unsigned i = 0; i < threads; ++i) {
    auto promise = std::make_shared<std::promise<Result<void>>>();
    started.push_back(promise->get_future());
    pool->threads_.emplace_back([&engine, dispatcher, promise, p = pool.get()] {
      p->Run(engine, dispatcher, [promise](Result<void> r) { promise->set_value(std::move(r)); });
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

void WorkerPool::Run(const engine::Engine& engine, host::DispatcherSharedPtr dispatcher,
                     std::function<void(Result<void>)> started) {
  // The Worker and the Evaluator live and die on this thread, as the engine requires.
  auto worker = engine.CreateWorker();
  if (!worker) {
    started(std::unexpected(worker.error()));
    return;
  }
  evaluator::Evaluator evaluator(**worker, std::move(dispatcher));
  started({});
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task(evaluator);
  }
}

void WorkerPool::Submit(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;  // `task` is destroyed unrun, releasing what it holds
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void WorkerPool::Stop() {
  std::deque<Task> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  if (!dropped.empty()) spdlog::warn("{} queued evaluations dropped at shutdown", dropped.size());
  // `dropped` is destroyed here, outside the lock: tasks may release sessions whose destructors
  // take other locks.
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace kw::server
