#pragma once
// Power of two choices: sample `choices` distinct available hosts uniformly at random and take
// the one with the fewest requests in flight relative to its weight ((active + 1) / weight,
// cross-multiplied). Also exports the sampling helpers least_time uses. Thread: owned by one
// worker.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/policy.h"

namespace portico::upstream::lb {

// splitmix64 step: advances `state` and returns a well-mixed 64-bit value.
inline uint64_t nextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Maps a uniform 64-bit value to [0, n) (multiply-shift; uses the high bits).
inline uint32_t reduceRange(uint64_t r, uint32_t n) {
  return static_cast<uint32_t>((static_cast<__uint128_t>(r) * n) >> 64);
}

// The compact list of available hosts, for uniform sampling without scanning every host.
class AvailableHosts {
 public:
  // Reserves room for `hosts` hosts so that sync() of that many never allocates.
  explicit AvailableHosts(size_t hosts);
  // Rebuilds the list from `hosts`; allocates only if `hosts` outgrew the reserved size.
  void sync(std::span<const HostView> hosts);
  // True once sync() ran for a host array of size `n`.
  bool syncedFor(size_t n) const { return synced_ && position_.size() == n; }
  // Writes up to `count` (<= 16) distinct available host indices other than `exclude` to
  // `out`, chosen uniformly from `random` (and values derived from it); returns how many (all
  // the candidates when there are no more than `count`). 0 when only `exclude` (or nothing) is
  // available.
  uint32_t sample(uint64_t random, uint32_t count, int exclude, int* out) const;
  // Number of available hosts.
  uint32_t size() const { return static_cast<uint32_t>(list_.size()); }

 private:
  std::vector<int> list_;      // available host indices
  std::vector<int> position_;  // host index -> position in list_, or -1
  bool synced_ = false;
};

class PowerOfTwoChoices final : public Policy {
 public:
  // A policy for up to `hosts` hosts sampling `choices` (clamped to 1..16) hosts per pick.
  PowerOfTwoChoices(size_t hosts, uint32_t choices);

  // The least loaded (relative to weight) of `choices` distinct available hosts sampled
  // uniformly with ctx.random; ties go to the first sampled. `exclude` only if it is the only
  // available host; -1 when none is available. A sampled host found unavailable triggers an
  // in-place resync of the available list (no allocation).
  int pick(std::span<const HostView> hosts, const PickContext& ctx) override;

  // Rebuilds the list of available hosts.
  void rebuild(std::span<const HostView> hosts) override;

 private:
  AvailableHosts available_;
  uint32_t choices_;
};

}  // namespace portico::upstream::lb
