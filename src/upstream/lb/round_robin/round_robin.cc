#include "upstream/lb/round_robin/round_robin.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace portico::upstream::lb {
namespace {

// `current` of an unavailable host: far below any reachable value (|current| <= total weight),
// and weight 0 keeps it there, so it never wins the max and needs no branch in the loop.
constexpr float kParked = -0x1p30f;
// Total weight bound: every `current` is an integer of magnitude below 2^23, exact in a float.
constexpr int64_t kMaxTotal = int64_t{1} << 22;

// Adds w to cur over [0, n) and returns the largest result.
inline float addAndMax(float* __restrict cur, const float* __restrict w, size_t n) {
  size_t i = 0;
  float best = -std::numeric_limits<float>::infinity();
#if defined(__SSE2__)
  // Two independent max chains, eight hosts per step.
  __m128 m0 = _mm_set1_ps(best), m1 = m0;
  for (; i + 8 <= n; i += 8) {
    const __m128 c0 = _mm_add_ps(_mm_loadu_ps(cur + i), _mm_loadu_ps(w + i));
    const __m128 c1 = _mm_add_ps(_mm_loadu_ps(cur + i + 4), _mm_loadu_ps(w + i + 4));
    _mm_storeu_ps(cur + i, c0);
    _mm_storeu_ps(cur + i + 4, c1);
    m0 = _mm_max_ps(m0, c0);
    m1 = _mm_max_ps(m1, c1);
  }
  m0 = _mm_max_ps(m0, m1);
  m0 = _mm_max_ps(m0, _mm_shuffle_ps(m0, m0, _MM_SHUFFLE(1, 0, 3, 2)));
  m0 = _mm_max_ps(m0, _mm_shuffle_ps(m0, m0, _MM_SHUFFLE(2, 3, 0, 1)));
  best = _mm_cvtss_f32(m0);
#endif
  for (; i < n; ++i) {
    cur[i] += w[i];
    best = std::max(best, cur[i]);
  }
  return best;
}

// First i with cur[i] == value (value is in cur).
inline size_t find(const float* cur, size_t n, float value) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128 v = _mm_set1_ps(value);
  for (; i + 4 <= n; i += 4) {
    const int mask = _mm_movemask_ps(_mm_cmpeq_ps(_mm_loadu_ps(cur + i), v));
    if (mask != 0) return i + static_cast<size_t>(std::countr_zero(static_cast<unsigned>(mask)));
  }
#endif
  while (cur[i] != value) ++i;
  return i;
}

}  // namespace

RoundRobin::RoundRobin(size_t hosts) {
  weight_.reserve(hosts);
  current_.reserve(hosts);
  observed_.reserve(hosts);
}

void RoundRobin::rebuild(std::span<const HostView> hosts) {
  sync(hosts);
}

void RoundRobin::sync(std::span<const HostView> hosts) {
  const size_t n = hosts.size();
  const size_t old = current_.size();
  weight_.resize(n);
  current_.resize(n, kParked);
  observed_.resize(n);
  // Scale weights down (keeping their ratios roughly) if the total could overflow.
  int64_t raw_total = 0;
  for (const HostView& h : hosts) raw_total += h.available ? std::max<uint32_t>(h.weight, 1) : 0;
  int shift = 0;
  while ((raw_total >> shift) > kMaxTotal) ++shift;
  int64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    const HostView& h = hosts[i];
    observed_[i] = h.weight;
    if (!h.available) {
      weight_[i] = 0;
      current_[i] = kParked;
      continue;
    }
    const int64_t w = std::max<int64_t>(std::max<uint32_t>(h.weight, 1) >> shift, 1);
    weight_[i] = static_cast<float>(w);
    if (i >= old || current_[i] == kParked) current_[i] = 0;
    total += w;
  }
  total_ = static_cast<float>(total);
  // Keep positions bounded after weights shrank.
  for (size_t i = 0; i < n; ++i) {
    if (weight_[i] > 0) current_[i] = std::clamp(current_[i], -total_, total_);
  }
  synced_ = true;
}

int RoundRobin::step(int exclude) {
  float* cur = current_.data();
  const size_t n = current_.size();
  float total = total_;
  float saved = 0;
  if (exclude >= 0) {
    // Skip the excluded host for this pick only: its turn is kept for later.
    saved = cur[exclude];
    cur[exclude] = kParked;
    total -= weight_[exclude];
  }
  const size_t i = find(cur, n, addAndMax(cur, weight_.data(), n));
  cur[i] -= total;
  if (exclude >= 0) cur[exclude] = saved;
  return static_cast<int>(i);
}

int RoundRobin::pick(std::span<const HostView> hosts, const PickContext& ctx) {
  if (!synced_ || hosts.size() != current_.size()) sync(hosts);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (total_ == 0) return -1;
    int exclude = -1;
    if (ctx.exclude >= 0 && static_cast<size_t>(ctx.exclude) < hosts.size()) {
      const float we = weight_[ctx.exclude];
      if (we > 0 && we < total_) exclude = ctx.exclude;
    }
    const int i = step(exclude);
    const HostView& h = hosts[i];
    if (h.available && h.weight == observed_[i]) return i;
    // Our copy is stale (availability or weight changed without a rebuild): resync in place.
    sync(hosts);
    if (h.available) return i;
  }
  return -1;
}

namespace {
const bool registered = registerPolicy(
    "round_robin", [](const config::LoadBalancing&, size_t hosts) -> std::unique_ptr<Policy> {
      return std::make_unique<RoundRobin>(hosts);
    });
}  // namespace

}  // namespace portico::upstream::lb
