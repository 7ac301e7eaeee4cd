#include "upstream/lb/least_time/least_time.h"

#include <gtest/gtest.h>

#include <vector>

namespace portico::upstream::lb {
namespace {

uint64_t g_now_us = 1000000;
uint64_t fakeNow() {
  return g_now_us;
}

PickContext randomCtx(uint64_t& seed) {
  PickContext ctx;
  ctx.random = nextRandom(seed);
  return ctx;
}

TEST(LbLeastTime, PeakEwma) {
  g_now_us = 1000000;
  LeastTime lt(1, &fakeNow);
  EXPECT_EQ(lt.ewmaUs(0, g_now_us), LeastTime::kDefaultUs);
  lt.onResponse(0, 10000, true);
  EXPECT_DOUBLE_EQ(lt.ewmaUs(0, g_now_us), 10000);
  lt.onResponse(0, 50000, true);  // above: taken at once
  EXPECT_DOUBLE_EQ(lt.ewmaUs(0, g_now_us), 50000);
  g_now_us += 10000000;  // one time constant later, a fast sample moves it 63% of the way
  lt.onResponse(0, 10000, true);
  EXPECT_NEAR(lt.ewmaUs(0, g_now_us), 10000 + 40000 / 2.718281828, 10);
  // Without responses it decays towards zero.
  EXPECT_NEAR(lt.ewmaUs(0, g_now_us + 10000000), lt.ewmaUs(0, g_now_us) / 2.718281828, 10);
}

TEST(LbLeastTime, FailuresCountAsSlow) {
  g_now_us = 1000000;
  LeastTime lt(1, &fakeNow);
  lt.onResponse(0, 10000, true);
  lt.onResponse(0, 100, false);  // a fast failure
  EXPECT_DOUBLE_EQ(lt.ewmaUs(0, g_now_us), 20000);
}

TEST(LbLeastTime, PrefersTheFastHostAfterFeedback) {
  g_now_us = 1000000;
  std::vector<HostView> hosts(2);
  LeastTime lt(hosts.size(), &fakeNow);
  lt.rebuild(hosts);
  uint64_t seed = 9;
  for (int i = 0; i < 5; ++i) {
    lt.onResponse(0, 50000, true);  // slow
    lt.onResponse(1, 2000, true);   // fast
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(lt.pick(hosts, randomCtx(seed)), 1);
}

TEST(LbLeastTime, SlowHostStillGetsTrafficUnderLoad) {
  // cost = ewma * (active + 1): the fast host takes requests until it has ~25x the load.
  g_now_us = 1000000;
  std::vector<HostView> hosts(2);
  LeastTime lt(hosts.size(), &fakeNow);
  lt.rebuild(hosts);
  lt.onResponse(0, 50000, true);
  lt.onResponse(1, 2000, true);
  uint64_t seed = 9;
  std::vector<int> count(2);
  for (int i = 0; i < 260; ++i) {
    const int h = lt.pick(hosts, randomCtx(seed));
    hosts[h].active_requests++;
    count[h]++;
  }
  EXPECT_EQ(count[0], 10);
  EXPECT_EQ(count[1], 250);
}

TEST(LbLeastTime, IdleSlowHostIsTriedAgainLater) {
  g_now_us = 1000000;
  std::vector<HostView> hosts(2);
  LeastTime lt(hosts.size(), &fakeNow);
  lt.rebuild(hosts);
  lt.onResponse(0, 50000, true);
  uint64_t seed = 4;
  int slow = 0;
  for (int s = 0; s < 60; ++s) {  // one minute, the fast host answering in 2 ms every 100 ms
    for (int t = 0; t < 10; ++t) {
      g_now_us += 100000;
      lt.onResponse(1, 2000, true);
      slow += lt.pick(hosts, randomCtx(seed)) == 0;
    }
  }
  EXPECT_GT(slow, 0);
  EXPECT_LT(slow, 600);
}

TEST(LbLeastTime, NewHostsGetTried) {
  g_now_us = 1000000;
  std::vector<HostView> hosts(2);
  LeastTime lt(hosts.size(), &fakeNow);
  lt.rebuild(hosts);
  lt.onResponse(0, 5000, true);  // host 1 has no response yet: default cost
  uint64_t seed = 1;
  EXPECT_EQ(lt.pick(hosts, randomCtx(seed)), 1);
}

TEST(LbLeastTime, WeightsDivideTheCost) {
  g_now_us = 1000000;
  std::vector<HostView> hosts(2);
  hosts[0].weight = 10;
  LeastTime lt(hosts.size(), &fakeNow);
  lt.rebuild(hosts);
  lt.onResponse(0, 5000, true);  // 5000 / 10 = 500 per unit of weight
  lt.onResponse(1, 2000, true);
  uint64_t seed = 1;
  EXPECT_EQ(lt.pick(hosts, randomCtx(seed)), 0);
}

}  // namespace
}  // namespace portico::upstream::lb
