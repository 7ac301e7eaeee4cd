#include "upstream/lb/random/random.h"

#include <gtest/gtest.h>

#include <vector>

#include "upstream/lb/p2c/p2c.h"

namespace portico::upstream::lb {
namespace {

std::vector<int> distribution(WeightedRandom& wr, const std::vector<HostView>& hosts, int picks,
                              int exclude = -1) {
  std::vector<int> count(hosts.size());
  uint64_t seed = 42;
  for (int i = 0; i < picks; ++i) {
    PickContext ctx;
    ctx.random = nextRandom(seed);
    ctx.exclude = exclude;
    count[wr.pick(hosts, ctx)]++;
  }
  return count;
}

TEST(LbRandom, FollowsWeights) {
  std::vector<HostView> hosts(3);
  for (uint32_t i = 0; i < 3; ++i) hosts[i].weight = i + 1;
  WeightedRandom wr(hosts.size());
  wr.rebuild(hosts);
  const std::vector<int> count = distribution(wr, hosts, 60000);
  EXPECT_NEAR(count[0], 10000, 500);
  EXPECT_NEAR(count[1], 20000, 1000);
  EXPECT_NEAR(count[2], 30000, 1500);
}

TEST(LbRandom, UniformOverManyHosts) {
  std::vector<HostView> hosts(100);
  WeightedRandom wr(hosts.size());
  wr.rebuild(hosts);
  const std::vector<int> count = distribution(wr, hosts, 100000);
  for (int c : count) EXPECT_NEAR(c, 1000, 150);
}

TEST(LbRandom, ExcludeKeepsTheOthersWeighted) {
  std::vector<HostView> hosts(3);
  for (uint32_t i = 0; i < 3; ++i) hosts[i].weight = i + 1;
  WeightedRandom wr(hosts.size());
  wr.rebuild(hosts);
  const std::vector<int> count = distribution(wr, hosts, 30000, 1);
  EXPECT_EQ(count[1], 0);
  EXPECT_NEAR(count[0], 7500, 375);
  EXPECT_NEAR(count[2], 22500, 1125);
}

TEST(LbRandom, SameRandomSameHost) {
  std::vector<HostView> hosts(5);
  WeightedRandom wr(hosts.size());
  wr.rebuild(hosts);
  PickContext ctx;
  ctx.random = 0x123456789abcdefULL;
  const int h = wr.pick(hosts, ctx);
  EXPECT_EQ(wr.pick(hosts, ctx), h);
}

}  // namespace
}  // namespace portico::upstream::lb
