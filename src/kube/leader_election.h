// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it, so a
// replicated controller acts through one replica at a time and hands over when it goes away.
//
// A candidate takes the Lease when nobody holds it or when its holder has not renewed it for
// `lease_duration`, as observed on this candidate's own clock (the holder's renewTime is never
// compared with ours, so clock skew between nodes does not matter, as in client-go). The leader
// renews every `retry_period` and steps down when it could not renew for `renew_deadline`.
// Writes are updates conditional on the resourceVersion read, so two candidates cannot both win.
// Stopping a leader releases the Lease (empty holderIdentity), letting the next one take it at
// once instead of after the lease duration.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/error.h"
#include "kube/client.h"

namespace kw::kube {

struct LeaderElectionConfig {
  std::string ns;        // the Lease's namespace
  std::string name;      // the Lease's name
  std::string identity;  // this candidate (pod name + a random suffix, typically)
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
};

struct LeaderCallbacks {
  std::function<void()> started_leading;  // called on the election thread
  std::function<void()> stopped_leading;  // after losing or giving up the Lease
};

class LeaderElector {
 public:
  // Starts campaigning in a thread of its own.
  LeaderElector(std::shared_ptr<const Client> client, LeaderElectionConfig config,
                LeaderCallbacks callbacks);
  // Stops, releasing the Lease when held (stopped_leading is called).
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  bool IsLeader() const;
  // The holder last observed ("" when none).
  std::string CurrentLeader() const;

 private:
  struct Record {
    std::string holder;
    std::string resource_version;
    std::string renew_time;
    int transitions = 0;
  };
  void Run();
  // One attempt to acquire or renew; true when we hold the Lease afterwards.
  Result<bool> TryAcquireOrRenew();
  void Release();
  bool WaitUnlessStopped(std::chrono::milliseconds delay);

  const std::shared_ptr<const Client> client_;
  const LeaderElectionConfig config_;
  const LeaderCallbacks callbacks_;

  mutable std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  bool leader_ = false;
  Record observed_;
  std::chrono::steady_clock::time_point observed_at_;
  std::thread thread_;
};

}  // namespace kw::kube
