#include "core/log.h"
#include "server/server.h"

namespace portico::server {

namespace {
constexpr uint32_t kTickMs = 1000;
constexpr uint32_t kClusterCaCheckMs = 5000;
}  // namespace

void Server::onTlsUpkeep(void* self) {
  auto* s = static_cast<Server*>(self);
  s->tlsUpkeep();
  s->loop_.timers().arm(s->tls_timer_, kTickMs);
}

void Server::tlsUpkeep() {
  if (!snap_) return;
  const uint64_t now = loop_.nowMs();
  for (const auto& l : snap_->listeners) {
    if (!l.tls) continue;
    l.tls->rotateTicketKeyIfDue(now);
    if (now - tls_last_reload_check_ms_ < l.config->tls.reload_check_ms) continue;
    std::string error;
    if (!l.tls->reloadIfChanged(error))
      log::error("listener '{}': TLS files not reloaded, keeping the previous ones: {}",
                 l.config->name, error);
  }
  // Cluster CA bundles, on the default interval.
  if (now - tls_last_ca_check_ms_ >= kClusterCaCheckMs) {
    tls_last_ca_check_ms_ = now;
    for (const auto& c : snap_->clusters) {
      std::string error;
      if (c.tls && !c.tls->reloadIfChanged(error))
        log::error("cluster '{}': CA file not reloaded, keeping the previous one: {}",
                   c.config->name, error);
    }
  }
  // One clock for every listener: the smallest interval decides (files are cheap to stat).
  bool any_due = false;
  for (const auto& l : snap_->listeners)
    if (l.tls && now - tls_last_reload_check_ms_ >= l.config->tls.reload_check_ms) any_due = true;
  if (any_due) tls_last_reload_check_ms_ = now;
}

}  // namespace portico::server
