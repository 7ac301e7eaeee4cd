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

namespace portico::proxy {

struct HostInfo {
  net::Address address;
  std::string text;  // "127.0.0.1:9001" as configured
  uint32_t weight = 1;
};

struct ClusterInfo {
  const config::Cluster* config;
  std::vector<HostInfo> hosts;
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

// Compiles a validated Config. Throws config::ConfigError if an address cannot be resolved.
std::shared_ptr<const Snapshot> buildSnapshot(std::shared_ptr<const config::Config> config);

}  // namespace portico::proxy
