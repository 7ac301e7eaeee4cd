#include "upstream/lb/hash/hash.h"

#include <algorithm>
#include <memory>

#include "upstream/lb/p2c/p2c.h"

namespace portico::upstream::lb {
namespace {

constexpr uint16_t kEmpty = MaglevHash::kMaxHosts;

// A host's permutation of the table slots depends only on its seed, so every worker, and every
// config generation that keeps the host, builds the same table.
void permutation(uint64_t seed, uint32_t& offset, uint32_t& skip) {
  uint64_t state = 0x6d61676c65760000ULL ^ seed;  // "maglev"
  offset = static_cast<uint32_t>(nextRandom(state) % MaglevHash::kTableSize);
  skip = static_cast<uint32_t>(nextRandom(state) % (MaglevHash::kTableSize - 1)) + 1;
}

// Largest weight among available hosts (0 when none).
uint64_t maxWeight(std::span<const HostView> hosts) {
  uint64_t m = 0;
  for (const HostView& h : hosts) {
    if (h.available) m = std::max<uint64_t>(m, h.weight);
  }
  return m;
}

// A host's weight in the table: quantized to 1..kWeightLevels relative to the largest, so only
// changes of about 1/64 of the largest weight cost a rebuild; 0 when unavailable.
uint32_t level(const HostView& h, uint64_t max_weight) {
  if (!h.available) return 0;
  if (max_weight == 0) return 1;  // weights below the documented minimum of 1
  const uint64_t q = (uint64_t{h.weight} * MaglevHash::kWeightLevels + max_weight / 2) / max_weight;
  return static_cast<uint32_t>(std::max<uint64_t>(q, 1));
}

}  // namespace

MaglevHash::MaglevHash(size_t hosts) : round_robin_(hosts) {
  const size_t n = std::min<size_t>(hosts, kMaxHosts);
  table_.assign(kTableSize, kEmpty);
  seed_.reserve(n);
  offset_.reserve(n);
  skip_.reserve(n);
  weight_.reserve(n);
  next_.reserve(n);
  target_.reserve(n);
  members_.reserve(n);
}

void MaglevHash::setHostKeys(std::span<const uint64_t> keys) {
  keys_.assign(keys.begin(), keys.end());
  built_ = false;  // permutations are recomputed from the keys at the next build
}

uint64_t MaglevHash::seedOf(size_t index) const {
  if (index < keys_.size() && keys_[index] != 0) return keys_[index];
  return (index + 1) * 0x9e3779b97f4a7c15ULL;
}

void MaglevHash::rebuild(std::span<const HostView> hosts) {
  round_robin_.rebuild(hosts);
  const size_t n = std::min<size_t>(hosts.size(), kMaxHosts);
  if (built_ && weight_.size() == n) {
    const uint64_t max_weight = maxWeight(hosts.first(n));
    bool same = true;
    for (size_t i = 0; i < n && same; ++i) same = weight_[i] == level(hosts[i], max_weight);
    if (same) return;  // e.g. a slow-start step too small to change the table
  }
  build(hosts);
}

void MaglevHash::build(std::span<const HostView> hosts) {
  const size_t n = std::min<size_t>(hosts.size(), kMaxHosts);
  seed_.resize(n);
  offset_.resize(n);
  skip_.resize(n);
  weight_.resize(n);
  next_.resize(n);
  target_.resize(n);
  members_.clear();
  const uint64_t largest = maxWeight(hosts.first(n));
  uint64_t max_level = 0;
  for (size_t i = 0; i < n; ++i) {
    weight_[i] = level(hosts[i], largest);
    seed_[i] = seedOf(i);
    if (weight_[i] == 0) continue;
    permutation(seed_[i], offset_[i], skip_[i]);
    members_.push_back(static_cast<uint32_t>(i));
    next_[i] = offset_[i];
    target_[i] = 0;
    max_level = std::max<uint64_t>(max_level, weight_[i]);
  }
  // Take turns in seed order, not list order: the table then depends only on the set of
  // (identity, weight), so reordering servers in the config changes nothing.
  std::sort(members_.begin(), members_.end(), [&](uint32_t a, uint32_t b) {
    return seed_[a] != seed_[b] ? seed_[a] < seed_[b] : a < b;
  });
  std::fill(table_.begin(), table_.end(), kEmpty);
  built_ = true;
  if (members_.empty()) return;
  // Hosts take turns claiming their next free preferred slot. A host with the largest weight
  // claims one slot per round; a host with weight w claims one every max/w rounds (Envoy).
  uint32_t filled = 0;
  for (uint64_t round = 1; filled < kTableSize; ++round) {
    for (const uint32_t m : members_) {
      if (round * weight_[m] < target_[m]) continue;
      target_[m] += max_level;
      uint32_t c = next_[m];
      while (table_[c] != kEmpty) {
        c += skip_[m];
        if (c >= kTableSize) c -= kTableSize;
      }
      table_[c] = static_cast<uint16_t>(m);
      c += skip_[m];
      if (c >= kTableSize) c -= kTableSize;
      next_[m] = c;
      if (++filled == kTableSize) break;
    }
  }
}

int MaglevHash::pick(std::span<const HostView> hosts, const PickContext& ctx) {
  if (!ctx.has_hash) return round_robin_.pick(hosts, ctx);
  if (!built_ || weight_.size() != std::min<size_t>(hosts.size(), kMaxHosts)) build(hosts);
  const size_t n = hosts.size();
  const auto usable = [&](size_t i) {
    return i < n && hosts[i].available && static_cast<int>(i) != ctx.exclude;
  };
  uint32_t slot = static_cast<uint32_t>(ctx.hash % kTableSize);
  for (uint32_t probe = 0; probe <= kMaxProbes; ++probe) {
    const uint16_t h = table_[slot];
    if (h != kEmpty && usable(h)) return h;
    if (++slot == kTableSize) slot = 0;
  }
  // The table is empty or mostly stale: scan the hosts from a key-derived start.
  const size_t start = n == 0 ? 0 : ctx.hash % n;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = start + k < n ? start + k : start + k - n;
    if (usable(i)) return static_cast<int>(i);
  }
  if (ctx.exclude >= 0 && static_cast<size_t>(ctx.exclude) < n && hosts[ctx.exclude].available) {
    return ctx.exclude;
  }
  return -1;
}

namespace {
const bool registered = registerPolicy(
    "hash", [](const config::LoadBalancing&, size_t hosts) -> std::unique_ptr<Policy> {
      return std::make_unique<MaglevHash>(hosts);
    });
}  // namespace

}  // namespace portico::upstream::lb
