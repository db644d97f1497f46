#include "engine/v8/watchdog.h"

#include <algorithm>
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
  // When the watchdog thread wakes up next by itself: the earliest deadline it knows of.
  Watchdog::Clock::time_point sleeps_until = Watchdog::Clock::time_point::max();
};

State& state() {
  static State* s = new State();
  return *s;
}

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
  s.slots.remove_if([slot](const Slot& x) { return &x == slot; });
}

void Watchdog::Arm(Slot* slot, Clock::time_point deadline) {
  State& s = state();
  std::lock_guard lock(s.mu);
  slot->deadline = deadline;
  slot->fired = false;
  slot->armed = true;
  if (deadline < s.sleeps_until) {
    s.sleeps_until = deadline;
    s.wake.notify_one();
  }
}

bool Watchdog::Disarm(Slot* slot) {
  State& s = state();
  std::lock_guard lock(s.mu);
  // The watchdog may still wake up for this deadline; it finds nothing to do then.
  slot->armed = false;
  return slot->fired;
}

void Watchdog::Run() {
  State& s = state();
  std::unique_lock lock(s.mu);
  for (;;) {
    auto now = Clock::now();
    auto next = Clock::time_point::max();
    for (auto& slot : s.slots) {
      if (!slot.armed || slot.fired) continue;
      if (now >= slot.deadline) {
        slot.fired = true;
        slot.interrupt();
      } else {
        next = std::min(next, slot.deadline);
      }
    }
    s.sleeps_until = next;
    if (next == Clock::time_point::max()) {
      s.wake.wait(lock);
    } else {
      s.wake.wait_until(lock, next);
    }
  }
}

}  // namespace kw::engine
