#include "upstream/cluster_runtime.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/log.h"

namespace portico::upstream {
namespace {

constexpr uint64_t kNow = 1'000'000;

// A cluster of hosts with their shared state, pools and a round-robin runtime.
class ClusterRuntimeTest : public testing::Test {
 protected:
  ClusterRuntimeTest() {
    cfg.name = "c";
    cfg.lb.policy = "round_robin";
    // Quieter output: ejections log warnings (restored in the destructor).
    for (auto l : {log::Level::Debug, log::Level::Info, log::Level::Warn, log::Level::Error}) {
      if (log::enabled(l)) {
        saved_level = l;
        break;
      }
    }
    log::setLevel(log::Level::Error);
  }
  ~ClusterRuntimeTest() override { log::setLevel(saved_level); }

  // Creates the runtime with `n` hosts; hosts listed in `backups` are backup servers.
  void build(size_t n, std::vector<size_t> backups = {}, std::vector<uint32_t> weights = {}) {
    for (size_t i = 0; i < n; ++i) {
      states.emplace_back();
      if (i < weights.size()) states.back().weight.store(weights[i]);
      pools.emplace_back();
      pools.back().text = "10.0.0." + std::to_string(i + 1) + ":80";
      ids.push_back("id" + std::to_string(i));
    }
    rt = std::make_unique<ClusterRuntime>(cfg, &stats, lb::createPolicy(cfg.lb, n));
    for (size_t i = 0; i < n; ++i) {
      HostEntry e;
      e.pool = &pools[i];
      e.state = &states[i];
      e.sticky_id = &ids[i];
      for (size_t b : backups) e.backup |= b == i;
      rt->addHost(e);
    }
  }

  // Picks `n` times at `now` and counts picks per host (index n = none available).
  std::vector<int> counts(int n, uint64_t now = kNow, int exclude = -1) {
    std::vector<int> c(states.size() + 1);
    for (int i = 0; i < n; ++i) {
      lb::PickContext ctx;
      ctx.exclude = exclude;
      int h = rt->choose(now, ctx);
      c[h < 0 ? states.size() : static_cast<size_t>(h)]++;
    }
    return c;
  }

  int pick(uint64_t now = kNow) { return rt->choose(now, lb::PickContext{}); }

  void fail5xx(int host, int times, uint64_t now = kNow) {
    for (int i = 0; i < times; ++i) rt->recordOutcome(host, false, 503, now);
  }
  void failConnect(int host, int times, uint64_t now = kNow) {
    for (int i = 0; i < times; ++i) rt->recordOutcome(host, true, 0, now);
  }
  bool ejected(int host, uint64_t now = kNow) {
    return states[static_cast<size_t>(host)].ejected_until_ms.load() > now;
  }

  void enableOutlierDetection(uint32_t consecutive_5xx = 3, uint32_t consecutive_connect = 2) {
    cfg.outlier_detection.enabled = true;
    cfg.outlier_detection.consecutive_5xx = consecutive_5xx;
    cfg.outlier_detection.consecutive_connect_failures = consecutive_connect;
    cfg.outlier_detection.base_ejection_ms = 1000;
    cfg.outlier_detection.max_ejection_ms = 2500;
    cfg.outlier_detection.max_ejection_percent = 50;
  }

  config::Cluster cfg;
  ClusterStats stats;
  std::deque<HostState> states;  // stable addresses (atomics are not movable)
  std::deque<HostPool> pools;
  std::deque<std::string> ids;
  std::unique_ptr<ClusterRuntime> rt;
  log::Level saved_level = log::Level::Info;
};

TEST_F(ClusterRuntimeTest, RoundRobinOverAllHosts) {
  build(3);
  EXPECT_EQ(rt->size(), 3u);
  EXPECT_EQ(counts(300), (std::vector<int>{100, 100, 100, 0}));
}

TEST_F(ClusterRuntimeTest, WeightsRespected) {
  build(2, {}, {3, 1});
  EXPECT_EQ(counts(400), (std::vector<int>{300, 100, 0}));
}

TEST_F(ClusterRuntimeTest, EmptyClusterOrNoPolicyGivesMinusOne) {
  build(0);
  EXPECT_EQ(pick(), -1);
  config::Cluster other;
  ClusterRuntime none(other, &stats, nullptr);
  EXPECT_EQ(none.choose(kNow, lb::PickContext{}), -1);
}

TEST_F(ClusterRuntimeTest, UnhealthyHostSkipped) {
  build(3);
  states[1].healthy.store(false);
  EXPECT_EQ(counts(100)[1], 0);
  states[1].healthy.store(true);
  EXPECT_GT(counts(30)[1], 0);
}

TEST_F(ClusterRuntimeTest, DrainingAndDisabledHostsSkipped) {
  build(3);
  states[0].admin.store(static_cast<uint8_t>(AdminState::Draining));
  states[2].admin.store(static_cast<uint8_t>(AdminState::Disabled));
  EXPECT_EQ(counts(50), (std::vector<int>{0, 50, 0, 0}));
  states[0].admin.store(static_cast<uint8_t>(AdminState::Enabled));
  auto c = counts(50);
  EXPECT_GT(c[0], 0);
  EXPECT_EQ(c[2], 0);
}

TEST_F(ClusterRuntimeTest, EjectedUntilInTheFutureSkipped) {
  build(2);
  states[0].ejected_until_ms.store(kNow + 500);
  EXPECT_EQ(counts(20, kNow), (std::vector<int>{0, 20, 0}));
  EXPECT_EQ(counts(20, kNow + 499), (std::vector<int>{0, 20, 0}));
  // Available again once the ejection time is reached.
  EXPECT_GT(counts(20, kNow + 500)[0], 0);
}

TEST_F(ClusterRuntimeTest, AllDownGivesMinusOneAndFlagsTheCluster) {
  build(2);
  states[0].healthy.store(false);
  states[1].admin.store(static_cast<uint8_t>(AdminState::Disabled));
  EXPECT_EQ(pick(), -1);
  EXPECT_TRUE(stats.all_down.load());
  states[1].admin.store(static_cast<uint8_t>(AdminState::Enabled));
  EXPECT_EQ(pick(), 1);
  EXPECT_FALSE(stats.all_down.load());
}

TEST_F(ClusterRuntimeTest, ExcludeAvoidsAHostWhenAnotherIsAvailable) {
  build(3);
  EXPECT_EQ(counts(30, kNow, 1)[1], 0);
  states[0].healthy.store(false);
  states[2].healthy.store(false);
  EXPECT_EQ(counts(5, kNow, 1)[1], 5);  // the only one left
}

TEST_F(ClusterRuntimeTest, BackupsOnlyWhenEveryPrimaryIsDown) {
  build(4, {2, 3});
  auto c = counts(100);
  EXPECT_EQ(c[0] + c[1], 100);
  EXPECT_EQ(c[2] + c[3], 0);

  states[0].healthy.store(false);  // one primary left: still no backup
  c = counts(100);
  EXPECT_EQ(c, (std::vector<int>{0, 100, 0, 0, 0}));

  states[1].ejected_until_ms.store(kNow + 1000);  // every primary down: backups
  c = counts(100);
  EXPECT_EQ(c[0] + c[1], 0);
  EXPECT_EQ(c[2], 50);
  EXPECT_EQ(c[3], 50);

  states[2].admin.store(static_cast<uint8_t>(AdminState::Disabled));  // unavailable backup
  EXPECT_EQ(counts(10), (std::vector<int>{0, 0, 0, 10, 0}));

  states[3].healthy.store(false);  // nothing left
  EXPECT_EQ(pick(), -1);

  states[0].healthy.store(true);  // a primary is back: backups unused again
  EXPECT_EQ(counts(10), (std::vector<int>{10, 0, 0, 0, 0}));
  // The other primary's ejection ends.
  c = counts(100, kNow + 1000);
  EXPECT_EQ(c[0], 50);
  EXPECT_EQ(c[1], 50);
}

TEST_F(ClusterRuntimeTest, SlowStartRampsTheEffectiveWeight) {
  cfg.slow_start_ms = 10000;
  build(2);
  states[1].available_since_ms.store(kNow);  // host 1 just became available
  // First 10% of the window: one pick per ms.
  int early = 0, early_total = 0;
  for (uint64_t t = 0; t < 1000; ++t) {
    int h = pick(kNow + t);
    ASSERT_GE(h, 0);
    early += h == 1;
    ++early_total;
  }
  // Second half of the window.
  int mid = 0;
  for (uint64_t t = 5000; t < 6000; ++t) mid += pick(kNow + t) == 1;
  // After the window: equal weights.
  int late = 0;
  for (uint64_t t = 10000; t < 11000; ++t) late += pick(kNow + t) == 1;
  // Weight 10%..19% of its full value against 100%: about 13% of the picks.
  EXPECT_GT(early, 50);
  EXPECT_LT(early, 200);
  EXPECT_GT(mid, early);
  EXPECT_LT(mid, late);
  EXPECT_NEAR(late, 500, 10);
  EXPECT_EQ(early_total, 1000);
}

TEST_F(ClusterRuntimeTest, SlowStartOffMeansFullWeightAtOnce) {
  build(2);
  states[1].available_since_ms.store(kNow);
  EXPECT_EQ(counts(100, kNow), (std::vector<int>{50, 50, 0}));
}

TEST_F(ClusterRuntimeTest, OutlierEjectsAfterConsecutive5xx) {
  enableOutlierDetection(3);
  build(4);
  fail5xx(0, 2);
  EXPECT_FALSE(ejected(0));
  fail5xx(0, 1);
  EXPECT_TRUE(ejected(0));
  EXPECT_EQ(states[0].ejected_until_ms.load(), kNow + 1000);
  EXPECT_EQ(states[0].ejections.load(), 1u);
  EXPECT_EQ(states[0].consecutive_5xx.load(), 0u);
  EXPECT_EQ(counts(30, kNow + 999)[0], 0);
  EXPECT_GT(counts(30, kNow + 1000)[0], 0);
}

TEST_F(ClusterRuntimeTest, OutlierEjectsAfterConsecutiveConnectFailures) {
  enableOutlierDetection(3, 2);
  build(2);
  failConnect(1, 1);
  EXPECT_FALSE(ejected(1));
  failConnect(1, 1);
  EXPECT_TRUE(ejected(1));
  EXPECT_EQ(counts(20), (std::vector<int>{20, 0, 0}));
}

TEST_F(ClusterRuntimeTest, OutlierDetectionDisabledNeverEjects) {
  build(2);
  fail5xx(0, 100);
  failConnect(0, 100);
  EXPECT_FALSE(ejected(0));
  EXPECT_EQ(states[0].ejections.load(), 0u);
}

TEST_F(ClusterRuntimeTest, SuccessResetsCounters) {
  enableOutlierDetection(3, 3);
  build(4);
  fail5xx(0, 2);
  failConnect(0, 2);
  rt->recordOutcome(0, false, 200, kNow);
  EXPECT_EQ(states[0].consecutive_5xx.load(), 0u);
  EXPECT_EQ(states[0].consecutive_connect_failures.load(), 0u);
  fail5xx(0, 2);
  rt->recordOutcome(0, false, 404, kNow);  // a 4xx is the backend working
  fail5xx(0, 2);
  failConnect(0, 2);
  rt->recordOutcome(0, false, 304, kNow);
  failConnect(0, 2);
  EXPECT_FALSE(ejected(0));
  EXPECT_EQ(states[0].ejections.load(), 0u);
}

TEST_F(ClusterRuntimeTest, RespectsMaxEjectionPercent) {
  enableOutlierDetection(1);
  build(4);  // 50% of 4: at most 2 ejected at a time
  fail5xx(0, 1);
  fail5xx(1, 1);
  fail5xx(2, 1);
  EXPECT_TRUE(ejected(0));
  EXPECT_TRUE(ejected(1));
  EXPECT_FALSE(ejected(2));
  EXPECT_EQ(states[2].ejections.load(), 0u);
  auto c = counts(40);
  EXPECT_EQ(c[0] + c[1], 0);
  EXPECT_EQ(c[2] + c[3], 40);
  // Once the first ejections end, the next failure may eject host 2.
  fail5xx(2, 1, kNow + 1000);
  EXPECT_TRUE(ejected(2, kNow + 1000));
}

TEST_F(ClusterRuntimeTest, MaxEjectionPercentOfOneHostCluster) {
  enableOutlierDetection(1);
  build(1);
  fail5xx(0, 5);
  EXPECT_FALSE(ejected(0));  // 100% of the cluster > 50%
  EXPECT_EQ(pick(), 0);
}

TEST_F(ClusterRuntimeTest, EjectionTimeGrowsAndIsCapped) {
  enableOutlierDetection(1);
  build(2);
  uint64_t now = kNow;
  const uint64_t expected[] = {1000, 2000, 2500, 2500};
  for (uint64_t want : expected) {
    fail5xx(0, 1, now);
    ASSERT_TRUE(ejected(0, now));
    EXPECT_EQ(states[0].ejected_until_ms.load() - now, want);
    now = states[0].ejected_until_ms.load();  // ejection over
    EXPECT_FALSE(ejected(0, now));
  }
  EXPECT_EQ(states[0].ejections.load(), 4u);
}

TEST_F(ClusterRuntimeTest, FailuresWhileEjectedDoNotExtendTheEjection) {
  enableOutlierDetection(1);
  build(2);
  fail5xx(0, 1);
  const uint64_t until = states[0].ejected_until_ms.load();
  fail5xx(0, 3, kNow + 10);  // late responses from requests started before the ejection
  EXPECT_EQ(states[0].ejected_until_ms.load(), until);
  EXPECT_EQ(states[0].ejections.load(), 1u);
}

TEST_F(ClusterRuntimeTest, EjectedHostSlowStartsAfterwards) {
  enableOutlierDetection(1);
  cfg.slow_start_ms = 10000;
  build(2);
  fail5xx(1, 1);
  const uint64_t back = states[1].ejected_until_ms.load();
  EXPECT_EQ(states[1].available_since_ms.load(), back);
  int early = 0;
  for (uint64_t t = 0; t < 1000; ++t) early += pick(back + t) == 1;
  EXPECT_LT(early, 200);
  EXPECT_GT(early, 50);
}

TEST_F(ClusterRuntimeTest, FindSticky) {
  build(3);
  EXPECT_EQ(rt->findSticky("id1", kNow), 1);
  EXPECT_EQ(rt->findSticky("id2", kNow), 2);
  EXPECT_EQ(rt->findSticky("nope", kNow), -1);
  EXPECT_EQ(rt->findSticky("", kNow), -1);
  states[1].healthy.store(false);
  EXPECT_EQ(rt->findSticky("id1", kNow), -1);
  states[1].healthy.store(true);
  states[1].ejected_until_ms.store(kNow + 10);
  EXPECT_EQ(rt->findSticky("id1", kNow), -1);
  EXPECT_EQ(rt->findSticky("id1", kNow + 10), 1);
  states[2].admin.store(static_cast<uint8_t>(AdminState::Draining));
  EXPECT_EQ(rt->findSticky("id2", kNow), -1);
}

TEST_F(ClusterRuntimeTest, RequestAccounting) {
  build(2);
  rt->onRequestStart(0);
  rt->onRequestStart(0);
  EXPECT_EQ(rt->host(0).active_requests, 2u);
  EXPECT_EQ(states[0].in_flight.load(), 2);
  EXPECT_EQ(states[0].requests.load(), 2u);
  rt->onRequestEnd(0, 1500, true);
  rt->onRequestEnd(0, 1500, false);
  EXPECT_EQ(rt->host(0).active_requests, 0u);
  EXPECT_EQ(states[0].in_flight.load(), 0);
  EXPECT_EQ(states[0].failures.load(), 1u);
  EXPECT_EQ(states[0].requests.load(), 2u);
  rt->onRequestEnd(0, 1, true);  // unbalanced end: the per-worker count does not wrap
  EXPECT_EQ(rt->host(0).active_requests, 0u);
}

}  // namespace
}  // namespace portico::upstream
