#include "server/worker_pool.h"

#include <future>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace kw::server {
namespace {

using Clock = std::chrono::steady_clock;

// Set on a pool's threads: the pool, the thread's Evaluator, and its lane (null on the standby
// thread, whose tasks never need rescuing by itself).
struct PoolThread {
  const WorkerPool* pool = nullptr;
  evaluator::Evaluator* evaluator = nullptr;
  std::atomic<std::int64_t>* busy_since = nullptr;
};
thread_local PoolThread this_thread;

std::int64_t Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Runs `task` on this pool thread, marked busy meanwhile (for the standby thread). Nested runs
// (a task running another inline) keep the outer mark.
void RunHere(WorkerPool::Task& task) {
  std::atomic<std::int64_t>* busy = this_thread.busy_since;
  if (busy == nullptr || busy->load(std::memory_order_relaxed) != 0) {
    return task(*this_thread.evaluator);
  }
  busy->store(Now(), std::memory_order_relaxed);
  struct Idle {
    std::atomic<std::int64_t>* busy;
    ~Idle() { busy->store(0, std::memory_order_relaxed); }
  } idle{busy};
  task(*this_thread.evaluator);
}

// Runs `io` on this thread until it is stopped; a handler that throws (allocation failure...)
// is logged and the thread goes on serving.
void RunLoggingErrors(boost::asio::io_context& io) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("worker thread: {}", e.what());
    }
  }
}

}  // namespace

Result<std::unique_ptr<WorkerPool>> WorkerPool::Start(const engine::Engine& engine,
                                                      host::DispatcherSharedPtr dispatcher,
                                                      unsigned threads,
                                                      std::chrono::milliseconds rescue_after) {
  if (threads == 0) return Fail(ErrorKind::kInvalidArgument, "the worker pool needs a thread");
  std::unique_ptr<WorkerPool> pool(new WorkerPool());
  pool->rescue_after_ = rescue_after;
  for (unsigned i = 0; i < threads; ++i) {
    Lane& lane = *pool->lanes_.emplace_back(std::make_unique<Lane>());
    lane.work.emplace(lane.io.get_executor());
    Result<void> started = pool->StartThread(engine, dispatcher, lane.thread, &lane.busy_since,
                                             [&lane] { RunLoggingErrors(lane.io); });
    if (!started) {
      pool->Stop();
      return std::unexpected(started.error().Wrap("cannot start an evaluation thread"));
    }
  }
  if (rescue_after.count() > 0) {
    Result<void> started = pool->StartThread(engine, dispatcher, pool->standby_, nullptr,
                                             [p = pool.get()] { p->Standby(); });
    if (!started) {
      pool->Stop();
      return std::unexpected(started.error().Wrap("cannot start the standby evaluation thread"));
    }
  }
  return pool;
}

Result<void> WorkerPool::StartThread(const engine::Engine& engine,
                                     host::DispatcherSharedPtr dispatcher, std::thread& thread,
                                     std::atomic<std::int64_t>* busy_since,
                                     std::function<void()> body) {
  // Shared: the thread may still be inside set_value when this call returns and ends.
  auto promise = std::make_shared<std::promise<Result<void>>>();
  auto started = promise->get_future();
  thread = std::thread([&engine, &dispatcher, &body, busy_since, promise, this] {
    // The Worker and the Evaluator live and die on this thread, as the engine requires.
    auto worker = engine.CreateWorker();
    if (!worker) {
      promise->set_value(std::unexpected(worker.error()));
      return;
    }
    evaluator::Evaluator evaluator(**worker, std::move(dispatcher));
    this_thread = {this, &evaluator, busy_since};
    std::function<void()> run = std::move(body);
    promise->set_value({});  // the references captured die with StartThread from here on
    run();
    this_thread = {};
  });
  return started.get();
}

WorkerPool::~WorkerPool() { Stop(); }

WorkerPool::Lane* WorkerPool::LongestStuck() const {
  const std::int64_t stuck_before =
      Now() - std::chrono::duration_cast<std::chrono::nanoseconds>(rescue_after_).count();
  Lane* longest = nullptr;
  std::int64_t longest_since = stuck_before;
  for (const auto& lane : lanes_) {
    std::int64_t since = lane->busy_since.load(std::memory_order_relaxed);
    if (since != 0 && since <= longest_since) {
      longest = lane.get();
      longest_since = since;
    }
  }
  return longest;
}

void WorkerPool::Standby() {
  // Looks every `rescue_after` for a stuck thread: a wake-up that costs nothing per request
  // (a thread would have to signal each task it begins otherwise).
  std::unique_lock lock(standby_mutex_);
  while (!standby_wake_.wait_for(lock, rescue_after_, [this] { return stopping_; })) {
    Lane* stuck = LongestStuck();
    if (stuck == nullptr) continue;
    lock.unlock();
    rescues_.fetch_add(1, std::memory_order_relaxed);
    // Serves the stuck thread's context beside it, slice by slice, until its task is over; the
    // context's handlers that run here see this thread's Evaluator.
    while (stuck->busy_since.load(std::memory_order_relaxed) != 0 && !stuck->io.stopped()) {
      try {
        stuck->io.run_for(rescue_after_);
      } catch (const std::exception& e) {
        spdlog::error("standby worker thread: {}", e.what());
      }
    }
    lock.lock();
  }
}

void WorkerPool::Run(Task task) {
  if (this_thread.pool == this) return RunHere(task);
  Lane& lane = *lanes_[next_lane_.fetch_add(1, std::memory_order_relaxed) % lanes_.size()];
  boost::asio::post(lane.io, [task = std::move(task)]() mutable {
    // A lane's handlers only run on pool threads, each of which has its Evaluator.
    RunHere(task);
  });
}

std::vector<boost::asio::io_context*> WorkerPool::contexts() {
  std::vector<boost::asio::io_context*> out;
  for (auto& lane : lanes_) out.push_back(&lane->io);
  return out;
}

void WorkerPool::Stop() {
  {
    std::lock_guard lock(standby_mutex_);
    stopping_ = true;
  }
  standby_wake_.notify_all();
  for (auto& lane : lanes_) {
    lane->work.reset();
    lane->io.stop();
  }
  if (standby_.joinable()) standby_.join();
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

}  // namespace kw::server
