#pragma once
// Consistent hashing with Maglev (Eisenbud et al., NSDI 2016), weighted like Envoy's: rebuild()
// fills a lookup table of kTableSize (a prime) slots with available hosts, each host following
// its own permutation of the slots and taking turns in proportion to its weight. A pick is
// table[hash % kTableSize]. Removing one of N equally weighted hosts remaps about 1/N of keys
// (plus a small Maglev disruption). Requests without a key (ctx.has_hash false) use smooth
// weighted round robin. Thread: owned by one worker.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/policy.h"
#include "upstream/lb/round_robin/round_robin.h"

namespace portico::upstream::lb {

class MaglevHash final : public Policy {
 public:
  // Lookup table size: prime, ~650 slots per host for 100 hosts.
  static constexpr uint32_t kTableSize = 65537;
  // Hosts with an index at or above this are never chosen by hash (table entries are 16 bits).
  static constexpr uint32_t kMaxHosts = 0xffff;
  // Weights are quantized to 1..kWeightLevels relative to the largest before filling the table,
  // so the table (and its ~1 ms rebuild) only changes when a weight moves by ~1/64 of the
  // largest, not at every slow-start step. Shares are within ~1% of the weights.
  static constexpr uint32_t kWeightLevels = 64;
  // Table slots tried after the key's slot before falling back to a scan of the hosts.
  static constexpr uint32_t kMaxProbes = 64;

  // A policy for up to `hosts` hosts; allocates the table and build state so that pick() never
  // allocates.
  explicit MaglevHash(size_t hosts);

  // With a key: the table's host for ctx.hash; if that host is unavailable now (changed since
  // rebuild) or is `exclude`, the host of the next slot that is usable (so those keys spread
  // over the other hosts, and always the same way). `exclude` only if it is the only available
  // host; -1 when none is available. Without a key: smooth weighted round robin. O(1).
  int pick(std::span<const HostView> hosts, const PickContext& ctx) override;

  // Rebuilds the table over the available hosts and their quantized weights; skipped when
  // neither changed. Costs about 1 ms for 100 hosts.
  void rebuild(std::span<const HostView> hosts) override;
  bool usesHash() const override { return true; }
  // Seeds each host's permutation from its stable key instead of its index, and fills the
  // table in key order, so the table depends only on the set of (key, weight): removing a host
  // (which shifts the indices of the hosts after it) or reordering the config only remaps what
  // that change must. A key of 0, or a host without a key, is seeded from its index.
  void setHostKeys(std::span<const uint64_t> keys) override;

  // The host the table assigns to `hash` (kMaxHosts when the table is empty); for tests.
  uint32_t tableHost(uint64_t hash) const { return table_[hash % kTableSize]; }

 private:
  // Fills the table from `hosts`; allocates only if `hosts` outgrew the reserved size.
  void build(std::span<const HostView> hosts);
  // The seed of host `index`'s permutation: its key from setHostKeys(), else index-derived.
  uint64_t seedOf(size_t index) const;

  std::vector<uint16_t> table_;  // kTableSize slots of host indices; kMaxHosts = empty
  // Build state per host (index < kMaxHosts).
  std::vector<uint64_t> seed_;           // seedOf() per host, for the fill order
  std::vector<uint32_t> offset_, skip_;  // the host's permutation: offset + j * skip (mod size)
  std::vector<uint32_t> weight_;         // quantized weight in the table; 0 = unavailable
  std::vector<uint32_t> next_;           // build scratch: current permutation position
  std::vector<uint64_t> target_;         // build scratch: turn accounting for weights
  std::vector<uint32_t> members_;        // build scratch: indices of available hosts
  std::vector<uint64_t> keys_;           // stable host identities (setHostKeys); else indices
  bool built_ = false;
  RoundRobin round_robin_;  // for requests without a key
};

}  // namespace portico::upstream::lb
