#include "upstream/lb/least_conn/least_conn.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <limits>
#include <memory>
#include <numeric>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace portico::upstream::lb {
namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

// First i in [begin, end) with key[i] == value, or end.
inline size_t find(const float* key, size_t begin, size_t end, float value) {
  size_t i = begin;
#if defined(__SSE2__)
  const __m128 v = _mm_set1_ps(value);
  for (; i + 4 <= end; i += 4) {
    const int mask = _mm_movemask_ps(_mm_cmpeq_ps(_mm_loadu_ps(key + i), v));
    if (mask != 0) return i + static_cast<size_t>(std::countr_zero(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < end; ++i) {
    if (key[i] == value) return i;
  }
  return end;
}

}  // namespace

LeastConn::LeastConn(size_t hosts) {
  scale_.reserve(hosts);
  key_.reserve(hosts);
  observed_.reserve(hosts);
}

void LeastConn::rebuild(std::span<const HostView> hosts) {
  sync(hosts);
}

void LeastConn::sync(std::span<const HostView> hosts) {
  const size_t n = hosts.size();
  scale_.resize(n);
  key_.resize(n);
  observed_.resize(n);
  // While exact, lcm <= 2^20: 32-bit divisions (cheaper than 64-bit ones) suffice.
  uint32_t lcm = 1;
  bool exact = true;
  for (const HostView& h : hosts) {
    const uint32_t w = std::max(h.weight, 1u);
    // Most weights already divide the running lcm (equal or few distinct weights): skip gcd.
    if (!h.available || !exact || lcm % w == 0) continue;
    const uint64_t next = std::lcm(uint64_t{lcm}, uint64_t{w});
    exact = next <= kMaxExactLcm;
    lcm = static_cast<uint32_t>(std::min<uint64_t>(next, kMaxExactLcm));
  }
  for (size_t i = 0; i < n; ++i) {
    const HostView& h = hosts[i];
    const uint32_t w = std::max(h.weight, 1u);
    observed_[i] = h.weight;
    if (!h.available) {
      scale_[i] = kInfinity;
    } else if (exact) {
      scale_[i] = static_cast<float>(lcm / w);
    } else {
      scale_[i] = static_cast<float>(kMaxExactLcm) / static_cast<float>(w);
    }
  }
  synced_ = true;
}

int LeastConn::scan(std::span<const HostView> hosts) {
  const size_t n = hosts.size();
  const HostView* h = hosts.data();
  const float* scale = scale_.data();
  float* key = key_.data();
  size_t i = 0;
  float least = kInfinity;
#if defined(__SSE2__)
  // Four hosts per step, gathering the four active_requests fields with shuffles (scalar code
  // makes GCC assemble the vector through the stack, which stalls on store forwarding).
  static_assert(offsetof(HostView, active_requests) == 4);
  static_assert(sizeof(HostView) == 12 || sizeof(HostView) >= 16);
  const __m128 one = _mm_set1_ps(1.0f);
  const auto active4 = [h](size_t i) {
    if constexpr (sizeof(HostView) == 12) {
      // Three loads cover the four 12-byte records exactly (no read past the array).
      const auto* p = reinterpret_cast<const __m128i*>(h + i);
      const __m128 v0 = _mm_castsi128_ps(_mm_loadu_si128(p));              // w0 a0 f0 w1
      const __m128 v1 = _mm_castsi128_ps(_mm_loadu_si128(p + 1));          // a1 f1 w2 a2
      const __m128 v2 = _mm_castsi128_ps(_mm_loadu_si128(p + 2));          // f2 w3 a3 f3
      const __m128 a01 = _mm_shuffle_ps(v0, v1, _MM_SHUFFLE(0, 0, 1, 1));  // a0 a0 a1 a1
      const __m128 a23 = _mm_shuffle_ps(v1, v2, _MM_SHUFFLE(2, 2, 3, 3));  // a2 a2 a3 a3
      return _mm_castps_si128(_mm_shuffle_ps(a01, a23, _MM_SHUFFLE(2, 0, 2, 0)));
    } else {
      // One load from the start of each record (inside it: records are >= 16 bytes).
      const auto load = [h](size_t j) {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + j));
      };
      const __m128i wa01 = _mm_unpacklo_epi32(load(i), load(i + 1));      // w0 w1 a0 a1
      const __m128i wa23 = _mm_unpacklo_epi32(load(i + 2), load(i + 3));  // w2 w3 a2 a3
      return _mm_unpackhi_epi64(wa01, wa23);                              // a0 a1 a2 a3
    }
  };
  // Keys of hosts [i, i + 4).
  const auto keys4 = [&](size_t i) {
    const __m128 k =
        _mm_mul_ps(_mm_add_ps(_mm_cvtepi32_ps(active4(i)), one), _mm_loadu_ps(scale + i));
    _mm_storeu_ps(key + i, k);
    return k;
  };
  // Two independent minimum chains, eight hosts per step.
  __m128 min4 = _mm_set1_ps(kInfinity);
  __m128 min4b = min4;
  for (; i + 8 <= n; i += 8) {
    min4 = _mm_min_ps(min4, keys4(i));
    min4b = _mm_min_ps(min4b, keys4(i + 4));
  }
  if (i + 4 <= n) {
    min4 = _mm_min_ps(min4, keys4(i));
    i += 4;
  }
  min4 = _mm_min_ps(min4, min4b);
  min4 = _mm_min_ps(min4, _mm_shuffle_ps(min4, min4, _MM_SHUFFLE(1, 0, 3, 2)));
  min4 = _mm_min_ps(min4, _mm_shuffle_ps(min4, min4, _MM_SHUFFLE(2, 3, 0, 1)));
  least = _mm_cvtss_f32(min4);
#endif
  for (; i < n; ++i) {
    const float load = static_cast<float>(static_cast<int32_t>(h[i].active_requests)) + 1.0f;
    key[i] = load * scale[i];
    least = std::min(least, key[i]);
  }
  if (least == kInfinity) return -1;
  const size_t start = start_ < n ? start_ : 0;
  size_t found = find(key, start, n, least);
  if (found == n) found = find(key, 0, start, least);
  return static_cast<int>(found);
}

int LeastConn::pick(std::span<const HostView> hosts, const PickContext& ctx) {
  if (!synced_ || hosts.size() != scale_.size()) sync(hosts);
  const size_t n = hosts.size();
  const bool exclude = ctx.exclude >= 0 && static_cast<size_t>(ctx.exclude) < n;
  for (int attempt = 0; attempt < 2; ++attempt) {
    float saved = 0;
    if (exclude) {
      saved = scale_[ctx.exclude];
      scale_[ctx.exclude] = kInfinity;
    }
    const int i = scan(hosts);
    if (exclude) scale_[ctx.exclude] = saved;
    if (i < 0) {
      // Nothing but (maybe) the excluded host.
      if (exclude && hosts[ctx.exclude].available && saved != kInfinity) return ctx.exclude;
      if (!exclude || saved != kInfinity || !hosts[ctx.exclude].available) return -1;
      sync(hosts);  // the excluded host became available without a rebuild
      continue;
    }
    const HostView& h = hosts[i];
    if (h.available && h.weight == observed_[i]) {
      start_ = static_cast<size_t>(i) + 1;
      return i;
    }
    sync(hosts);  // availability or weight changed without a rebuild
  }
  return -1;
}

namespace {
const bool registered = registerPolicy(
    "least_conn", [](const config::LoadBalancing&, size_t hosts) -> std::unique_ptr<Policy> {
      return std::make_unique<LeastConn>(hosts);
    });
}  // namespace

}  // namespace portico::upstream::lb
