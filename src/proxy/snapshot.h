#pragma once
// An immutable, compiled view of one Config: resolved addresses, compiled routers and the
// trusted-proxy set. Built on the main thread, shared read-only by every worker.
// In-flight requests keep the snapshot they started with.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/address.h"
#include "net/cidr.h"
#include "router/router.h"
#include "tls/client_context.h"
#include "tls/server_context.h"
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
  std::shared_ptr<const tls::ClientContext> tls;  // null: plain TCP to the servers
};

struct ListenerInfo {
  const config::Listener* config;
  net::Address address;
  router::Router router;
  // TLS listener: certificates, policy, tickets. The main thread may reload certificates and
  // rotate ticket keys in place (thread-safe); workers only create SSL objects from it.
  std::shared_ptr<tls::ServerContext> tls;
  std::string hsts_header;  // "Strict-Transport-Security: ...\r\n" or ""
};

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::vector<ClusterInfo> clusters;
  std::vector<ListenerInfo> listeners;
  net::CidrSet trusted_proxies;

  // Index of the listener named `name`, or -1.
  int listenerIndex(const std::string& name) const;
};

// TLS server contexts kept across reloads (main thread): a listener whose `tls:` section did
// not change keeps its context, and with it the session cache and ticket keys, so clients
// resume their sessions after a reload.
struct TlsContextCache {
  struct Entry {
    config::ListenerTls config;
    std::shared_ptr<tls::ServerContext> context;
  };
  std::map<std::string, Entry> by_listener;  // listener name -> context
};

// Compiles a validated Config. Host and cluster state come from `registry` (kept across reloads);
// without one (config check) fresh state is made. Throws config::ConfigError if an address
// cannot be resolved or a load-balancing policy is unknown.
// With `tls_cache`, unchanged TLS listeners reuse their context and the cache is updated to
// hold exactly this config's listeners.
std::shared_ptr<const Snapshot> buildSnapshot(std::shared_ptr<const config::Config> config,
                                              upstream::HostRegistry* registry = nullptr,
                                              TlsContextCache* tls_cache = nullptr);

}  // namespace portico::proxy
