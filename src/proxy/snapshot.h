#pragma once
// An immutable, compiled view of one Config: resolved addresses, compiled routers and the
// trusted-proxy set. Built on the main thread, shared read-only by every worker.
// In-flight requests keep the snapshot they started with.
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/address.h"
#include "net/cidr.h"
#include "router/router.h"
#include "upstream/cluster_stats.h"
#include "upstream/host_state.h"

namespace portico::proxy {

struct HostInfo {
  net::Address address;
  std::string text;  // "127.0.0.1:9001" as configured
  uint32_t weight = 1;
  bool backup = false;
  std::string sticky_id;                       // opaque id used in the sticky cookie
  std::shared_ptr<upstream::HostState> state;  // shared health/admin/counters
};

struct ClusterInfo {
  const config::Cluster* config;
  std::vector<HostInfo> hosts;
  std::shared_ptr<upstream::ClusterStats> stats;  // shared across workers and reloads
};

struct ListenerInfo {
  const config::Listener* config;
  net::Address address;
  router::Router router;
};

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::vector<ClusterInfo> clusters;
  std::vector<ListenerInfo> listeners;
  net::CidrSet trusted_proxies;

  // Index of the listener named `name`, or -1.
  int listenerIndex(const std::string& name) const;
};

// Compiles a validated Config. Host and cluster state come from `registry` (kept across reloads);
// without one (config check) fresh state is made. Throws config::ConfigError if an address
// cannot be resolved or a load-balancing policy is unknown.
std::shared_ptr<const Snapshot> buildSnapshot(std::shared_ptr<const config::Config> config,
                                              upstream::HostRegistry* registry = nullptr);

}  // namespace portico::proxy
