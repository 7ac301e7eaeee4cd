#pragma once
// An in-memory ClusterAdmin for the admin tests: two clusters, mutators that behave like the
// real one (404 unknown, 409 duplicate, 400 invalid address) and a log of the calls made.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "admin/cluster_admin.h"
#include "net/address.h"

namespace portico::admin::testing {

class FakeClusterAdmin : public ClusterAdmin {
 public:
  FakeClusterAdmin() {
    ClusterStatus web{"web", "round_robin", {}};
    web.servers.push_back(ServerStatus{.address = "127.0.0.1:9001"});
    web.servers.push_back(ServerStatus{.address = "127.0.0.1:9002",
                                       .weight = 2,
                                       .healthy = false,
                                       .ejected = true,
                                       .in_flight = 3,
                                       .requests = 10,
                                       .failures = 1,
                                       .ejections = 4});
    web.servers.push_back(ServerStatus{.address = "[::1]:9001"});
    ClusterStatus api{"api", "least_conn", {}};
    api.servers.push_back(ServerStatus{.address = "127.0.0.1:9003", .backup = true});
    state = {web, api};
  }

  std::vector<ClusterStatus> clusters() override {
    calls.push_back("clusters");
    if (throw_on_clusters) throw std::runtime_error("boom");
    return state;
  }

  std::string addServer(const std::string& cluster, const std::string& address, uint32_t weight,
                        bool backup, int& status) override {
    calls.push_back("add " + cluster + " " + address + " " + std::to_string(weight) +
                    (backup ? " backup" : ""));
    ClusterStatus* c = find(cluster);
    if (!c) return fail(status, 404, "unknown cluster");
    net::Address parsed;
    if (!net::parseAddress(address, parsed)) return fail(status, 400, "invalid address");
    if (server(*c, address)) return fail(status, 409, "duplicate server");
    c->servers.push_back(ServerStatus{.address = address, .weight = weight, .backup = backup});
    return "";
  }

  std::string removeServer(const std::string& cluster, const std::string& address,
                           int& status) override {
    calls.push_back("remove " + cluster + " " + address);
    ClusterStatus* c = find(cluster);
    if (!c) return fail(status, 404, "unknown cluster");
    ServerStatus* s = server(*c, address);
    if (!s) return fail(status, 404, "unknown server");
    c->servers.erase(c->servers.begin() + (s - c->servers.data()));
    return "";
  }

  std::string setAdminState(const std::string& cluster, const std::string& address,
                            upstream::AdminState state, int& status) override {
    calls.push_back("state " + cluster + " " + address + " " +
                    std::to_string(static_cast<int>(state)));
    if (error_without_status) return "refused";
    ClusterStatus* c = find(cluster);
    if (!c) return fail(status, 404, "unknown cluster");
    ServerStatus* s = server(*c, address);
    if (!s) return fail(status, 404, "unknown server");
    s->admin = state;
    return "";
  }

  std::string setWeight(const std::string& cluster, const std::string& address, uint32_t weight,
                        int& status) override {
    calls.push_back("weight " + cluster + " " + address + " " + std::to_string(weight));
    ClusterStatus* c = find(cluster);
    if (!c) return fail(status, 404, "unknown cluster");
    ServerStatus* s = server(*c, address);
    if (!s) return fail(status, 404, "unknown server");
    s->weight = weight;
    return "";
  }

  // The last mutator call made (clusters() calls skipped), or "" when none.
  std::string lastChange() const {
    for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
      if (*it != "clusters") return *it;
    }
    return "";
  }

  std::vector<ClusterStatus> state;
  std::vector<std::string> calls;
  bool throw_on_clusters = false;
  bool error_without_status = false;  // setAdminState fails without setting `status`

 private:
  ClusterStatus* find(const std::string& name) {
    for (ClusterStatus& c : state) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
  static ServerStatus* server(ClusterStatus& c, const std::string& address) {
    for (ServerStatus& s : c.servers) {
      if (s.address == address) return &s;
    }
    return nullptr;
  }
  static std::string fail(int& status, int code, const char* message) {
    status = code;
    return message;
  }
};

}  // namespace portico::admin::testing
