#include "upstream/lb/least_conn/least_conn.h"

#include <gtest/gtest.h>

#include <vector>

namespace portico::upstream::lb {
namespace {

TEST(LbLeastConn, PicksTheLeastLoaded) {
  std::vector<HostView> hosts(4);
  hosts[0].active_requests = 5;
  hosts[1].active_requests = 2;
  hosts[2].active_requests = 7;
  hosts[3].active_requests = 3;
  LeastConn lc(hosts.size());
  lc.rebuild(hosts);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(lc.pick(hosts, {}), 1);
}

TEST(LbLeastConn, RespectsWeights) {
  // (active + 1) / weight: host 0 -> 5/4 = 1.25, host 1 -> 2/1 = 2.
  std::vector<HostView> hosts(2);
  hosts[0].weight = 4;
  hosts[0].active_requests = 4;
  hosts[1].active_requests = 1;
  LeastConn lc(hosts.size());
  lc.rebuild(hosts);
  EXPECT_EQ(lc.pick(hosts, {}), 0);
  // Host 0 at 8/4 = 2 ties with host 1: both take turns.
  hosts[0].active_requests = 7;
  const int a = lc.pick(hosts, {});
  const int b = lc.pick(hosts, {});
  EXPECT_NE(a, b);
}

TEST(LbLeastConn, LoadFollowsWeights) {
  // Every pick adds a request: in flight counts end proportional to weights 1:2:3.
  std::vector<HostView> hosts(3);
  for (uint32_t i = 0; i < 3; ++i) hosts[i].weight = i + 1;
  LeastConn lc(hosts.size());
  lc.rebuild(hosts);
  for (int i = 0; i < 600; ++i) hosts[lc.pick(hosts, {})].active_requests++;
  EXPECT_NEAR(hosts[0].active_requests, 100, 1);
  EXPECT_NEAR(hosts[1].active_requests, 200, 1);
  EXPECT_NEAR(hosts[2].active_requests, 300, 1);
}

TEST(LbLeastConn, TiesRotate) {
  std::vector<HostView> hosts(4);
  LeastConn lc(hosts.size());
  lc.rebuild(hosts);
  std::vector<int> seq;
  for (int i = 0; i < 8; ++i) seq.push_back(lc.pick(hosts, {}));
  EXPECT_EQ(seq, (std::vector<int>{0, 1, 2, 3, 0, 1, 2, 3}));
  // Only the tied least loaded hosts rotate.
  hosts[1].active_requests = 1;
  seq.clear();
  for (int i = 0; i < 6; ++i) seq.push_back(lc.pick(hosts, {}));
  EXPECT_EQ(seq, (std::vector<int>{0, 2, 3, 0, 2, 3}));
}

TEST(LbLeastConn, ExcludeGivesTheNextLeastLoaded) {
  std::vector<HostView> hosts(3);
  hosts[0].active_requests = 0;
  hosts[1].active_requests = 5;
  hosts[2].active_requests = 2;
  LeastConn lc(hosts.size());
  lc.rebuild(hosts);
  PickContext ctx;
  ctx.exclude = 0;
  EXPECT_EQ(lc.pick(hosts, ctx), 2);
}

TEST(LbLeastConn, SkipsUnavailableEvenIfIdle) {
  std::vector<HostView> hosts(3);
  hosts[0].available = false;
  hosts[1].active_requests = 9;
  hosts[2].active_requests = 3;
  LeastConn lc(hosts.size());
  lc.rebuild(hosts);
  EXPECT_EQ(lc.pick(hosts, {}), 2);
}

}  // namespace
}  // namespace portico::upstream::lb
