#include "upstream/cluster_runtime.h"

#include "core/log.h"

namespace portico::upstream {

ClusterRuntime::ClusterRuntime(const config::Cluster& cfg, ClusterStats* stats,
                               std::unique_ptr<lb::Policy> policy)
    : cfg_(cfg), stats_(stats), policy_(std::move(policy)) {}

uint32_t ClusterRuntime::effectiveWeight(const HostEntry& h, uint64_t now_ms) const {
  // Weights are scaled by 100 so slow start can ramp smoothly.
  uint64_t w = static_cast<uint64_t>(h.state->weight.load(std::memory_order_relaxed)) * 100;
  if (cfg_.slow_start_ms) {
    uint64_t since = h.state->available_since_ms.load(std::memory_order_relaxed);
    if (since && now_ms < since + cfg_.slow_start_ms) {
      uint64_t elapsed = now_ms > since ? now_ms - since : 0;
      // Start at 10% and ramp linearly to 100%.
      w = w / 10 + (w - w / 10) * elapsed / cfg_.slow_start_ms;
    }
  }
  return w ? static_cast<uint32_t>(w) : 1;
}

int ClusterRuntime::choose(uint64_t now_ms, const lb::PickContext& ctx) {
  if (!policy_ || hosts_.empty()) return -1;
  bool any_primary = false;
  uint64_t sig = 1469598103934665603ull;
  for (size_t i = 0; i < hosts_.size(); ++i) {
    const HostEntry& h = hosts_[i];
    bool avail = !h.backup && h.state->available(now_ms);
    views_[i].available = avail;
    any_primary |= avail;
  }
  if (!any_primary) {
    for (size_t i = 0; i < hosts_.size(); ++i)
      views_[i].available = hosts_[i].backup && hosts_[i].state->available(now_ms);
  }
  for (size_t i = 0; i < hosts_.size(); ++i) {
    lb::HostView& v = views_[i];
    v.weight = effectiveWeight(hosts_[i], now_ms);
    v.active_requests = hosts_[i].active_requests;
    sig =
        (sig ^ (v.available ? 1u : 0u) ^ (static_cast<uint64_t>(v.weight) << 1)) * 1099511628211ull;
  }
  if (sig != signature_) {
    if (signature_ == ~0ull) {
      std::vector<uint64_t> keys;
      for (const auto& h : hosts_) keys.push_back(h.key);
      policy_->setHostKeys(keys);
    }
    signature_ = sig;
    policy_->rebuild(views_);
  }
  int pick = policy_->pick(views_, ctx);
  // Log transitions once (not per request), whichever worker sees them first.
  bool down = pick < 0;
  bool prev = stats_->all_down.load(std::memory_order_relaxed);
  if (down != prev && stats_->all_down.compare_exchange_strong(prev, down)) {
    if (down)
      log::error("cluster {}: no server available", cfg_.name);
    else
      log::info("cluster {}: servers available again", cfg_.name);
  }
  return pick;
}

void ClusterRuntime::removeWaiter(UpstreamOwner* w) {
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it)
    if (*it == w) {
      waiters_.erase(it);
      return;
    }
}

UpstreamOwner* ClusterRuntime::popWaiter() {
  if (waiters_.empty()) return nullptr;
  UpstreamOwner* w = waiters_.front();
  waiters_.erase(waiters_.begin());
  return w;
}

int ClusterRuntime::findSticky(std::string_view id, uint64_t now_ms) const {
  for (size_t i = 0; i < hosts_.size(); ++i)
    if (*hosts_[i].sticky_id == id && hosts_[i].state->available(now_ms))
      return static_cast<int>(i);
  return -1;
}

void ClusterRuntime::onRequestStart(int i) {
  HostEntry& h = hosts_[static_cast<size_t>(i)];
  ++h.active_requests;
  h.state->in_flight.fetch_add(1, std::memory_order_relaxed);
  h.state->requests.fetch_add(1, std::memory_order_relaxed);
}

void ClusterRuntime::onRequestEnd(int i, uint64_t latency_us, bool success) {
  HostEntry& h = hosts_[static_cast<size_t>(i)];
  if (h.active_requests) --h.active_requests;
  h.state->in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (!success) h.state->failures.fetch_add(1, std::memory_order_relaxed);
  if (policy_) policy_->onResponse(i, latency_us, success);
}

void ClusterRuntime::recordOutcome(int i, bool connect_failure, uint16_t status, uint64_t now_ms) {
  const config::OutlierDetection& od = cfg_.outlier_detection;
  if (!od.enabled) return;
  HostState& s = *hosts_[static_cast<size_t>(i)].state;
  if (connect_failure) {
    uint32_t n = s.consecutive_connect_failures.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n >= od.consecutive_connect_failures) maybeEject(i, now_ms, "connect failures");
    return;
  }
  if (status >= 500) {
    uint32_t n = s.consecutive_5xx.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n >= od.consecutive_5xx) maybeEject(i, now_ms, "5xx responses");
    return;
  }
  if (s.consecutive_5xx.load(std::memory_order_relaxed))
    s.consecutive_5xx.store(0, std::memory_order_relaxed);
  if (s.consecutive_connect_failures.load(std::memory_order_relaxed))
    s.consecutive_connect_failures.store(0, std::memory_order_relaxed);
}

void ClusterRuntime::maybeEject(int i, uint64_t now_ms, const char* why) {
  const config::OutlierDetection& od = cfg_.outlier_detection;
  HostEntry& h = hosts_[static_cast<size_t>(i)];
  HostState& s = *h.state;
  if (s.ejected_until_ms.load(std::memory_order_relaxed) > now_ms) return;
  size_t ejected = 0;
  for (const auto& o : hosts_)
    if (o.state->ejected_until_ms.load(std::memory_order_relaxed) > now_ms) ++ejected;
  if ((ejected + 1) * 100 > static_cast<size_t>(od.max_ejection_percent) * hosts_.size()) return;
  uint32_t n = s.ejections.fetch_add(1, std::memory_order_relaxed) + 1;
  uint64_t dur = static_cast<uint64_t>(od.base_ejection_ms) * n;
  if (dur > od.max_ejection_ms) dur = od.max_ejection_ms;
  s.ejected_until_ms.store(now_ms + dur, std::memory_order_relaxed);
  // When the ejection ends the host ramps up again (slow start).
  s.available_since_ms.store(now_ms + dur, std::memory_order_relaxed);
  s.consecutive_5xx.store(0, std::memory_order_relaxed);
  s.consecutive_connect_failures.store(0, std::memory_order_relaxed);
  log::warn("cluster {}: server {} ejected for {} ms after consecutive {}", cfg_.name, h.pool->text,
            dur, why);
}

}  // namespace portico::upstream
