#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "upstream/lb/policy.h"

namespace portico::upstream::lb {
namespace {

const std::vector<std::string> kAll = {"round_robin", "least_conn", "hash",
                                       "random",      "p2c",        "least_time"};

TEST(LbRegistry, ListsAllSixPolicies) {
  std::vector<std::string> names = policyNames();
  std::sort(names.begin(), names.end());
  std::vector<std::string> expected = kAll;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
}

TEST(LbRegistry, CreatesEveryPolicyByName) {
  for (const std::string& name : kAll) {
    config::LoadBalancing cfg;
    cfg.policy = name;
    EXPECT_NE(createPolicy(cfg, 3), nullptr) << name;
  }
}

TEST(LbRegistry, UnknownNameGivesNullptr) {
  config::LoadBalancing cfg;
  cfg.policy = "fastest";
  EXPECT_EQ(createPolicy(cfg, 3), nullptr);
  cfg.policy = "";
  EXPECT_EQ(createPolicy(cfg, 3), nullptr);
}

TEST(LbRegistry, DuplicateRegistrationIsRefused) {
  EXPECT_FALSE(registerPolicy("round_robin", [](const config::LoadBalancing&, size_t) {
    return std::unique_ptr<Policy>();
  }));
}

TEST(LbHashKey, StableAndDistinct) {
  EXPECT_EQ(hashKey("user-42"), hashKey(std::string("user-42")));
  EXPECT_NE(hashKey("user-42"), hashKey("user-43"));
  EXPECT_NE(hashKey(""), hashKey("a"));
  // Every length class (0, 1-3, 4-16, 17-32, > 32) gives distinct values for distinct keys.
  std::set<uint64_t> seen;
  std::string key;
  for (int len = 0; len < 100; ++len) {
    EXPECT_TRUE(seen.insert(hashKey(key)).second) << len;
    key.push_back(static_cast<char>('a' + len % 26));
  }
}

TEST(LbHashKey, DependsOnEveryByte) {
  const std::string base(70, 'x');
  std::set<uint64_t> seen{hashKey(base)};
  for (size_t i = 0; i < base.size(); ++i) {
    std::string k = base;
    k[i] = 'y';
    EXPECT_TRUE(seen.insert(hashKey(k)).second) << i;
  }
}

TEST(LbHashKey, SpreadsEvenlyOverBuckets) {
  // 100k sequential keys over 10 buckets: each within 3% of the mean.
  std::vector<int> buckets(10);
  for (int i = 0; i < 100000; ++i) buckets[hashKey("user:" + std::to_string(i)) % 10]++;
  for (int b : buckets) EXPECT_NEAR(b, 10000, 300);
  // And the high bits too.
  std::vector<int> high(16);
  for (int i = 0; i < 100000; ++i) high[hashKey(std::to_string(i)) >> 60]++;
  for (int b : high) EXPECT_NEAR(b, 6250, 300);
}

}  // namespace
}  // namespace portico::upstream::lb
