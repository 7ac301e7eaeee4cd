#include "upstream/lb/least_conn/least_conn.h"

#include <memory>

namespace portico::upstream::lb {
namespace {

// Scans hosts[begin, end) and keeps the strictly least loaded: (a+1)/w < (ba)/(bw) is
// (a+1)*bw < ba*w. `best_load`/`best_weight` start at 1/0 (infinite load) for "none yet".
inline void scan(const HostView* hosts, size_t begin, size_t end, size_t exclude, size_t& best,
                 uint64_t& best_load, uint64_t& best_weight) {
  for (size_t i = begin; i < end; ++i) {
    const HostView& h = hosts[i];
    const uint64_t load = uint64_t{h.active_requests} + 1;
    const uint64_t weight = h.weight;
    const bool better = load * best_weight < best_load * weight;
    if (h.available & (i != exclude) & better) {
      best = i;
      best_load = load;
      best_weight = weight;
    }
  }
}

}  // namespace

int LeastConn::pick(std::span<const HostView> hosts, const PickContext& ctx) {
  const size_t n = hosts.size();
  if (n == 0) return -1;
  const size_t start = start_ < n ? start_ : 0;
  const size_t exclude = ctx.exclude >= 0 ? static_cast<size_t>(ctx.exclude) : n;
  size_t best = n;
  uint64_t best_load = 1, best_weight = 0;
  scan(hosts.data(), start, n, exclude, best, best_load, best_weight);
  scan(hosts.data(), 0, start, exclude, best, best_load, best_weight);
  if (best == n) {
    // Nothing but (maybe) the excluded host.
    if (exclude < n && hosts[exclude].available) return static_cast<int>(exclude);
    return -1;
  }
  start_ = best + 1;
  return static_cast<int>(best);
}

namespace {
const bool registered = registerPolicy(
    "least_conn", [](const config::LoadBalancing&, size_t) -> std::unique_ptr<Policy> {
      return std::make_unique<LeastConn>();
    });
}  // namespace

}  // namespace portico::upstream::lb
