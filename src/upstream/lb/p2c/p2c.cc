#include "upstream/lb/p2c/p2c.h"

#include <algorithm>
#include <memory>

namespace portico::upstream::lb {
namespace {
constexpr uint32_t kMaxChoices = 16;
}  // namespace

AvailableHosts::AvailableHosts(size_t hosts) {
  list_.reserve(hosts);
  position_.reserve(hosts);
}

void AvailableHosts::sync(std::span<const HostView> hosts) {
  list_.clear();
  position_.resize(hosts.size());
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i].available) {
      position_[i] = static_cast<int>(list_.size());
      list_.push_back(static_cast<int>(i));
    } else {
      position_[i] = -1;
    }
  }
  synced_ = true;
}

uint32_t AvailableHosts::sample(uint64_t random, uint32_t count, int exclude, int* out) const {
  count = std::min(count, kMaxChoices);
  uint32_t k = size();
  // Sample positions among the k' = k - 1 candidates when `exclude` is in the list, then skip
  // over its position.
  int skip = k;
  if (exclude >= 0 && static_cast<size_t>(exclude) < position_.size() && position_[exclude] >= 0) {
    skip = position_[exclude];
    --k;
  }
  auto host = [&](uint32_t pos) { return list_[pos + (static_cast<int>(pos) >= skip)]; };
  if (k <= count) {
    // Every candidate is taken: start at a random one so that ties (equal load) do not always
    // go to the first host in the list.
    const uint32_t start = k ? reduceRange(random, k) : 0;
    for (uint32_t p = 0; p < k; ++p) out[p] = host((start + p) % k);
    return k;
  }
  uint64_t state = random;
  uint32_t picked[kMaxChoices];
  picked[0] = reduceRange(random, k);
  if (count >= 2) {
    // The second draw avoids the first without rejection.
    uint32_t second = reduceRange(nextRandom(state), k - 1);
    picked[1] = second + (second >= picked[0]);
  }
  for (uint32_t j = 2; j < count; ++j) {
    // count < k here, so rejection ends quickly (expected < 2 draws when count <= k / 2).
    for (;;) {
      const uint32_t c = reduceRange(nextRandom(state), k);
      if (std::find(picked, picked + j, c) == picked + j) {
        picked[j] = c;
        break;
      }
    }
  }
  for (uint32_t j = 0; j < count; ++j) out[j] = host(picked[j]);
  return count;
}

PowerOfTwoChoices::PowerOfTwoChoices(size_t hosts, uint32_t choices)
    : available_(hosts), choices_(std::clamp<uint32_t>(choices, 1, kMaxChoices)) {}

void PowerOfTwoChoices::rebuild(std::span<const HostView> hosts) {
  available_.sync(hosts);
}

int PowerOfTwoChoices::pick(std::span<const HostView> hosts, const PickContext& ctx) {
  if (!available_.syncedFor(hosts.size())) available_.sync(hosts);
  for (int attempt = 0; attempt < 2; ++attempt) {
    int candidates[kMaxChoices];
    const uint32_t n = available_.sample(ctx.random, choices_, ctx.exclude, candidates);
    int best = -1;
    uint64_t best_load = 1, best_weight = 0;  // infinite load
    bool stale = false;
    for (uint32_t j = 0; j < n; ++j) {
      const HostView& h = hosts[candidates[j]];
      stale |= !h.available;
      const uint64_t load = uint64_t{h.active_requests} + 1;
      const uint64_t weight = std::max(h.weight, 1u);
      if (h.available && load * best_weight < best_load * weight) {
        best = candidates[j];
        best_load = load;
        best_weight = weight;
      }
    }
    if (!stale) {
      if (best >= 0) return best;
      // No candidate but `exclude`: it is the only available host.
      if (ctx.exclude >= 0 && static_cast<size_t>(ctx.exclude) < hosts.size() &&
          hosts[ctx.exclude].available) {
        return ctx.exclude;
      }
      return -1;
    }
    available_.sync(hosts);  // availability changed without a rebuild
  }
  return -1;
}

namespace {
const bool registered = registerPolicy(
    "p2c", [](const config::LoadBalancing& cfg, size_t hosts) -> std::unique_ptr<Policy> {
      return std::make_unique<PowerOfTwoChoices>(hosts, cfg.choices);
    });
}  // namespace

}  // namespace portico::upstream::lb
