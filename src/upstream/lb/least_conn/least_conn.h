#pragma once
// Weighted least connections: the available host with the smallest
// (active_requests + 1) / weight, compared by cross-multiplication. Ties go to the first host
// after the previously picked one, so equally loaded hosts take turns. Reads the live
// HostView array on every pick (active_requests changes with every request), needs no
// rebuild. Thread: owned by one worker.
#include <cstddef>
#include <span>

#include "upstream/lb/policy.h"

namespace portico::upstream::lb {

class LeastConn final : public Policy {
 public:
  // The index of the available host with the fewest requests in flight relative to its weight;
  // `exclude` only if it is the only available host; -1 when none is available. O(hosts), no
  // allocation.
  int pick(std::span<const HostView> hosts, const PickContext& ctx) override;

 private:
  size_t start_ = 0;  // where the next scan starts (one past the last pick)
};

}  // namespace portico::upstream::lb
