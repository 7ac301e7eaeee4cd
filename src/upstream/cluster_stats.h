#pragma once
// Cluster-wide counters and gauges shared by all workers (relaxed atomics): they enforce the
// circuit breakers and the retry budget, and feed the admin API. Thread: any.
#include <atomic>
#include <cstdint>

namespace portico::upstream {

struct ClusterStats {
  std::atomic<int64_t> active_requests{0};        // exchanges in flight to this cluster
  std::atomic<int64_t> active_retries{0};         // of which are retries
  std::atomic<int64_t> connections{0};            // upstream connections open (active + idle)
  std::atomic<int64_t> pending{0};                // exchanges waiting for a connection slot
  std::atomic<uint64_t> overflow_requests{0};     // 503 by max_requests
  std::atomic<uint64_t> overflow_connections{0};  // 503 by max_connections/max_pending
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> retry_budget_exhausted{0};
  std::atomic<uint64_t> no_host{0};   // 503 because every server was down
  std::atomic<bool> all_down{false};  // for logging the transition once
  // Copies of requests mirrored to this cluster (route `mirror:`).
  std::atomic<uint64_t> mirrored{0};        // sent
  std::atomic<uint64_t> mirror_skipped{0};  // not sent: body not whole in memory or too large
  std::atomic<uint64_t> mirror_dropped{0};  // not sent: too many in flight, circuit breaker
  std::atomic<uint64_t> mirror_failed{0};   // sent, no complete response (timeout, reset, ...)
};

}  // namespace portico::upstream
