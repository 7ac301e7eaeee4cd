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

// What the integration does while a host is in slow start: its weight moves, so rebuild()
// runs before every pick.
void benchRampingPick(benchmark::State& state, const std::string& name) {
  std::vector<HostView> hosts = makeHosts(true);
  for (HostView& h : hosts) h.weight *= 100;  // the integration's scale
  portico::config::LoadBalancing cfg;
  cfg.policy = name;
  std::unique_ptr<Policy> policy = createPolicy(cfg, hosts.size());
  uint64_t seed = 5;
  uint32_t step = 0;
  for (auto _ : state) {
    // A step every pick (rebuild every pick); hash's table keeps its quantized weights and is
    // not refilled (BM_LbHashRebuild measures the ~64 refills of a whole ramp).
    hosts[0].weight = 100 + (step++ % 4);
    policy->rebuild(hosts);
    PickContext ctx;
    ctx.random = nextRandom(seed);
    ctx.hash = ctx.random;
    ctx.has_hash = true;
    benchmark::DoNotOptimize(policy->pick(hosts, ctx));
  }
}
void BM_LbSlowStartRoundRobin(benchmark::State& s) {
  benchRampingPick(s, "round_robin");
}
void BM_LbSlowStartLeastConn(benchmark::State& s) {
  benchRampingPick(s, "least_conn");
}
void BM_LbSlowStartHash(benchmark::State& s) {
  benchRampingPick(s, "hash");
}
void BM_LbSlowStartRandom(benchmark::State& s) {
  benchRampingPick(s, "random");
}
BENCHMARK(BM_LbSlowStartRoundRobin);
BENCHMARK(BM_LbSlowStartLeastConn);
BENCHMARK(BM_LbSlowStartHash);
BENCHMARK(BM_LbSlowStartRandom);

// hashKey over a typical header value.
void BM_LbHashKey(benchmark::State& state) {
  const std::string key = "user-8f2c1e0a9b7d4c3e";
  for (auto _ : state) benchmark::DoNotOptimize(hashKey(key));
}
BENCHMARK(BM_LbHashKey);

}  // namespace
