#include "upstream/lb/p2c/p2c.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace portico::upstream::lb {
namespace {

PickContext randomCtx(uint64_t& seed, int exclude = -1) {
  PickContext ctx;
  ctx.random = nextRandom(seed);
  ctx.exclude = exclude;
  return ctx;
}

TEST(LbP2c, PrefersTheLessLoadedOfTwo) {
  std::vector<HostView> hosts(2);
  hosts[0].active_requests = 10;
  PowerOfTwoChoices p(hosts.size(), 2);
  p.rebuild(hosts);
  uint64_t seed = 1;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(p.pick(hosts, randomCtx(seed)), 1);
}

TEST(LbP2c, NeverPicksTheMostLoadedOfThreeWithTwoChoices) {
  std::vector<HostView> hosts(3);
  hosts[0].active_requests = 1;
  hosts[1].active_requests = 2;
  hosts[2].active_requests = 3;
  PowerOfTwoChoices p(hosts.size(), 2);
  p.rebuild(hosts);
  uint64_t seed = 7;
  std::vector<int> count(3);
  for (int i = 0; i < 3000; ++i) count[p.pick(hosts, randomCtx(seed))]++;
  EXPECT_EQ(count[2], 0);
  // Host 0 wins both pairs it is in (2/3), host 1 the pair {1, 2} (1/3).
  EXPECT_NEAR(count[0], 2000, 100);
  EXPECT_NEAR(count[1], 1000, 100);
}

TEST(LbP2c, ChoicesEqualToHostsIsLeastLoaded) {
  std::vector<HostView> hosts(4);
  for (uint32_t i = 0; i < 4; ++i) hosts[i].active_requests = 10 - i;
  PowerOfTwoChoices p(hosts.size(), 4);
  p.rebuild(hosts);
  uint64_t seed = 3;
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p.pick(hosts, randomCtx(seed)), 3);
}

TEST(LbP2c, SamplesDistinctHostsUniformly) {
  std::vector<HostView> hosts(10);
  AvailableHosts available(hosts.size());
  available.sync(hosts);
  uint64_t seed = 11;
  std::vector<int> count(10);
  for (int i = 0; i < 10000; ++i) {
    int out[16];
    const uint32_t n = available.sample(nextRandom(seed), 3, -1, out);
    ASSERT_EQ(n, 3u);
    std::set<int> distinct(out, out + n);
    EXPECT_EQ(distinct.size(), 3u);
    for (uint32_t j = 0; j < n; ++j) count[out[j]]++;
  }
  for (int c : count) EXPECT_NEAR(c, 3000, 200);
}

TEST(LbP2c, SampleSkipsExclude) {
  std::vector<HostView> hosts(5);
  AvailableHosts available(hosts.size());
  available.sync(hosts);
  uint64_t seed = 5;
  for (int i = 0; i < 1000; ++i) {
    int out[16];
    const uint32_t n = available.sample(nextRandom(seed), 2, 2, out);
    ASSERT_EQ(n, 2u);
    EXPECT_NE(out[0], 2);
    EXPECT_NE(out[1], 2);
    EXPECT_NE(out[0], out[1]);
  }
}

// Closed-loop simulation: each pick adds a request, then one request in flight (chosen
// uniformly) completes. In steady state, traffic follows the weights.
TEST(LbP2c, TrafficFollowsWeightsUnderLoad) {
  std::vector<HostView> hosts(3);
  for (uint32_t i = 0; i < 3; ++i) hosts[i].weight = i + 1;
  PowerOfTwoChoices p(hosts.size(), 2);
  p.rebuild(hosts);
  uint64_t seed = 2024;
  std::vector<int> count(3);
  constexpr int kInFlight = 60;
  for (int i = 0; i < 60000 + 1000; ++i) {
    const int h = p.pick(hosts, randomCtx(seed));
    ASSERT_GE(h, 0);
    hosts[h].active_requests++;
    if (i >= 1000) count[h]++;
    if (i >= kInFlight) {
      uint32_t r = reduceRange(nextRandom(seed), kInFlight + 1);
      int done = 0;
      while (r >= hosts[done].active_requests) r -= hosts[done++].active_requests;
      hosts[done].active_requests--;
    }
  }
  EXPECT_NEAR(count[0], 10000, 500);
  EXPECT_NEAR(count[1], 20000, 1000);
  EXPECT_NEAR(count[2], 30000, 1500);
}

}  // namespace
}  // namespace portico::upstream::lb
