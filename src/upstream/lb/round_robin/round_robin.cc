#include "upstream/lb/round_robin/round_robin.h"

#include <algorithm>
#include <limits>
#include <memory>

namespace portico::upstream::lb {
namespace {

// `current` of an unavailable host: far below any reachable value (|current| <= total weight),
// and weight 0 keeps it there, so it never wins the max and needs no branch in the loop.
constexpr int32_t kParked = std::numeric_limits<int32_t>::min() / 2;
// Total weight bound keeping every `current` far from kParked and from int32 overflow.
constexpr int64_t kMaxTotal = int64_t{1} << 28;

}  // namespace

RoundRobin::RoundRobin(size_t hosts) {
  weight_.reserve(hosts);
  current_.reserve(hosts);
  observed_.reserve(hosts);
}

void RoundRobin::rebuild(std::span<const HostView> hosts) {
  sync(hosts);
}

void RoundRobin::sync(std::span<const HostView> hosts) {
  const size_t n = hosts.size();
  const size_t old = current_.size();
  weight_.resize(n);
  current_.resize(n, kParked);
  observed_.resize(n);
  // Scale weights down (keeping their ratios roughly) if the total could overflow.
  int64_t raw_total = 0;
  for (const HostView& h : hosts) raw_total += h.available ? std::max<uint32_t>(h.weight, 1) : 0;
  int shift = 0;
  while ((raw_total >> shift) > kMaxTotal) ++shift;
  int64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    const HostView& h = hosts[i];
    observed_[i] = h.weight;
    if (!h.available) {
      weight_[i] = 0;
      current_[i] = kParked;
      continue;
    }
    const int32_t w =
        static_cast<int32_t>(std::max<int64_t>(std::max<uint32_t>(h.weight, 1) >> shift, 1));
    weight_[i] = w;
    if (i >= old || current_[i] == kParked) current_[i] = 0;
    total += w;
  }
  total_ = static_cast<int32_t>(total);
  // Keep positions bounded after weights shrank.
  for (size_t i = 0; i < n; ++i) {
    if (weight_[i] > 0) current_[i] = std::clamp(current_[i], -total_, total_);
  }
  synced_ = true;
}

int RoundRobin::step(int exclude) {
  int32_t* __restrict cur = current_.data();
  const int32_t* __restrict w = weight_.data();
  const size_t n = current_.size();
  int32_t total = total_;
  int32_t saved = 0;
  if (exclude >= 0) {
    // Skip the excluded host for this pick only: its turn is kept for later.
    saved = cur[exclude];
    cur[exclude] = kParked;
    total -= w[exclude];
  }
  int32_t best = std::numeric_limits<int32_t>::min();
  for (size_t i = 0; i < n; ++i) {
    cur[i] += w[i];
    best = std::max(best, cur[i]);
  }
  size_t i = 0;
  while (cur[i] != best) ++i;
  cur[i] -= total;
  if (exclude >= 0) cur[exclude] = saved;
  return static_cast<int>(i);
}

int RoundRobin::pick(std::span<const HostView> hosts, const PickContext& ctx) {
  if (!synced_ || hosts.size() != current_.size()) sync(hosts);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (total_ == 0) return -1;
    int exclude = -1;
    if (ctx.exclude >= 0 && static_cast<size_t>(ctx.exclude) < hosts.size()) {
      const int32_t we = weight_[ctx.exclude];
      if (we > 0 && we < total_) exclude = ctx.exclude;
    }
    const int i = step(exclude);
    const HostView& h = hosts[i];
    if (h.available && h.weight == observed_[i]) return i;
    // Our copy is stale (availability or weight changed without a rebuild): resync in place.
    sync(hosts);
    if (h.available) return i;
  }
  return -1;
}

namespace {
const bool registered = registerPolicy(
    "round_robin", [](const config::LoadBalancing&, size_t hosts) -> std::unique_ptr<Policy> {
      return std::make_unique<RoundRobin>(hosts);
    });
}  // namespace

}  // namespace portico::upstream::lb
