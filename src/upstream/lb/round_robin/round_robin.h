#pragma once
// Smooth weighted round robin (nginx's algorithm): every pick adds each available host's weight
// to its `current`, picks the largest `current` and subtracts the total weight from it. Weights
// 5:1:1 give a a b a c a a. The weights and the available set are copied into compact arrays by
// rebuild(), so a pick is two tight SIMD passes over a float array (add + max, then find the max).
// Thread: owned by one worker.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/policy.h"

namespace portico::upstream::lb {

class RoundRobin final : public Policy {
 public:
  // A policy for up to `hosts` hosts; reserves its arrays so that pick() never allocates.
  explicit RoundRobin(size_t hosts);

  // The next host of the smooth weighted round robin sequence over available hosts; `exclude`
  // is skipped (its turn is kept) unless it is the only available host; -1 when none is
  // available. Uses the weights given to the last rebuild(); a picked host whose availability or
  // weight differs from that copy triggers an in-place resync (no allocation).
  int pick(std::span<const HostView> hosts, const PickContext& ctx) override;

  // Copies weights and availability. Hosts that stay available keep their position in the
  // sequence; hosts that become available start at zero.
  void rebuild(std::span<const HostView> hosts) override;

 private:
  // Refreshes the arrays from `hosts`; allocates only if `hosts` outgrew the reserved size.
  void sync(std::span<const HostView> hosts);
  // One step of the algorithm; `exclude` is a usable host to skip, or -1.
  int step(int exclude);

  // Integer values held in floats (exact below 2^24): SSE has a one-instruction float max.
  std::vector<float> weight_;       // effective weight per host; 0 when unavailable
  std::vector<float> current_;      // nginx's current_weight; kParked when unavailable
  std::vector<uint32_t> observed_;  // HostView::weight as last seen (before scaling)
  float total_ = 0;                 // sum of weight_
  bool synced_ = false;
};

}  // namespace portico::upstream::lb
