// Properties every policy must have: only available hosts, `exclude`, -1 when none.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "upstream/lb/policy.h"

namespace portico::upstream::lb {
namespace {

class LbEveryPolicy : public testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Policy> make(const std::vector<HostView>& hosts) {
    config::LoadBalancing cfg;
    cfg.policy = GetParam();
    std::unique_ptr<Policy> p = createPolicy(cfg, hosts.size());
    EXPECT_NE(p, nullptr);
    p->rebuild(hosts);
    return p;
  }
  // Varies the random number and the key so every policy explores its choices.
  static PickContext ctx(int i, int exclude = -1) {
    PickContext c;
    c.random = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1);
    c.hash = hashKey("key" + std::to_string(i));
    c.has_hash = i % 2 == 0;
    c.exclude = exclude;
    return c;
  }
};

TEST_P(LbEveryPolicy, NoneAvailableGivesMinusOne) {
  std::vector<HostView> hosts(4);
  for (auto& h : hosts) h.available = false;
  auto p = make(hosts);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(p->pick(hosts, ctx(i)), -1);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(p->pick(hosts, ctx(i, 1)), -1);
}

TEST_P(LbEveryPolicy, EmptyClusterGivesMinusOne) {
  std::vector<HostView> hosts;
  auto p = make(hosts);
  EXPECT_EQ(p->pick(hosts, ctx(0)), -1);
  EXPECT_EQ(p->pick(hosts, ctx(1)), -1);
}

TEST_P(LbEveryPolicy, PicksOnlyAvailableHosts) {
  std::vector<HostView> hosts(6);
  hosts[0].available = hosts[3].available = hosts[5].available = false;
  auto p = make(hosts);
  std::vector<int> count(6);
  for (int i = 0; i < 600; ++i) {
    const int h = p->pick(hosts, ctx(i));
    ASSERT_GE(h, 0);
    ASSERT_TRUE(hosts[h].available) << h;
    count[h]++;
  }
  EXPECT_GT(count[1], 0);
  EXPECT_GT(count[2], 0);
  EXPECT_GT(count[4], 0);
}

TEST_P(LbEveryPolicy, ExcludeIsAvoided) {
  std::vector<HostView> hosts(3);
  auto p = make(hosts);
  for (int i = 0; i < 300; ++i) {
    const int ex = i % 3;
    const int h = p->pick(hosts, ctx(i, ex));
    ASSERT_GE(h, 0);
    EXPECT_NE(h, ex);
  }
}

TEST_P(LbEveryPolicy, ExcludeIsUsedWhenItIsTheOnlyAvailableHost) {
  std::vector<HostView> hosts(3);
  hosts[0].available = hosts[2].available = false;
  auto p = make(hosts);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(p->pick(hosts, ctx(i, 1)), 1);
}

TEST_P(LbEveryPolicy, ExcludeOutOfRangeIsIgnored) {
  std::vector<HostView> hosts(2);
  auto p = make(hosts);
  for (int i = 0; i < 20; ++i) {
    const int h = p->pick(hosts, ctx(i, 7));
    EXPECT_TRUE(h == 0 || h == 1);
  }
}

TEST_P(LbEveryPolicy, HostBecomingUnavailableWithoutRebuildIsSkipped) {
  std::vector<HostView> hosts(4);
  auto p = make(hosts);
  for (int i = 0; i < 10; ++i) p->pick(hosts, ctx(i));
  hosts[2].available = false;  // no rebuild(): the policy must notice at pick time
  for (int i = 0; i < 200; ++i) {
    const int h = p->pick(hosts, ctx(i));
    ASSERT_GE(h, 0);
    EXPECT_NE(h, 2);
  }
  hosts[2].available = true;
  p->rebuild(hosts);
  bool seen = false;
  for (int i = 0; i < 200; ++i) seen |= p->pick(hosts, ctx(i)) == 2;
  EXPECT_TRUE(seen);
}

TEST_P(LbEveryPolicy, WorksWithoutRebuild) {
  config::LoadBalancing cfg;
  cfg.policy = GetParam();
  auto p = createPolicy(cfg, 3);
  std::vector<HostView> hosts(3);
  hosts[1].available = false;
  for (int i = 0; i < 50; ++i) {
    const int h = p->pick(hosts, ctx(i));
    EXPECT_TRUE(h == 0 || h == 2) << h;
  }
}

TEST_P(LbEveryPolicy, ClusterGrowsAndShrinksAcrossRebuilds) {
  std::vector<HostView> hosts(2);
  auto p = make(hosts);
  hosts.resize(5);
  p->rebuild(hosts);
  std::vector<int> count(5);
  for (int i = 0; i < 1000; ++i) count[p->pick(hosts, ctx(i))]++;
  for (int c : count) EXPECT_GT(c, 0);
  hosts.resize(1);
  p->rebuild(hosts);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(p->pick(hosts, ctx(i)), 0);
}

TEST_P(LbEveryPolicy, ZeroWeightsCountAsOne) {
  std::vector<HostView> hosts(3);
  for (auto& h : hosts) h.weight = 0;
  auto p = make(hosts);
  std::vector<int> count(3);
  for (int i = 0; i < 300; ++i) {
    const int h = p->pick(hosts, ctx(i));
    ASSERT_GE(h, 0);
    count[h]++;
  }
  for (int c : count) EXPECT_GT(c, 0);
}

INSTANTIATE_TEST_SUITE_P(Lb, LbEveryPolicy,
                         testing::Values("round_robin", "least_conn", "hash", "random", "p2c",
                                         "least_time"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace portico::upstream::lb
