#pragma once
// Least time: peak-EWMA of response times (Finagle/Linkerd style) combined with requests in
// flight. Each host's cost is ewma * (active_requests + 1) / weight; a pick samples two distinct
// available hosts at random and takes the cheaper (power of two choices), so slow hosts still
// get a share when the fast ones are busy. The EWMA jumps up at once to any sample above it
// (peak-sensitive) and otherwise moves towards samples with a 10 s time constant; it also decays
// towards zero while a host gets no responses, so a host that was slow is tried again later.
// Thread: owned by one worker.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/p2c/p2c.h"
#include "upstream/lb/policy.h"

namespace portico::upstream::lb {

class LeastTime final : public Policy {
 public:
  // Monotonic clock in microseconds.
  using Clock = uint64_t (*)();
  // EWMA time constant.
  static constexpr double kTauUs = 10e6;
  // Cost basis of a host with no response yet: small, so new hosts get tried.
  static constexpr double kDefaultUs = 1000;
  // Upper bound of a failure-inflated sample.
  static constexpr double kMaxSampleUs = 60e6;

  // Returns steady_clock's now in microseconds (the default clock).
  static uint64_t steadyNowUs();

  // A policy for up to `hosts` hosts reading time from `clock` (tests pass a fake one).
  explicit LeastTime(size_t hosts, Clock clock = &steadyNowUs);

  // The cheaper of two distinct available hosts sampled with ctx.random (the only one if just
  // one is available); `exclude` only if it is the only available host; -1 when none is
  // available. No allocation.
  int pick(std::span<const HostView> hosts, const PickContext& ctx) override;

  // Rebuilds the list of available hosts; keeps every host's EWMA.
  void rebuild(std::span<const HostView> hosts) override;

  // Feeds `latency_us` into `host`'s EWMA. A failed response counts as at least twice the
  // host's current EWMA (so fast failures do not attract traffic). Out-of-range hosts are
  // ignored.
  void onResponse(int host, uint64_t latency_us, bool success) override;

  // `host`'s EWMA in microseconds decayed to `now_us` (kDefaultUs before its first response).
  double ewmaUs(int host, uint64_t now_us) const;

 private:
  struct Timing {
    double ewma_us = kDefaultUs;
    uint64_t stamp_us = 0;  // when ewma_us was last updated; 0 = no response yet
  };

  AvailableHosts available_;
  std::vector<Timing> timing_;
  Clock clock_;
};

}  // namespace portico::upstream::lb
