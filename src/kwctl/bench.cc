// kwctl bench: times validate_settings and validate of each policy, like upstream's tiny-bench
// runs: a warm-up, then samples of many iterations, reporting per-iteration min, mean and max.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>

#include <fmt/format.h>

#include "base/files.h"
#include "kwctl/commands.h"

namespace kw::kwctl {
namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  double min_ns = 0, mean_ns = 0, max_ns = 0;
  int samples = 0;
  std::uint64_t iterations = 0;
};

std::string Human(double ns) {
  if (ns < 1e3) return fmt::format("{:.1f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.2f} µs", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

Stats Measure(const BenchFlags& flags, const std::function<void()>& body) {
  auto warm_up_end = Clock::now() + std::chrono::duration<double>(flags.warm_up_seconds);
  std::uint64_t warm_iterations = 0;
  auto warm_start = Clock::now();
  do {
    body();
    ++warm_iterations;
  } while (Clock::now() < warm_up_end);
  double per_iteration_ns =
      std::chrono::duration<double, std::nano>(Clock::now() - warm_start).count() /
      static_cast<double>(warm_iterations);
  int samples = std::max(1, flags.num_samples);
  double sample_budget_ns = flags.measurement_seconds * 1e9 / samples;
  auto iterations_per_sample = static_cast<std::uint64_t>(
      std::max(1.0, sample_budget_ns / std::max(per_iteration_ns, 1.0)));

  Stats stats;
  stats.min_ns = 1e300;
  double total_ns = 0;
  for (int s = 0; s < samples; ++s) {
    auto start = Clock::now();
    for (std::uint64_t i = 0; i < iterations_per_sample; ++i) body();
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
                static_cast<double>(iterations_per_sample);
    stats.min_ns = std::min(stats.min_ns, ns);
    stats.max_ns = std::max(stats.max_ns, ns);
    total_ns += ns;
  }
  stats.samples = samples;
  stats.iterations = iterations_per_sample * static_cast<std::uint64_t>(samples);
  stats.mean_ns = total_ns / samples;
  return stats;
}

void Report(const std::string& policy_id, const std::string& label, const Stats& s,
            bool dump) {
  std::string line = fmt::format(
      "{}/{:<18} time: [{} {} {}]  (min mean max; {} samples, {} iterations)\n", policy_id, label,
      Human(s.min_ns), Human(s.mean_ns), Human(s.max_ns), s.samples, s.iterations);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
  if (dump) {
    std::string dir = "target/tiny-bench/" + label;
    std::filesystem::create_directories(dir);
    (void)WriteFile(dir + "/" + policy_id + ".json",
                    fmt::format(R"({{"min_ns":{},"mean_ns":{},"max_ns":{},"samples":{},"iterations":{}}})",
                                s.min_ns, s.mean_ns, s.max_ns, s.samples, s.iterations));
  }
}

// Where a replayed host-capability session stands (0 without one).
std::size_t ReplayPosition(const Session& session) {
  return session.replayer ? session.replayer->Position() : 0;
}

// `body`, made to start every iteration at `position` of a replayed host-capability session,
// so that each iteration gets the answers the first one got. Without it the first iteration
// would use the exchanges up and the others would measure "no more exchanges" host errors
// (which is what upstream's kwctl, popping each exchange once (tooling.md §1.6), measures).
std::function<void()> Replaying(Session& session, std::size_t position,
                                std::function<void()> body) {
  if (!session.replayer) return body;
  return [&session, position, body = std::move(body)] {
    session.replayer->Rewind(position);
    body();
  };
}

}  // namespace

Result<void> Bench(const BenchFlags& flags) {
  KW_ASSIGN_OR_RETURN(Session session, PrepareSession(flags.run));
  for (const auto& target : session.targets) {
    const std::size_t settings_start = ReplayPosition(session);
    auto settings = session.ValidateSettings(*target);
    if (!settings.valid) {
      return Fail(ErrorKind::kInvalidArgument,
                  "[" + target->id + "] - provided settings are not valid: " +
                      settings.message.value_or("no message"));
    }
    const std::size_t validate_start = ReplayPosition(session);
    Report(target->id, "validate_settings",
           Measure(flags, Replaying(session, settings_start,
                                    [&] { (void)session.ValidateSettings(*target); })),
           flags.dump_results_to_disk);
    Report(target->id, "validate",
           Measure(flags, Replaying(session, validate_start,
                                    [&] { (void)session.Evaluate(*target); })),
           flags.dump_results_to_disk);
  }
  session.FinishCodeCacheWrites();
  return session.FinishHostCapabilitiesSession();
}

}  // namespace kw::kwctl
