#include "kube/leader_election.h"

#include <ctime>

#include <spdlog/spdlog.h>

#include "base/json.h"
#include "kube/resources.h"

namespace kw::kube {

namespace {

using Clock = std::chrono::steady_clock;

const ResourceType& Leases() {
  static const ResourceType leases{"coordination.k8s.io", "v1", "Lease", "leases", true, {}};
  return leases;
}

// A metav1.MicroTime: RFC 3339 in UTC with microseconds.
std::string MicroTimeNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          now.time_since_epoch()).count() % 1000000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return std::string(text, length) + "." + std::to_string(1000000 + micros).substr(1) + "Z";
}

int TransitionsOf(const json::value& lease) {
  const json::value* spec = FindKey(lease, "spec");
  const json::value* transitions = spec != nullptr ? FindKey(*spec, "leaseTransitions") : nullptr;
  return transitions != nullptr && transitions->is_int64()
             ? static_cast<int>(transitions->as_int64())
             : 0;
}

}  // namespace

LeaderElector::LeaderElector(std::shared_ptr<const Client> client, LeaderElectionConfig config,
                             LeaderCallbacks callbacks)
    : client_(std::move(client)), config_(std::move(config)), callbacks_(std::move(callbacks)) {
  thread_ = std::thread([this] { Run(); });
}

LeaderElector::~LeaderElector() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  thread_.join();
}

bool LeaderElector::IsLeader() const {
  std::lock_guard lock(mutex_);
  return leader_;
}

std::string LeaderElector::CurrentLeader() const {
  std::lock_guard lock(mutex_);
  return observed_.holder;
}

bool LeaderElector::WaitUnlessStopped(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !stop_signal_.wait_for(lock, delay, [this] { return stopping_; });
}

Result<bool> LeaderElector::TryAcquireOrRenew() {
  const std::string now = MicroTimeNow();
  const auto lease_seconds = std::chrono::duration_cast<std::chrono::seconds>(
      config_.lease_duration + std::chrono::milliseconds(999));
  json::object spec{{"holderIdentity", config_.identity},
                    {"leaseDurationSeconds", lease_seconds.count()},
                    {"renewTime", now}};
  auto current = Get(*client_, Leases(), config_.ns, config_.name);
  if (!current) {
    if (current.error().kind != ErrorKind::kNotFound) return std::unexpected(current.error());
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = 0;
    json::object lease{{"apiVersion", "coordination.k8s.io/v1"},
                       {"kind", "Lease"},
                       {"metadata", json::object{{"name", config_.name}, {"namespace", config_.ns}}},
                       {"spec", std::move(spec)}};
    auto created = Create(*client_, Leases(), config_.ns, lease);
    if (!created) {
      if (created.error().kind == ErrorKind::kConflict) return false;  // another one was faster
      return std::unexpected(created.error());
    }
    std::lock_guard lock(mutex_);
    observed_ = {config_.identity, StringAt(*created, {"metadata", "resourceVersion"}), now, 0};
    observed_at_ = Clock::now();
    return true;
  }

  Record record{StringAt(*current, {"spec", "holderIdentity"}),
                StringAt(*current, {"metadata", "resourceVersion"}),
                StringAt(*current, {"spec", "renewTime"}), TransitionsOf(*current)};
  {
    std::lock_guard lock(mutex_);
    // The lease's age is measured from when this candidate saw it change, on its own clock.
    if (record.holder != observed_.holder || record.renew_time != observed_.renew_time ||
        record.resource_version != observed_.resource_version) {
      observed_ = record;
      observed_at_ = Clock::now();
    }
    const bool held_by_other = !record.holder.empty() && record.holder != config_.identity;
    if (held_by_other && Clock::now() < observed_at_ + config_.lease_duration) return false;
  }
  const bool taking_over = record.holder != config_.identity;
  const json::value* old_spec = FindKey(*current, "spec");
  const json::value* acquired = old_spec != nullptr ? FindKey(*old_spec, "acquireTime") : nullptr;
  spec["acquireTime"] = taking_over || acquired == nullptr ? json::value(now) : *acquired;
  // As client-go: every change of holder counts, a released lease taken again included.
  spec["leaseTransitions"] = record.transitions + (taking_over ? 1 : 0);
  json::value updated = *current;
  updated.as_object()["spec"] = std::move(spec);
  auto written = Update(*client_, Leases(), config_.ns, updated);
  if (!written) {
    if (written.error().kind == ErrorKind::kConflict) return false;  // someone wrote in between
    return std::unexpected(written.error());
  }
  std::lock_guard lock(mutex_);
  observed_ = {config_.identity, StringAt(*written, {"metadata", "resourceVersion"}), now,
               TransitionsOf(*written)};
  observed_at_ = Clock::now();
  return true;
}

void LeaderElector::Release() {
  auto current = Get(*client_, Leases(), config_.ns, config_.name);
  if (!current || StringAt(*current, {"spec", "holderIdentity"}) != config_.identity) return;
  json::value released = *current;
  json::object& spec = released.as_object()["spec"].as_object();
  spec["holderIdentity"] = "";
  spec["leaseDurationSeconds"] = 1;
  spec["renewTime"] = MicroTimeNow();
  if (auto written = Update(*client_, Leases(), config_.ns, released); !written) {
    spdlog::warn("cannot release the lease {}/{}: {}", config_.ns, config_.name,
                 written.error().message);
  }
}

void LeaderElector::Run() {
  // Campaign until elected.
  while (true) {
    auto acquired = TryAcquireOrRenew();
    if (!acquired) {
      spdlog::warn("leader election on lease {}/{}: {}", config_.ns, config_.name,
                   acquired.error().message);
    }
    if (acquired && *acquired) break;
    if (!WaitUnlessStopped(config_.retry_period)) return;
  }
  {
    std::lock_guard lock(mutex_);
    leader_ = true;
  }
  spdlog::info("{} became the leader (lease {}/{})", config_.identity, config_.ns, config_.name);
  if (callbacks_.started_leading) callbacks_.started_leading();
  // Renew until stopped or until renewing failed for renew_deadline.
  Clock::time_point last_renewal = Clock::now();
  bool stopped = false;
  while (!stopped) {
    stopped = !WaitUnlessStopped(config_.retry_period);
    if (stopped) break;
    auto renewed = TryAcquireOrRenew();
    if (renewed && *renewed) {
      last_renewal = Clock::now();
      continue;
    }
    if (Clock::now() - last_renewal >= config_.renew_deadline || (renewed && !*renewed)) {
      spdlog::warn("{} lost the lease {}/{}", config_.identity, config_.ns, config_.name);
      break;
    }
  }
  {
    std::lock_guard lock(mutex_);
    leader_ = false;
  }
  if (stopped) Release();
  if (callbacks_.stopped_leading) callbacks_.stopped_leading();
}

}  // namespace kw::kube
