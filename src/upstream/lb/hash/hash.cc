#include "upstream/lb/hash/hash.h"

#include <algorithm>
#include <memory>

#include "upstream/lb/p2c/p2c.h"

namespace portico::upstream::lb {
namespace {

constexpr uint16_t kEmpty = MaglevHash::kMaxHosts;

// A host's permutation depends only on its index (hosts keep their index for the policy's
// life), so every worker builds the same table.
void permutation(size_t index, uint32_t& offset, uint32_t& skip) {
  uint64_t state = 0x6d61676c65760000ULL ^ index;  // "maglev"
  offset = static_cast<uint32_t>(nextRandom(state) % MaglevHash::kTableSize);
  skip = static_cast<uint32_t>(nextRandom(state) % (MaglevHash::kTableSize - 1)) + 1;
}

}  // namespace

MaglevHash::MaglevHash(size_t hosts) : round_robin_(hosts) {
  const size_t n = std::min<size_t>(hosts, kMaxHosts);
  table_.assign(kTableSize, kEmpty);
  offset_.reserve(n);
  skip_.reserve(n);
  weight_.reserve(n);
  next_.reserve(n);
  target_.reserve(n);
  members_.reserve(n);
}

void MaglevHash::rebuild(std::span<const HostView> hosts) {
  round_robin_.rebuild(hosts);
  const size_t n = std::min<size_t>(hosts.size(), kMaxHosts);
  if (built_ && weight_.size() == n) {
    bool same = true;
    for (size_t i = 0; i < n && same; ++i) {
      same = weight_[i] == (hosts[i].available ? std::max<uint32_t>(hosts[i].weight, 1) : 0);
    }
    if (same) return;
  }
  build(hosts);
}

void MaglevHash::build(std::span<const HostView> hosts) {
  const size_t n = std::min<size_t>(hosts.size(), kMaxHosts);
  for (size_t i = offset_.size(); i < n; ++i) {
    uint32_t offset, skip;
    permutation(i, offset, skip);
    offset_.push_back(offset);
    skip_.push_back(skip);
  }
  weight_.resize(n);
  next_.resize(n);
  target_.resize(n);
  members_.clear();
  uint64_t max_weight = 0;
  for (size_t i = 0; i < n; ++i) {
    weight_[i] = hosts[i].available ? std::max<uint32_t>(hosts[i].weight, 1) : 0;
    if (weight_[i] == 0) continue;
    members_.push_back(static_cast<uint32_t>(i));
    next_[i] = offset_[i];
    target_[i] = 0;
    max_weight = std::max<uint64_t>(max_weight, weight_[i]);
  }
  std::fill(table_.begin(), table_.end(), kEmpty);
  built_ = true;
  if (members_.empty()) return;
  // Hosts take turns claiming their next free preferred slot. A host with the largest weight
  // claims one slot per round; a host with weight w claims one every max/w rounds (Envoy).
  uint32_t filled = 0;
  for (uint64_t round = 1; filled < kTableSize; ++round) {
    for (const uint32_t m : members_) {
      if (round * weight_[m] < target_[m]) continue;
      target_[m] += max_weight;
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
