// Server: the main-thread services that follow the running config (health checks, admin API).
#include <stdexcept>

#include "core/log.h"
#include "server/server.h"

namespace portico::server {

void Server::updateHealthChecks() {
  std::vector<upstream::health::Target> targets;
  for (const auto& ci : snap_->clusters) {
    if (ci.config->health_check.type == config::HealthCheck::Type::None) continue;
    for (const auto& h : ci.hosts) {
      targets.push_back({ci.config->name, h.address, h.text, ci.config->health_check, h.state,
                         ci.tls, ci.tls ? std::string(net::hostOf(h.text)) : std::string(),
                         ci.config->protocol});
    }
  }
  if (!health_) {
    if (targets.empty()) return;
    health_ = std::make_unique<upstream::health::HealthChecker>();
    health_->setTargets(std::move(targets));
    health_->start();
    return;
  }
  health_->setTargets(std::move(targets));
}

std::string Server::updateAdmin() {
  const std::string& addr = snap_->config->admin.address;
  if (addr == admin_address_ && (admin_ || addr.empty())) return "";
  admin_.reset();
  admin_address_.clear();
  if (addr.empty()) return "";
  net::Address a;
  if (!net::parseAddress(addr, a)) return "admin: invalid address '" + addr + "'";
  try {
    admin_ = std::make_unique<admin::AdminServer>(loop_, a, *this);
  } catch (const std::exception& e) {
    return std::string("admin: ") + e.what();
  }
  admin_address_ = addr;
  log::info("admin API on {}", addr);
  return "";
}

}  // namespace portico::server
