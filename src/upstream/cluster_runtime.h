#pragma once
// A worker's view of one cluster for one config generation: its hosts (with per-worker pools and
// in-flight counts, and the shared HostState), the load-balancing policy instance, and the
// passive-health bookkeeping. choose() applies availability (health, admin state, ejection),
// backup tiers and slow start, then asks the policy. Thread: owned by one worker.
#include <cstdint>
#include <memory>
#include <vector>

#include "config/config.h"
#include "upstream/cluster_stats.h"
#include "upstream/host_pool.h"
#include "upstream/host_state.h"
#include "upstream/lb/policy.h"
#include "upstream/upstream_connection.h"

namespace portico::upstream {

struct HostEntry {
  HostPool* pool = nullptr;
  HostState* state = nullptr;
  const std::string* sticky_id = nullptr;
  bool backup = false;
  uint64_t key = 0;              // stable identity (lb::HostView::key)
  uint32_t active_requests = 0;  // this worker's exchanges on this host
};

class ClusterRuntime {
 public:
  ClusterRuntime(const config::Cluster& cfg, ClusterStats* stats,
                 std::unique_ptr<lb::Policy> policy);

  void addHost(const HostEntry& h) {
    hosts_.push_back(h);
    views_.emplace_back();
  }
  // Picks a host index for a request, or -1 when no host is available (all down).
  // `exclude` (retries) is avoided when another host is available.
  int choose(uint64_t now_ms, const lb::PickContext& ctx);
  // Index of the available host whose sticky id is `id`, or -1.
  int findSticky(std::string_view id, uint64_t now_ms) const;

  // Exchange bookkeeping: start/end of a request on host `i`.
  void onRequestStart(int i);
  void onRequestEnd(int i, uint64_t latency_us, bool success);
  // Passive health: feed the outcome of an attempt. `connect_failure` or a 5xx `status`
  // count towards ejection; anything else resets the consecutive counters.
  void recordOutcome(int i, bool connect_failure, uint16_t status, uint64_t now_ms);

  // Exchanges of this worker waiting for a connection slot (circuit breaker max_connections).
  void addWaiter(UpstreamOwner* w) { waiters_.push_back(w); }
  void removeWaiter(UpstreamOwner* w);
  // Returns the first waiter (removed from the queue), or nullptr.
  UpstreamOwner* popWaiter();
  bool hasWaiters() const { return !waiters_.empty(); }

  HostEntry& host(int i) { return hosts_[static_cast<size_t>(i)]; }
  size_t size() const { return hosts_.size(); }
  const config::Cluster& config() const { return cfg_; }
  // True when the policy picks by the request's hash key (so the caller computes it).
  bool usesHash() const { return policy_ && policy_->usesHash(); }
  ClusterStats& stats() { return *stats_; }

 private:
  uint32_t effectiveWeight(const HostEntry& h, uint64_t now_ms) const;
  void maybeEject(int i, uint64_t now_ms, const char* why);

  const config::Cluster& cfg_;
  ClusterStats* stats_;
  std::unique_ptr<lb::Policy> policy_;
  std::vector<HostEntry> hosts_;
  std::vector<lb::HostView> views_;
  std::vector<UpstreamOwner*> waiters_;
  uint64_t signature_ = ~0ull;  // availability+weights last given to policy_->rebuild
};

}  // namespace portico::upstream
