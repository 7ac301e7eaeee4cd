#include "upstream/lb/random/random.h"

#include <algorithm>
#include <memory>

namespace portico::upstream::lb {

WeightedRandom::WeightedRandom(size_t hosts) {
  list_.reserve(hosts);
  upper_.reserve(hosts);
  position_.reserve(hosts);
  observed_.reserve(hosts);
}

void WeightedRandom::rebuild(std::span<const HostView> hosts) {
  sync(hosts);
}

void WeightedRandom::sync(std::span<const HostView> hosts) {
  list_.clear();
  upper_.clear();
  position_.resize(hosts.size());
  observed_.resize(hosts.size());
  uint64_t total = 0;
  for (size_t i = 0; i < hosts.size(); ++i) {
    observed_[i] = hosts[i].weight;
    position_[i] = -1;
    if (!hosts[i].available) continue;
    position_[i] = static_cast<int>(list_.size());
    total += std::max<uint32_t>(hosts[i].weight, 1);
    list_.push_back(static_cast<int>(i));
    upper_.push_back(total);
  }
  synced_ = true;
}

int WeightedRandom::pick(std::span<const HostView> hosts, const PickContext& ctx) {
  if (!synced_ || position_.size() != hosts.size()) sync(hosts);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (list_.empty()) return -1;
    uint64_t total = upper_.back();
    // Drop the excluded host's interval [lo, hi) from the draw when others remain.
    uint64_t lo = total, width = 0;
    if (ctx.exclude >= 0 && static_cast<size_t>(ctx.exclude) < hosts.size()) {
      const int p = position_[ctx.exclude];
      if (p >= 0 && list_.size() > 1) {
        lo = p == 0 ? 0 : upper_[p - 1];
        width = upper_[p] - lo;
      }
    }
    uint64_t r =
        static_cast<uint64_t>((static_cast<__uint128_t>(ctx.random) * (total - width)) >> 64);
    if (r >= lo) r += width;
    // Branchless upper bound: the first j with upper_[j] > r (exists: r < total).
    const uint64_t* base = upper_.data();
    for (size_t len = upper_.size(); len > 1;) {
      const size_t half = len / 2;
      base += static_cast<size_t>(base[half - 1] <= r) * half;  // no branch to mispredict
      len -= half;
    }
    const size_t j = static_cast<size_t>(base - upper_.data());
    const int i = list_[j];
    const HostView& h = hosts[i];
    if (h.available && h.weight == observed_[i]) return i;
    sync(hosts);  // availability or weight changed without a rebuild
    if (h.available) return i;
  }
  return -1;
}

namespace {
const bool registered = registerPolicy(
    "random", [](const config::LoadBalancing&, size_t hosts) -> std::unique_ptr<Policy> {
      return std::make_unique<WeightedRandom>(hosts);
    });
}  // namespace

}  // namespace portico::upstream::lb
