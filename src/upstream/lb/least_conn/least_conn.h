#pragma once
// Weighted least connections: the available host with the smallest
// (active_requests + 1) / weight. Ties go to the first host after the previously picked one, so
// equally loaded hosts take turns.
//
// To keep a pick over 100 hosts in tens of nanoseconds, rebuild() turns weights into integer
// scales s = L / weight (L = lcm of the weights) so that (a + 1) / w compares like (a + 1) * s:
// cross-multiplication done once per rebuild instead of a dependent multiply chain per pick. A
// pick computes every host's key in one independent (vectorizable) pass, takes the minimum, and
// finds its first occurrence in rotated order (SSE2 where available). Thread: owned by one worker.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/policy.h"

namespace portico::upstream::lb {

class LeastConn final : public Policy {
 public:
  // L above this uses approximate scales (2^20 / weight): comparisons stay exact to about one
  // part in a million, so only exact ties between unequal weights may not rotate.
  static constexpr uint32_t kMaxExactLcm = 1u << 20;

  // A policy for up to `hosts` hosts; reserves its arrays so that pick() never allocates.
  explicit LeastConn(size_t hosts);

  // The index of the available host with the fewest requests in flight relative to its weight
  // (reading active_requests live); `exclude` only if it is the only available host; -1 when
  // none is available. Weights and availability are those of the last rebuild(); a picked host
  // whose availability or weight differs triggers an in-place resync (no allocation).
  int pick(std::span<const HostView> hosts, const PickContext& ctx) override;

  // Copies availability and turns weights into scales.
  void rebuild(std::span<const HostView> hosts) override;

 private:
  // Refreshes the scales from `hosts`; allocates only if `hosts` outgrew the reserved size.
  void sync(std::span<const HostView> hosts);
  // Fills key_ and returns the index of the least key in rotated order from start_; -1 if every
  // key is infinite.
  int scan(std::span<const HostView> hosts);

  std::vector<float> scale_;        // L / weight; +infinity when unavailable
  std::vector<float> key_;          // scratch: (active + 1) * scale per host
  std::vector<uint32_t> observed_;  // HostView::weight as last seen
  size_t start_ = 0;                // where the tie-breaking order starts (one past last pick)
  bool synced_ = false;
};

}  // namespace portico::upstream::lb
