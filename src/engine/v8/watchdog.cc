#include "engine/v8/watchdog.h"

#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

namespace kw::engine {

struct Watchdog::Slot {
  std::function<void()> interrupt;
  bool armed = false;
  bool fired = false;
  Clock::time_point deadline;
};

namespace {

// State lives outside the class so the header stays free of it; the watchdog is a leaked
// singleton (its thread runs until the process exits, so no destruction-order hazards).
struct State {
  std::mutex mu;
  std::condition_variable wake;
  std::list<Watchdog::Slot> slots;
  int armed_count = 0;
  // True while the watchdog sleeps without a tick. It keeps ticking for a while after the last
  // armed call, so a steady stream of short calls never pays for a wake-up syscall.
  bool sleeping = false;
  bool armed_since_tick = false;
};

State& state() {
  static State* s = new State();
  return *s;
}

constexpr auto kTick = std::chrono::milliseconds(1);
constexpr int kIdleTicksBeforeSleep = 1000;

}  // namespace

Watchdog& Watchdog::Get() {
  static Watchdog* w = new Watchdog();
  return *w;
}

Watchdog::Watchdog() {
  std::thread([this] { Run(); }).detach();
}

Watchdog::Slot* Watchdog::Register(std::function<void()> interrupt) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.slots.emplace_back();
  s.slots.back().interrupt = std::move(interrupt);
  return &s.slots.back();
}

void Watchdog::Unregister(Slot* slot) {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (slot->armed) --s.armed_count;
  s.slots.remove_if([slot](const Slot& x) { return &x == slot; });
}

void Watchdog::Arm(Slot* slot, Clock::time_point deadline) {
  State& s = state();
  std::lock_guard lock(s.mu);
  slot->deadline = deadline;
  slot->fired = false;
  if (!slot->armed) {
    slot->armed = true;
    ++s.armed_count;
    s.armed_since_tick = true;
    if (s.sleeping) {
      s.sleeping = false;
      s.wake.notify_one();
    }
  }
}

bool Watchdog::Disarm(Slot* slot) {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (slot->armed) {
    slot->armed = false;
    --s.armed_count;
  }
  return slot->fired;
}

void Watchdog::Run() {
  State& s = state();
  std::unique_lock lock(s.mu);
  int idle_ticks = 0;
  for (;;) {
    if (s.armed_count > 0 || s.armed_since_tick) {
      idle_ticks = 0;
      s.armed_since_tick = false;
    } else if (++idle_ticks >= kIdleTicksBeforeSleep) {
      s.sleeping = true;
      s.wake.wait(lock, [&] { return !s.sleeping; });
      idle_ticks = 0;
    }
    auto now = Clock::now();
    for (auto& slot : s.slots) {
      if (slot.armed && !slot.fired && now >= slot.deadline) {
        slot.fired = true;
        slot.interrupt();
      }
    }
    s.wake.wait_for(lock, kTick);
  }
}

}  // namespace kw::engine
