#pragma once
// Weighted random: each pick chooses an available host with probability weight / total weight,
// from ctx.random. rebuild() builds the prefix sums of the available hosts' weights; a pick is
// one multiply and a binary search. Thread: owned by one worker.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/policy.h"

namespace portico::upstream::lb {

class WeightedRandom final : public Policy {
 public:
  // A policy for up to `hosts` hosts; reserves its arrays so that pick() never allocates.
  explicit WeightedRandom(size_t hosts);

  // An available host drawn with probability proportional to its weight (among hosts other
  // than `exclude`, unless it is the only available one); -1 when none is available. A drawn
  // host whose availability or weight differs from the last rebuild() triggers an in-place
  // resync (no allocation).
  int pick(std::span<const HostView> hosts, const PickContext& ctx) override;

  // Rebuilds the prefix sums of the available hosts' weights.
  void rebuild(std::span<const HostView> hosts) override;

 private:
  // Refreshes the arrays from `hosts`; allocates only if `hosts` outgrew the reserved size.
  void sync(std::span<const HostView> hosts);

  std::vector<int> list_;           // available host indices
  std::vector<uint64_t> upper_;     // upper_[j] = sum of weights of list_[0..j]
  std::vector<int> position_;       // host index -> position in list_, or -1
  std::vector<uint32_t> observed_;  // HostView::weight as last seen
  bool synced_ = false;
};

}  // namespace portico::upstream::lb
