// The watchdog: one process-wide thread that interrupts guest calls at their deadline.
//
// Each Worker registers a Slot. Around a guest call the worker Arms its slot with a deadline and
// Disarms it afterwards. While any slot is armed the watchdog wakes every millisecond and fires
// the slot's `interrupt` for each expired slot, once. Arm, Disarm and the firing take the same
// mutex, so an interrupt can never land after Disarm returned (it would otherwise kill the
// worker's next, innocent call). Thread-safe.
#pragma once

#include <chrono>
#include <functional>

namespace kw::engine {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  struct Slot;  // opaque, owned by the watchdog

  static Watchdog& Get();

  // `interrupt` runs on the watchdog thread with the watchdog's lock held; it must be quick and
  // thread-safe (V8's TerminateExecution is).
  Slot* Register(std::function<void()> interrupt);
  void Unregister(Slot* slot);

  void Arm(Slot* slot, Clock::time_point deadline);
  // Returns true when the interrupt fired during this arming.
  bool Disarm(Slot* slot);

 private:
  Watchdog();
  void Run();
};

}  // namespace kw::engine
