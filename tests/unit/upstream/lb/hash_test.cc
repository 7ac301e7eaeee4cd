#include "upstream/lb/hash/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portico::upstream::lb {
namespace {

PickContext keyed(uint64_t hash, int exclude = -1) {
  PickContext ctx;
  ctx.hash = hash;
  ctx.has_hash = true;
  ctx.exclude = exclude;
  return ctx;
}

std::vector<uint64_t> keys(int n) {
  std::vector<uint64_t> k;
  k.reserve(n);
  for (int i = 0; i < n; ++i) k.push_back(hashKey("user-" + std::to_string(i)));
  return k;
}

TEST(LbHash, SameKeySameHost) {
  std::vector<HostView> hosts(10);
  MaglevHash mh(hosts.size());
  mh.rebuild(hosts);
  for (uint64_t k : keys(1000)) {
    const int h = mh.pick(hosts, keyed(k));
    for (int j = 0; j < 3; ++j) EXPECT_EQ(mh.pick(hosts, keyed(k)), h);
  }
}

TEST(LbHash, SameTableOnEveryInstance) {
  std::vector<HostView> hosts(7);
  MaglevHash a(hosts.size()), b(hosts.size());
  a.rebuild(hosts);
  b.rebuild(hosts);
  for (uint64_t k : keys(2000)) EXPECT_EQ(a.pick(hosts, keyed(k)), b.pick(hosts, keyed(k)));
}

TEST(LbHash, KeysSpreadEvenly) {
  std::vector<HostView> hosts(10);
  MaglevHash mh(hosts.size());
  mh.rebuild(hosts);
  std::vector<int> count(10);
  for (uint64_t k : keys(100000)) count[mh.pick(hosts, keyed(k))]++;
  for (int c : count) EXPECT_NEAR(c, 10000, 500);
}

TEST(LbHash, WeightsShareTheTable) {
  std::vector<HostView> hosts(3);
  hosts[0].weight = 1;
  hosts[1].weight = 2;
  hosts[2].weight = 3;
  MaglevHash mh(hosts.size());
  mh.rebuild(hosts);
  std::vector<int> count(3);
  for (uint64_t k : keys(60000)) count[mh.pick(hosts, keyed(k))]++;
  EXPECT_NEAR(count[0], 10000, 600);
  EXPECT_NEAR(count[1], 20000, 600);
  EXPECT_NEAR(count[2], 30000, 600);
}

TEST(LbHash, RemovingOneOfTenRemapsAtMostTwelvePercent) {
  std::vector<HostView> hosts(10);
  MaglevHash mh(hosts.size());
  mh.rebuild(hosts);
  const std::vector<uint64_t> ks = keys(100000);
  std::vector<int> before;
  for (uint64_t k : ks) before.push_back(mh.pick(hosts, keyed(k)));
  hosts[3].available = false;
  mh.rebuild(hosts);
  int moved = 0;
  for (size_t i = 0; i < ks.size(); ++i) {
    const int h = mh.pick(hosts, keyed(ks[i]));
    EXPECT_NE(h, 3);
    moved += h != before[i];
  }
  EXPECT_LE(moved, 12000);
  EXPECT_GE(moved, 9000);  // at least the removed host's keys
  // Adding it back restores the original mapping (same table).
  hosts[3].available = true;
  mh.rebuild(hosts);
  for (size_t i = 0; i < ks.size(); ++i) EXPECT_EQ(mh.pick(hosts, keyed(ks[i])), before[i]);
}

TEST(LbHash, UnavailableBeforeRebuildMovesOnlyItsOwnKeys) {
  std::vector<HostView> hosts(10);
  MaglevHash mh(hosts.size());
  mh.rebuild(hosts);
  const std::vector<uint64_t> ks = keys(20000);
  std::vector<int> before;
  for (uint64_t k : ks) before.push_back(mh.pick(hosts, keyed(k)));
  hosts[5].available = false;  // no rebuild yet: picks walk forward in the table
  std::vector<int> spread(10);
  for (size_t i = 0; i < ks.size(); ++i) {
    const int h = mh.pick(hosts, keyed(ks[i]));
    ASSERT_NE(h, 5);
    if (before[i] != 5) {
      EXPECT_EQ(h, before[i]);
    } else {
      spread[h]++;
      EXPECT_EQ(mh.pick(hosts, keyed(ks[i])), h);  // still consistent
    }
  }
  // Host 5's keys spread over the other nine.
  for (int i = 0; i < 10; ++i) {
    if (i != 5) {
      EXPECT_GT(spread[i], 100) << i;
    }
  }
}

TEST(LbHash, ExcludeMovesTheKeyElsewhere) {
  std::vector<HostView> hosts(4);
  MaglevHash mh(hosts.size());
  mh.rebuild(hosts);
  for (uint64_t k : keys(500)) {
    const int h = mh.pick(hosts, keyed(k));
    const int other = mh.pick(hosts, keyed(k, h));
    EXPECT_NE(other, h);
    EXPECT_GE(other, 0);
  }
}

TEST(LbHash, LookupIsTheTableSlot) {
  // O(1): the pick is the table entry at hash % size when that host is usable.
  std::vector<HostView> hosts(10);
  MaglevHash mh(hosts.size());
  mh.rebuild(hosts);
  for (uint64_t k : keys(1000)) {
    EXPECT_EQ(static_cast<uint32_t>(mh.pick(hosts, keyed(k))), mh.tableHost(k));
  }
}

TEST(LbHash, WithoutKeyFallsBackToRoundRobin) {
  std::vector<HostView> hosts(3);
  MaglevHash mh(hosts.size());
  mh.rebuild(hosts);
  std::vector<int> seq;
  for (int i = 0; i < 6; ++i) seq.push_back(mh.pick(hosts, {}));
  EXPECT_EQ(seq, (std::vector<int>{0, 1, 2, 0, 1, 2}));
}

}  // namespace
}  // namespace portico::upstream::lb
