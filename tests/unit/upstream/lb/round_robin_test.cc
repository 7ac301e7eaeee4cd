#include "upstream/lb/round_robin/round_robin.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portico::upstream::lb {
namespace {

std::vector<HostView> weighted(const std::vector<uint32_t>& weights) {
  std::vector<HostView> hosts(weights.size());
  for (size_t i = 0; i < weights.size(); ++i) hosts[i].weight = weights[i];
  return hosts;
}

std::string sequence(RoundRobin& rr, const std::vector<HostView>& hosts, int picks) {
  std::string s;
  for (int i = 0; i < picks; ++i) s.push_back(static_cast<char>('a' + rr.pick(hosts, {})));
  return s;
}

TEST(LbRoundRobin, SmoothInterleavingLikeNginx) {
  std::vector<HostView> hosts = weighted({5, 1, 1});
  RoundRobin rr(hosts.size());
  rr.rebuild(hosts);
  EXPECT_EQ(sequence(rr, hosts, 14), "aabacaaaabacaa");
}

TEST(LbRoundRobin, EqualWeightsCycle) {
  std::vector<HostView> hosts = weighted({1, 1, 1});
  RoundRobin rr(hosts.size());
  rr.rebuild(hosts);
  EXPECT_EQ(sequence(rr, hosts, 7), "abcabca");
}

TEST(LbRoundRobin, WeightsOneTwoThreeOverSixThousandPicks) {
  std::vector<HostView> hosts = weighted({1, 2, 3});
  RoundRobin rr(hosts.size());
  rr.rebuild(hosts);
  std::vector<int> count(3);
  for (int i = 0; i < 6000; ++i) count[rr.pick(hosts, {})]++;
  EXPECT_NEAR(count[0], 1000, 30);
  EXPECT_NEAR(count[1], 2000, 60);
  EXPECT_NEAR(count[2], 3000, 90);
  // Smooth: exact per period of 6.
  EXPECT_EQ(count[0], 1000);
  EXPECT_EQ(count[1], 2000);
  EXPECT_EQ(count[2], 3000);
}

TEST(LbRoundRobin, SkipsUnavailableHosts) {
  std::vector<HostView> hosts = weighted({5, 1, 1});
  hosts[0].available = false;
  RoundRobin rr(hosts.size());
  rr.rebuild(hosts);
  EXPECT_EQ(sequence(rr, hosts, 6), "bcbcbc");
}

TEST(LbRoundRobin, ReweightTakesEffectOnNextPick) {
  std::vector<HostView> hosts = weighted({1, 1});
  RoundRobin rr(hosts.size());
  rr.rebuild(hosts);
  sequence(rr, hosts, 4);
  hosts[1].weight = 3;  // e.g. a slow-start step
  rr.rebuild(hosts);
  std::vector<int> count(2);
  for (int i = 0; i < 400; ++i) count[rr.pick(hosts, {})]++;
  EXPECT_NEAR(count[0], 100, 2);
  EXPECT_NEAR(count[1], 300, 2);
}

TEST(LbRoundRobin, SlowStartRampWithRebuildBeforeEveryPick) {
  // The integration rebuilds whenever an effective weight moves, i.e. before every pick while a
  // host ramps up: its share must follow the ramp.
  std::vector<HostView> hosts = weighted({10000, 1000});
  RoundRobin rr(hosts.size());
  double expected = 0;
  int got = 0;
  for (int i = 0; i < 20000; ++i) {
    hosts[1].weight = 1000 + static_cast<uint32_t>(i * 9000 / 20000);  // 10% -> 100%
    rr.rebuild(hosts);
    expected += hosts[1].weight / double(hosts[0].weight + hosts[1].weight);
    got += rr.pick(hosts, {}) == 1;
  }
  EXPECT_NEAR(got, expected, expected * 0.01);
}

TEST(LbRoundRobin, WeightChangeWithoutRebuildIsNoticed) {
  std::vector<HostView> hosts = weighted({1, 1});
  RoundRobin rr(hosts.size());
  rr.rebuild(hosts);
  hosts[0].weight = 4;
  rr.pick(hosts, {});  // host 0 or 1 picked; either one reveals a stale copy soon
  rr.pick(hosts, {});
  std::vector<int> count(2);
  for (int i = 0; i < 500; ++i) count[rr.pick(hosts, {})]++;
  EXPECT_NEAR(count[0], 400, 2);
  EXPECT_NEAR(count[1], 100, 2);
}

TEST(LbRoundRobin, ExcludeKeepsTheSkippedHostsTurn) {
  std::vector<HostView> hosts = weighted({1, 1, 1});
  RoundRobin rr(hosts.size());
  rr.rebuild(hosts);
  EXPECT_EQ(rr.pick(hosts, {}), 0);
  PickContext ctx;
  ctx.exclude = 1;
  EXPECT_EQ(rr.pick(hosts, ctx), 2);
  EXPECT_EQ(rr.pick(hosts, {}), 1);  // 1's turn was kept
  std::vector<int> count(3);
  for (int i = 0; i < 300; ++i) count[rr.pick(hosts, {})]++;
  EXPECT_EQ(count, (std::vector<int>{100, 100, 100}));
}

TEST(LbRoundRobin, HugeWeightsDoNotOverflow) {
  std::vector<HostView> hosts = weighted({4000000000u, 2000000000u, 1});
  RoundRobin rr(hosts.size());
  rr.rebuild(hosts);
  std::vector<int> count(3);
  for (int i = 0; i < 3000; ++i) count[rr.pick(hosts, {})]++;
  EXPECT_NEAR(count[0], 2000, 1);
  EXPECT_NEAR(count[1], 1000, 1);
}

TEST(LbRoundRobin, HundredHostsEachPickedOncePerRound) {
  std::vector<HostView> hosts(100);
  RoundRobin rr(hosts.size());
  rr.rebuild(hosts);
  std::vector<int> count(100);
  for (int i = 0; i < 1000; ++i) count[rr.pick(hosts, {})]++;
  for (int c : count) EXPECT_EQ(c, 10);
}

TEST(LbRoundRobin, MatchesNginxReferenceOverManyHosts) {
  // nginx's loop, verbatim in spirit, over 37 hosts (SIMD body and tails) with mixed weights.
  std::vector<HostView> hosts(37);
  for (size_t i = 0; i < hosts.size(); ++i) hosts[i].weight = 1 + static_cast<uint32_t>(i * 7 % 10);
  hosts[3].available = hosts[20].available = false;
  RoundRobin rr(hosts.size());
  rr.rebuild(hosts);
  std::vector<int64_t> current(hosts.size());
  for (int n = 0; n < 5000; ++n) {
    int best = -1;
    int64_t total = 0;
    for (size_t i = 0; i < hosts.size(); ++i) {
      if (!hosts[i].available) continue;
      current[i] += hosts[i].weight;
      total += hosts[i].weight;
      if (best < 0 || current[i] > current[best]) best = static_cast<int>(i);
    }
    current[best] -= total;
    ASSERT_EQ(rr.pick(hosts, {}), best) << n;
  }
}

}  // namespace
}  // namespace portico::upstream::lb
