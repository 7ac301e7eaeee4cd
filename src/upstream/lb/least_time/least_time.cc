#include "upstream/lb/least_time/least_time.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

namespace portico::upstream::lb {

uint64_t LeastTime::steadyNowUs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

LeastTime::LeastTime(size_t hosts, Clock clock)
    : available_(hosts), timing_(hosts), clock_(clock) {}

void LeastTime::rebuild(std::span<const HostView> hosts) {
  available_.sync(hosts);
  if (timing_.size() < hosts.size()) timing_.resize(hosts.size());
}

double LeastTime::ewmaUs(int host, uint64_t now_us) const {
  if (host < 0 || static_cast<size_t>(host) >= timing_.size()) return kDefaultUs;
  const Timing& t = timing_[host];
  if (t.stamp_us == 0) return kDefaultUs;
  const double idle = now_us > t.stamp_us ? static_cast<double>(now_us - t.stamp_us) : 0.0;
  return t.ewma_us * std::exp(-idle / kTauUs);
}

void LeastTime::onResponse(int host, uint64_t latency_us, bool success) {
  if (host < 0 || static_cast<size_t>(host) >= timing_.size()) return;
  Timing& t = timing_[host];
  uint64_t now = clock_();
  if (now == 0) now = 1;  // 0 means "no response yet"
  double sample = static_cast<double>(latency_us);
  if (!success) sample = std::min(std::max(sample, 2 * ewmaUs(host, now)), kMaxSampleUs);
  if (t.stamp_us == 0 || sample > t.ewma_us) {
    t.ewma_us = sample;  // first sample, or a peak: take it at once
  } else {
    const double idle = now > t.stamp_us ? static_cast<double>(now - t.stamp_us) : 0.0;
    const double w = std::exp(-idle / kTauUs);
    t.ewma_us = t.ewma_us * w + sample * (1 - w);
  }
  t.stamp_us = now;
}

int LeastTime::pick(std::span<const HostView> hosts, const PickContext& ctx) {
  if (!available_.syncedFor(hosts.size())) available_.sync(hosts);
  const size_t tracked = timing_.size();
  for (int attempt = 0; attempt < 2; ++attempt) {
    int candidates[2];
    const uint32_t n = available_.sample(ctx.random, 2, ctx.exclude, candidates);
    bool stale = false;
    for (uint32_t j = 0; j < n; ++j) stale |= !hosts[candidates[j]].available;
    if (stale) {
      available_.sync(hosts);  // availability changed without a rebuild
      continue;
    }
    if (n == 0) {
      // No candidate but `exclude`: it is the only available host.
      if (ctx.exclude >= 0 && static_cast<size_t>(ctx.exclude) < hosts.size() &&
          hosts[ctx.exclude].available) {
        return ctx.exclude;
      }
      return -1;
    }
    if (n == 1) return candidates[0];
    const uint64_t now = clock_();
    double cost[2];
    for (int j = 0; j < 2; ++j) {
      const int i = candidates[j];
      const HostView& h = hosts[i];
      const double ewma = static_cast<size_t>(i) < tracked ? ewmaUs(i, now) : kDefaultUs;
      cost[j] = ewma * (static_cast<double>(h.active_requests) + 1) /
                static_cast<double>(std::max<uint32_t>(h.weight, 1));
    }
    return cost[1] < cost[0] ? candidates[1] : candidates[0];
  }
  return -1;
}

namespace {
const bool registered = registerPolicy(
    "least_time", [](const config::LoadBalancing&, size_t hosts) -> std::unique_ptr<Policy> {
      return std::make_unique<LeastTime>(hosts);
    });
}  // namespace

}  // namespace portico::upstream::lb
