#pragma once
// Load-balancing policy interface. One Policy instance per (worker, cluster, config generation):
// it is single-threaded and keeps its own state (cursors, EWMAs, hash tables). Each policy lives
// in its own folder under upstream/lb/ and registers itself by name; the core never switches on
// policy names. Thread: owned by one worker.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"

namespace portico::upstream::lb {

// What a policy sees of one host at pick time. Hosts keep their index for the policy's life.
struct HostView {
  uint32_t weight = 1;           // effective weight (after admin re-weight and slow start), >= 1
  uint32_t active_requests = 0;  // requests in flight on this worker
  bool available = true;         // may receive this request (healthy, enabled, not ejected,
                                 // right tier: primaries first, backups when all are down)
};

struct PickContext {
  uint64_t hash = 0;      // hash of the request's key (hash policy); see hashKey()
  bool has_hash = false;  // false: no key in the request (hash policy falls back to round robin)
  int exclude = -1;       // avoid this host (retries) unless it is the only available one
  uint64_t random = 0;    // a fresh random number from the caller's per-worker generator
};

class Policy {
 public:
  virtual ~Policy() = default;
  // Returns the index of an available host, or -1 when none is available. Must not allocate.
  virtual int pick(std::span<const HostView> hosts, const PickContext& ctx) = 0;
  // The set of available hosts or their weights changed (called before the next pick). Policies
  // with tables (hash) rebuild here; may allocate.
  virtual void rebuild(std::span<const HostView> hosts) { (void)hosts; }
  // True when pick() uses PickContext::hash (the caller then extracts and hashes the key).
  virtual bool usesHash() const { return false; }
  // Gives each host a stable identity (a hash of its address), in host order, once before the
  // first rebuild. Hash policies seed per-host state from it so that removing one host does not
  // reshuffle the others (their indices shift, their keys do not).
  virtual void setHostKeys(std::span<const uint64_t> keys) { (void)keys; }
  // A request to `host` finished after `latency_us` (least_time feeds its EWMA here).
  virtual void onResponse(int host, uint64_t latency_us, bool success) {
    (void)host;
    (void)latency_us;
    (void)success;
  }
};

using Factory = std::function<std::unique_ptr<Policy>(const config::LoadBalancing&, size_t hosts)>;

// Registers a policy under `name` (called from a static initializer in the policy's folder).
bool registerPolicy(const std::string& name, Factory factory);
// Creates the policy named in `cfg.policy`, or nullptr if no policy has that name.
std::unique_ptr<Policy> createPolicy(const config::LoadBalancing& cfg, size_t hosts);
// Names of every registered policy (for config validation and docs).
std::vector<std::string> policyNames();

// 64-bit hash of a key (for PickContext::hash). Stable across runs and workers.
uint64_t hashKey(std::string_view key);

}  // namespace portico::upstream::lb
