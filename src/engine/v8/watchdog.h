// The watchdog: one process-wide thread that interrupts guest calls at their deadline.
//
// Each Worker registers a Slot. Around a guest call the worker Arms its slot with a deadline and
// Disarms it afterwards. The watchdog sleeps until the earliest deadline of the armed slots and
// fires the slot's `interrupt` for each expired slot, once. Arming wakes it only when the new
// deadline comes before the one it sleeps until, which with one timeout for every call is rare,
// so a steady stream of calls costs about one wake-up per timeout period (a 1 ms tick cost
// 1,000 wake-ups a second, each taking a core from a worker on a small machine). Arm, Disarm and
// the firing take the same mutex, so an interrupt can never land after Disarm returned (it
// would otherwise kill the worker's next, innocent call). Thread-safe.
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
