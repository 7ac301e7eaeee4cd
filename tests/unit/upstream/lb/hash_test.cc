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

TEST(LbHash, ScaledWeightsGiveTheSameTable) {
  // The integration multiplies weights by 100; only ratios matter.
  std::vector<HostView> a(3), b(3);
  for (uint32_t i = 0; i < 3; ++i) {
    a[i].weight = i + 1;
    b[i].weight = (i + 1) * 100;
  }
  MaglevHash ma(3), mb(3);
  ma.rebuild(a);
  mb.rebuild(b);
  for (uint64_t k : keys(5000)) EXPECT_EQ(ma.pick(a, keyed(k)), mb.pick(b, keyed(k)));
}

TEST(LbHash, SmallWeightStepsKeepTheTable) {
  // Slow start moves a weight a little at a time; steps under 1/64 of the largest weight
  // (quantization) leave every key where it was.
  std::vector<HostView> hosts(5);
  for (auto& h : hosts) h.weight = 6400;
  hosts[2].weight = 3200;
  MaglevHash mh(hosts.size());
  mh.rebuild(hosts);
  const std::vector<uint64_t> ks = keys(5000);
  std::vector<int> before;
  for (uint64_t k : ks) before.push_back(mh.pick(hosts, keyed(k)));
  for (int step = 0; step < 40; ++step) {
    hosts[2].weight = 3200 + step;  // +39 < 100/2: rounds to the same level
    mh.rebuild(hosts);
  }
  for (size_t i = 0; i < ks.size(); ++i) EXPECT_EQ(mh.pick(hosts, keyed(ks[i])), before[i]);
  // A real change (half to full weight: 11% -> 20% of keys) moves keys, nearly all to host 2
  // (Maglev is not perfectly minimal: a few move between other hosts).
  hosts[2].weight = 6400;
  mh.rebuild(hosts);
  int moved = 0, to_host_2 = 0;
  for (size_t i = 0; i < ks.size(); ++i) {
    const int h = mh.pick(hosts, keyed(ks[i]));
    moved += h != before[i];
    to_host_2 += h != before[i] && h == 2;
  }
  EXPECT_GT(moved, 350);
  EXPECT_GE(to_host_2 * 10, moved * 9);
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

// Maps each key to the identity (host key) of the host it lands on, for a list of identities.
std::vector<uint64_t> identityMapping(const std::vector<uint64_t>& ids,
                                      const std::vector<uint64_t>& ks) {
  std::vector<HostView> hosts(ids.size());
  MaglevHash mh(hosts.size());
  mh.setHostKeys(ids);
  mh.rebuild(hosts);
  std::vector<uint64_t> out;
  for (uint64_t k : ks) out.push_back(ids[mh.pick(hosts, keyed(k))]);
  return out;
}

std::vector<uint64_t> serverIds(int n) {
  std::vector<uint64_t> ids;
  for (int i = 0; i < n; ++i) ids.push_back(hashKey("10.0.0." + std::to_string(i) + ":80"));
  return ids;
}

TEST(LbHash, RemovingAServerFromTheListKeepsTheOthers) {
  // With host keys, deleting a server from the middle of the config (indices after it shift)
  // moves about 1/N of the keys, not most of them.
  const std::vector<uint64_t> ks = keys(100000);
  const std::vector<uint64_t> ids = serverIds(10);
  std::vector<uint64_t> fewer = ids;
  fewer.erase(fewer.begin() + 3);
  const std::vector<uint64_t> before = identityMapping(ids, ks);
  const std::vector<uint64_t> after = identityMapping(fewer, ks);
  int moved = 0;
  for (size_t i = 0; i < ks.size(); ++i) moved += before[i] != after[i];
  EXPECT_LE(moved, 12000);
}

TEST(LbHash, ReorderingTheListChangesNothing) {
  const std::vector<uint64_t> ks = keys(20000);
  const std::vector<uint64_t> ids = serverIds(7);
  std::vector<uint64_t> reversed(ids.rbegin(), ids.rend());
  EXPECT_EQ(identityMapping(ids, ks), identityMapping(reversed, ks));
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
