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
