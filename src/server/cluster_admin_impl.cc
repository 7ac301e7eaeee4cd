// Server's admin::ClusterAdmin implementation: runtime views and changes of clusters without a
// reload. Weight and admin state live in the shared HostState (workers see them at the next
// pick); adding or removing a server builds a new snapshot from a modified copy of the config.
#include <algorithm>

#include "event/loop.h"
#include "net/address.h"
#include "server/server.h"

namespace portico::server {

std::vector<admin::ClusterStatus> Server::clusters() {
  std::vector<admin::ClusterStatus> out;
  uint64_t now = event::monotonicMs();
  for (const auto& ci : snap_->clusters) {
    admin::ClusterStatus cs;
    cs.name = ci.config->name;
    cs.policy = ci.config->lb.policy;
    const upstream::ClusterStats& cst = *ci.stats;
    cs.active_requests = cst.active_requests.load();
    cs.connections_in_use = cst.connections.load();
    cs.pending = cst.pending.load();
    cs.overflow_requests = cst.overflow_requests.load();
    cs.overflow_connections = cst.overflow_connections.load();
    cs.retries = cst.retries.load();
    cs.retry_budget_exhausted = cst.retry_budget_exhausted.load();
    cs.no_server = cst.no_host.load();
    cs.mirrored = cst.mirrored.load();
    cs.mirror_skipped = cst.mirror_skipped.load();
    cs.mirror_dropped = cst.mirror_dropped.load();
    cs.mirror_failed = cst.mirror_failed.load();
    for (const auto& h : ci.hosts) {
      const upstream::HostState& st = *h.state;
      admin::ServerStatus s;
      s.address = h.text;
      s.weight = st.weight.load();
      s.backup = h.backup;
      s.healthy = st.healthy.load();
      s.ejected = st.ejected_until_ms.load() > now;
      s.admin = st.adminState();
      s.in_flight = st.in_flight.load();
      s.requests = st.requests.load();
      s.failures = st.failures.load();
      s.ejections = st.ejections.load();
      cs.servers.push_back(std::move(s));
    }
    out.push_back(std::move(cs));
  }
  return out;
}

upstream::HostState* Server::findHost(const std::string& cluster, const std::string& address,
                                      int& status, std::string& err) {
  for (const auto& ci : snap_->clusters) {
    if (ci.config->name != cluster) continue;
    for (const auto& h : ci.hosts)
      if (h.text == address) return h.state.get();
    status = 404;
    err = "cluster '" + cluster + "' has no server '" + address + "'";
    return nullptr;
  }
  status = 404;
  err = "no cluster named '" + cluster + "'";
  return nullptr;
}

std::string Server::addServer(const std::string& cluster, const std::string& address,
                              uint32_t weight, bool backup, int& status) {
  net::Address a;
  if (address.empty() || address[0] == ':' || address.rfind("0.0.0.0:", 0) == 0 ||
      !net::parseAddress(address, a)) {
    status = 400;
    return "invalid server address '" + address + "' (want IP:PORT)";
  }
  if (weight == 0 || weight > 1000) {
    status = 400;
    return "weight must be 1-1000";
  }
  auto cfg = std::make_shared<config::Config>(*snap_->config);
  auto it = std::find_if(cfg->clusters.begin(), cfg->clusters.end(),
                         [&](const config::Cluster& c) { return c.name == cluster; });
  if (it == cfg->clusters.end()) {
    status = 404;
    return "no cluster named '" + cluster + "'";
  }
  for (const auto& s : it->servers)
    if (s.address == address) {
      status = 409;
      return "cluster '" + cluster + "' already has server '" + address + "'";
    }
  config::Server srv;
  srv.address = address;
  srv.weight = weight;
  srv.backup = backup;
  it->servers.push_back(srv);
  // A new server ramps up with slow start and starts enabled.
  auto st = registry_.get(cluster, address, weight);
  st->weight.store(weight);
  st->admin.store(static_cast<uint8_t>(upstream::AdminState::Enabled));
  st->available_since_ms.store(event::monotonicMs());
  std::string err = apply(cfg);
  if (!err.empty()) {
    status = 400;
    return err;
  }
  status = 201;
  return "";
}

std::string Server::removeServer(const std::string& cluster, const std::string& address,
                                 int& status) {
  auto cfg = std::make_shared<config::Config>(*snap_->config);
  auto it = std::find_if(cfg->clusters.begin(), cfg->clusters.end(),
                         [&](const config::Cluster& c) { return c.name == cluster; });
  if (it == cfg->clusters.end()) {
    status = 404;
    return "no cluster named '" + cluster + "'";
  }
  auto sit = std::find_if(it->servers.begin(), it->servers.end(),
                          [&](const config::Server& s) { return s.address == address; });
  if (sit == it->servers.end()) {
    status = 404;
    return "cluster '" + cluster + "' has no server '" + address + "'";
  }
  if (it->servers.size() == 1) {
    status = 409;
    return "cannot remove the last server of cluster '" + cluster + "'";
  }
  it->servers.erase(sit);
  std::string err = apply(cfg);
  if (!err.empty()) {
    status = 400;
    return err;
  }
  status = 200;
  return "";
}

std::string Server::setAdminState(const std::string& cluster, const std::string& address,
                                  upstream::AdminState state, int& status) {
  std::string err;
  upstream::HostState* st = findHost(cluster, address, status, err);
  if (!st) return err;
  auto prev = st->adminState();
  st->admin.store(static_cast<uint8_t>(state));
  if (state == upstream::AdminState::Enabled && prev != upstream::AdminState::Enabled)
    st->available_since_ms.store(event::monotonicMs());
  status = 200;
  return "";
}

std::string Server::setWeight(const std::string& cluster, const std::string& address,
                              uint32_t weight, int& status) {
  if (weight == 0 || weight > 1000) {
    status = 400;
    return "weight must be 1-1000";
  }
  std::string err;
  upstream::HostState* st = findHost(cluster, address, status, err);
  if (!st) return err;
  st->weight.store(weight);
  status = 200;
  return "";
}

}  // namespace portico::server
