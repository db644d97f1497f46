#include "server/worker_pool.h"

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
                                                      unsigned threads) {
  if (threads == 0) return Fail(ErrorKind::kInvalidArgument, "the worker pool needs a thread");
  std::unique_ptr<WorkerPool> pool(new WorkerPool());
  std::vector<std::future<Result<void>>> started;
  for (unsigned i = 0; i < threads; ++i) {
    Lane& lane = *pool->lanes_.emplace_back(std::make_unique<Lane>());
    lane.work.emplace(lane.io.get_executor());
    auto promise = std::make_shared<std::promise<Result<void>>>();
    started.push_back(promise->get_future());
    lane.thread = std::thread([&engine, dispatcher, promise, p = pool.get(), &lane] {
      p->ThreadMain(lane, engine, dispatcher,
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

void WorkerPool::ThreadMain(Lane& lane, const engine::Engine& engine,
                            host::DispatcherSharedPtr dispatcher,
                            std::function<void(Result<void>)> started) {
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
      lane.io.run();
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
  Lane& lane = *lanes_[next_lane_.fetch_add(1, std::memory_order_relaxed) % lanes_.size()];
  boost::asio::post(lane.io, [task = std::move(task)]() mutable {
    // A lane's handlers only run on its thread, which has its Evaluator.
    task(*this_thread.evaluator);
  });
}

std::vector<boost::asio::io_context*> WorkerPool::contexts() {
  std::vector<boost::asio::io_context*> out;
  for (auto& lane : lanes_) out.push_back(&lane->io);
  return out;
}

void WorkerPool::Stop() {
  for (auto& lane : lanes_) {
    lane->work.reset();
    lane->io.stop();
  }
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

}  // namespace kw::server
