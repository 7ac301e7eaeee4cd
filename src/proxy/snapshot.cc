#include "proxy/snapshot.h"

#include <fmt/format.h>

#include "upstream/lb/policy.h"

namespace portico::proxy {

int Snapshot::listenerIndex(const std::string& name) const {
  for (size_t i = 0; i < listeners.size(); ++i)
    if (listeners[i].config->name == name) return static_cast<int>(i);
  return -1;
}

std::shared_ptr<const Snapshot> buildSnapshot(std::shared_ptr<const config::Config> config,
                                              upstream::HostRegistry* registry,
                                              TlsContextCache* tls_cache) {
  TlsContextCache next;
  upstream::HostRegistry local;
  if (!registry) registry = &local;
  auto snap = std::make_shared<Snapshot>();
  snap->config = config;
  for (const auto& c : config->clusters) {
    if (!upstream::lb::createPolicy(c.lb, c.servers.size()))
      throw config::ConfigError(config->source + ": cluster '" + c.name +
                                "': unknown load-balancing policy '" + c.lb.policy + "'");
    ClusterInfo ci{&c, {}, registry->cluster(c.name), nullptr};
    if (c.tls.enabled) {
      try {
        ci.tls = tls::ClientContext::build(c.tls);
      } catch (const config::ConfigError& e) {
        throw config::ConfigError(config->source + ": cluster '" + c.name + "': tls: " + e.what());
      }
    }
    for (const auto& s : c.servers) {
      HostInfo h;
      if (!net::parseAddress(s.address, h.address))
        throw config::ConfigError(config->source + ": cluster '" + c.name +
                                  "': bad server address '" + s.address + "'");
      h.text = s.address;
      h.weight = s.weight;
      h.backup = s.backup;
      h.sticky_id = fmt::format("{:016x}", upstream::lb::hashKey(c.name + "/" + s.address));
      h.state = registry->get(c.name, s.address, s.weight);
      ci.hosts.push_back(std::move(h));
    }
    snap->clusters.push_back(std::move(ci));
  }
  auto clusterIndex = [&](const std::string& name) -> uint32_t {
    for (size_t i = 0; i < config->clusters.size(); ++i)
      if (config->clusters[i].name == name) return static_cast<uint32_t>(i);
    throw config::ConfigError(config->source + ": route to unknown cluster '" + name + "'");
  };
  for (const auto& l : config->listeners) {
    ListenerInfo li{&l, {}, router::Router::build(l.routes, clusterIndex), nullptr, {}};
    if (l.tls.enabled) {
      if (tls_cache) {
        auto it = tls_cache->by_listener.find(l.name);
        if (it != tls_cache->by_listener.end() && it->second.config == l.tls) {
          li.tls = it->second.context;
          // A reload re-reads changed certificate files at once, as a restart would.
          std::string err;
          if (!li.tls->reloadIfChanged(err))
            throw config::ConfigError(config->source + ": listener '" + l.name + "': " + err);
        }
      }
      if (!li.tls) {
        try {
          // A changed tls: section keeps the ticket keys of the listener's previous context,
          // so sessions still resume after the reload.
          auto it = tls_cache ? tls_cache->by_listener.find(l.name)
                              : std::map<std::string, TlsContextCache::Entry>::iterator();
          if (tls_cache && it != tls_cache->by_listener.end())
            li.tls = tls::ServerContext::build(l.tls, *it->second.context);
          else
            li.tls = tls::ServerContext::build(l.tls);
        } catch (const config::ConfigError& e) {
          throw config::ConfigError(config->source + ": listener '" + l.name +
                                    "': tls: " + e.what());
        }
      }
      next.by_listener[l.name] = {l.tls, li.tls};
      li.hsts_header = config::hstsFieldLine(l.hsts);
    }
    if (!net::parseAddress(l.address, li.address))
      throw config::ConfigError(config->source + ": listener '" + l.name + "': bad address '" +
                                l.address + "'");
    snap->listeners.push_back(std::move(li));
  }
  for (const auto& t : config->trusted_proxies) {
    std::string err;
    if (!snap->trusted_proxies.add(t, &err))
      throw config::ConfigError(config->source + ": trusted_proxies: " + err);
  }
  if (tls_cache) *tls_cache = std::move(next);
  return snap;
}

}  // namespace portico::proxy
