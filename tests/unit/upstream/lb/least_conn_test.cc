#include "upstream/lb/least_conn/least_conn.h"

#include <gtest/gtest.h>

#include <vector>

#include "upstream/lb/p2c/p2c.h"

namespace portico::upstream::lb {
namespace {

// The obvious implementation: strict minimum of (a + 1) / w by cross-multiplication, scanning
// from `start` round the ring.
int reference(const std::vector<HostView>& hosts, size_t start) {
  int best = -1;
  for (size_t k = 0; k < hosts.size(); ++k) {
    const size_t i = (start + k) % hosts.size();
    if (!hosts[i].available) continue;
    if (best < 0 || (uint64_t{hosts[i].active_requests} + 1) * hosts[best].weight <
                        (uint64_t{hosts[best].active_requests} + 1) * hosts[i].weight) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

// Runs `picks` picks over hosts with random loads; calls check(picked, expected_by_reference).
template <typename Check>
void compareWithReference(std::vector<HostView> hosts, int picks, Check check) {
  LeastConn lc(hosts.size());
  lc.rebuild(hosts);
  uint64_t seed = 77;
  size_t start = 0;
  for (int n = 0; n < picks; ++n) {
    for (auto& h : hosts) h.active_requests = static_cast<uint32_t>(nextRandom(seed) % 6);
    const int expected = reference(hosts, start);
    const int got = lc.pick(hosts, {});
    check(hosts, got, expected);
    start = static_cast<size_t>(got) + 1;
  }
}

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

TEST(LbLeastConn, MatchesTheReferenceScanOverManyHosts) {
  // 37 hosts: exercises the 8-wide, 4-wide and scalar parts of the scan; weights 1..6 have a
  // small lcm, so the result must be exactly the reference's (ties included).
  std::vector<HostView> hosts(37);
  for (size_t i = 0; i < hosts.size(); ++i) hosts[i].weight = 1 + static_cast<uint32_t>(i % 6);
  hosts[5].available = hosts[36].available = false;
  compareWithReference(hosts, 2000, [](const std::vector<HostView>&, int got, int expected) {
    ASSERT_EQ(got, expected);
  });
}

TEST(LbLeastConn, LargeLcmWeightsStillPickALeastLoadedHost) {
  // Prime weights near 1000: lcm far above kMaxExactLcm, approximate scales.
  std::vector<HostView> hosts(23);
  const uint32_t primes[] = {997, 991, 983, 977, 971, 967, 953, 947, 941, 937, 929, 919};
  for (size_t i = 0; i < hosts.size(); ++i) hosts[i].weight = primes[i % 12];
  compareWithReference(hosts, 2000, [](const std::vector<HostView>& h, int got, int expected) {
    ASSERT_GE(got, 0);
    // Same load per weight as the reference's choice: (a+1)*w' == (a'+1)*w.
    EXPECT_EQ((uint64_t{h[got].active_requests} + 1) * h[expected].weight,
              (uint64_t{h[expected].active_requests} + 1) * h[got].weight);
  });
}

}  // namespace
}  // namespace portico::upstream::lb
