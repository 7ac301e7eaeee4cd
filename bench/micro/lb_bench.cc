// Micro-benchmarks for the load-balancing policies: one pick over 100 hosts. Load-aware policies
// see in-flight counts move: each pick adds a request to the chosen host and one request
// completes elsewhere, as on a busy worker.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "upstream/lb/p2c/p2c.h"
#include "upstream/lb/policy.h"

namespace {

using namespace portico::upstream::lb;

constexpr size_t kHosts = 100;

// 100 hosts; weights 1..4 when `weighted`, else all 1; a few requests in flight on each.
std::vector<HostView> makeHosts(bool weighted) {
  std::vector<HostView> hosts(kHosts);
  uint64_t seed = 99;
  for (size_t i = 0; i < kHosts; ++i) {
    hosts[i].weight = weighted ? 1 + static_cast<uint32_t>(i % 4) : 1;
    hosts[i].active_requests = static_cast<uint32_t>(nextRandom(seed) % 8);
  }
  return hosts;
}

void benchPick(benchmark::State& state, const std::string& name, bool weighted, bool load,
               bool keyed = false) {
  std::vector<HostView> hosts = makeHosts(weighted);
  portico::config::LoadBalancing cfg;
  cfg.policy = name;
  std::unique_ptr<Policy> policy = createPolicy(cfg, hosts.size());
  policy->rebuild(hosts);
  uint64_t seed = 12345;
  size_t done = 0;
  for (auto _ : state) {
    PickContext ctx;
    ctx.random = nextRandom(seed);
    if (keyed) {
      ctx.hash = ctx.random;
      ctx.has_hash = true;
    }
    const int h = policy->pick(hosts, ctx);
    benchmark::DoNotOptimize(h);
    if (load) {
      hosts[h].active_requests++;
      // One request completes on the next busy host of a rotating cursor.
      do {
        done = done + 1 == kHosts ? 0 : done + 1;
      } while (hosts[done].active_requests == 0);
      hosts[done].active_requests--;
    }
  }
}

void BM_LbRoundRobin(benchmark::State& s) {
  benchPick(s, "round_robin", false, false);
}
void BM_LbRoundRobinWeighted(benchmark::State& s) {
  benchPick(s, "round_robin", true, false);
}
void BM_LbLeastConn(benchmark::State& s) {
  benchPick(s, "least_conn", false, true);
}
void BM_LbLeastConnWeighted(benchmark::State& s) {
  benchPick(s, "least_conn", true, true);
}
void BM_LbHash(benchmark::State& s) {
  benchPick(s, "hash", true, false, true);
}
void BM_LbRandom(benchmark::State& s) {
  benchPick(s, "random", true, false);
}
void BM_LbP2c(benchmark::State& s) {
  benchPick(s, "p2c", true, true);
}
void BM_LbLeastTime(benchmark::State& s) {
  benchPick(s, "least_time", true, true);
}
BENCHMARK(BM_LbRoundRobin);
BENCHMARK(BM_LbRoundRobinWeighted);
BENCHMARK(BM_LbLeastConn);
BENCHMARK(BM_LbLeastConnWeighted);
BENCHMARK(BM_LbHash);
BENCHMARK(BM_LbRandom);
BENCHMARK(BM_LbP2c);
BENCHMARK(BM_LbLeastTime);

// Rebuilding the Maglev table over 100 weighted hosts (on every availability change).
void BM_LbHashRebuild(benchmark::State& state) {
  std::vector<HostView> hosts = makeHosts(true);
  portico::config::LoadBalancing cfg;
  cfg.policy = "hash";
  std::unique_ptr<Policy> policy = createPolicy(cfg, hosts.size());
  size_t flip = 0;
  for (auto _ : state) {
    hosts[flip].available = !hosts[flip].available;
    flip = (flip + 7) % kHosts;
    policy->rebuild(hosts);
  }
}
BENCHMARK(BM_LbHashRebuild)->Unit(benchmark::kMillisecond);

// hashKey over a typical header value.
void BM_LbHashKey(benchmark::State& state) {
  const std::string key = "user-8f2c1e0a9b7d4c3e";
  for (auto _ : state) benchmark::DoNotOptimize(hashKey(key));
}
BENCHMARK(BM_LbHashKey);

}  // namespace
