#pragma once
// What the admin API can see and change at runtime, implemented by the main thread's
// server::Server. Every call runs on the main thread (the admin listener lives on its loop).
// Changes apply without a reload: the server builds a new snapshot and posts it to workers.
#include <cstdint>
#include <string>
#include <vector>

#include "upstream/host_state.h"

namespace portico::admin {

struct ServerStatus {
  std::string address;
  uint32_t weight = 1;
  bool backup = false;
  bool healthy = true;   // active health verdict
  bool ejected = false;  // passive outlier ejection in force
  upstream::AdminState admin = upstream::AdminState::Enabled;
  int64_t in_flight = 0;
  uint64_t requests = 0;
  uint64_t failures = 0;
  uint32_t ejections = 0;
};

struct ClusterStatus {
  std::string name;
  std::string policy;
  std::vector<ServerStatus> servers;
  // Cluster counters (upstream::ClusterStats), summed over workers.
  int64_t active_requests = 0;
  int64_t connections_in_use = 0;
  int64_t pending = 0;
  uint64_t overflow_requests = 0;     // 503 by circuit_breaker.max_requests
  uint64_t overflow_connections = 0;  // 503 by max_connections / max_pending
  uint64_t retries = 0;
  uint64_t retry_budget_exhausted = 0;
  uint64_t no_server = 0;  // 503 because no server was available
  // Copies mirrored to this cluster (route `mirror:`): sent, not sent (skipped: body not in
  // memory or too large; dropped: too many in flight or circuit breaker), failed after sending.
  uint64_t mirrored = 0;
  uint64_t mirror_skipped = 0;
  uint64_t mirror_dropped = 0;
  uint64_t mirror_failed = 0;
};

class ClusterAdmin {
 public:
  virtual ~ClusterAdmin() = default;
  // Current clusters and their servers with health, weights and counters.
  virtual std::vector<ClusterStatus> clusters() = 0;
  // Each mutator returns "" on success, or an error message (unknown cluster/server, duplicate,
  // invalid address...). `status` receives the HTTP status to answer (404 unknown, 409 conflict,
  // 400 invalid).
  virtual std::string addServer(const std::string& cluster, const std::string& address,
                                uint32_t weight, bool backup, int& status) = 0;
  virtual std::string removeServer(const std::string& cluster, const std::string& address,
                                   int& status) = 0;
  virtual std::string setAdminState(const std::string& cluster, const std::string& address,
                                    upstream::AdminState state, int& status) = 0;
  virtual std::string setWeight(const std::string& cluster, const std::string& address,
                                uint32_t weight, int& status) = 0;
};

}  // namespace portico::admin
