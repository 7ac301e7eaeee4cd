#pragma once
// State of one host (cluster member) shared by every thread: the health checker and the admin
// API write it, workers read it with relaxed atomic loads (plain loads on x86) on the hot path.
// One HostState per (cluster name, address), kept by the HostRegistry across reloads, so health
// and admin changes survive a config reload. Thread: any (all fields atomic).
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "upstream/cluster_stats.h"

namespace portico::upstream {

enum class AdminState : uint8_t { Enabled = 0, Draining = 1, Disabled = 2 };

struct HostState {
  // Active health verdict; true when the cluster has no active check.
  std::atomic<bool> healthy{true};
  std::atomic<uint8_t> admin{static_cast<uint8_t>(AdminState::Enabled)};
  std::atomic<uint32_t> weight{1};             // current weight (admin may re-weight)
  std::atomic<uint32_t> configured_weight{1};  // weight in the config last applied
  // Monotonic ms when the host last became available (slow start ramps from here); 0 = long ago.
  std::atomic<uint64_t> available_since_ms{0};
  // Passive health (outlier detection).
  std::atomic<uint64_t> ejected_until_ms{0};
  std::atomic<uint32_t> ejections{0};
  std::atomic<uint32_t> consecutive_5xx{0};
  std::atomic<uint32_t> consecutive_connect_failures{0};
  // Counters (summed over workers).
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<int64_t> in_flight{0};
  // Health-check bookkeeping (health checker thread only).
  uint32_t check_successes = 0;
  uint32_t check_failures = 0;

  AdminState adminState() const {
    return static_cast<AdminState>(admin.load(std::memory_order_relaxed));
  }
  // True when the host may receive new requests at `now_ms` (healthy, enabled, not ejected).
  bool available(uint64_t now_ms) const {
    return healthy.load(std::memory_order_relaxed) && admin.load(std::memory_order_relaxed) == 0 &&
           ejected_until_ms.load(std::memory_order_relaxed) <= now_ms;
  }
};

// Owns HostStates by (cluster, address). Thread: main thread creates; pointers are stable.
class HostRegistry {
 public:
  // Returns the state for (cluster, address), creating it with `weight` when new. When the
  // configured weight changed since the last call, the current weight follows it.
  std::shared_ptr<HostState> get(const std::string& cluster, const std::string& address,
                                 uint32_t weight) {
    std::lock_guard<std::mutex> g(mu_);
    auto& slot = states_[{cluster, address}];
    if (!slot) {
      slot = std::make_shared<HostState>();
      slot->weight.store(weight);
      slot->configured_weight.store(weight);
    } else if (slot->configured_weight.load() != weight) {
      slot->configured_weight.store(weight);
      slot->weight.store(weight);
    }
    return slot;
  }
  // Returns the shared counters of `cluster`, creating them when new.
  std::shared_ptr<ClusterStats> cluster(const std::string& name) {
    std::lock_guard<std::mutex> g(mu_);
    auto& slot = clusters_[name];
    if (!slot) slot = std::make_shared<ClusterStats>();
    return slot;
  }

 private:
  std::map<std::string, std::shared_ptr<ClusterStats>> clusters_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<HostState>> states_;
};

}  // namespace portico::upstream
