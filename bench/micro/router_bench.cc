// Micro-benchmark of route matching: one Router::match among 10 routes and among 10,000
// (issue 6 requires 10,000 to cost no more than 2x 10). Both tables have the same shape —
// exact hosts with ten path prefixes each (every third route also needs a header), a wildcard
// host and an any-host fallback — and both see 64 realistic requests in rotation, each with a
// dozen header fields, so only the table size differs.
#include <benchmark/benchmark.h>

#include <deque>
#include <string>
#include <vector>

#include "router/condition_factory.h"
#include "router/router.h"

namespace {

using namespace portico;

std::vector<config::Route> makeRoutes(size_t n) {
  std::vector<config::Route> routes;
  std::string error;
  auto canary = router::makeField(router::Condition::Kind::Header, "x-canary",
                                  router::TextOp::Present, "", &error);
  for (size_t i = 0; i + 2 < n; ++i) {
    config::Route r;
    r.match.host = "svc" + std::to_string(i / 10) + ".example.com";
    r.match.path_prefix = "/api/v" + std::to_string(i % 10) + "/items";
    if (i % 3 == 0) r.match.condition = canary;
    r.cluster = "c";
    routes.push_back(r);
  }
  config::Route wild;
  wild.match.host = "*.example.com";
  wild.cluster = "c";
  routes.push_back(wild);
  config::Route any;
  any.cluster = "c";
  routes.push_back(any);
  return routes;
}

// Owns the strings and header arrays of the requests.
struct Requests {
  std::deque<std::string> text;
  std::vector<std::vector<http1::Header>> headers;
  std::vector<router::RequestView> views;
};

Requests makeRequests(size_t routes) {
  Requests rq;
  const size_t hosts = routes / 10 == 0 ? 1 : routes / 10;
  for (size_t k = 0; k < 64; ++k) {
    auto keep = [&](std::string s) -> std::string_view { return rq.text.emplace_back(s); };
    const size_t h = (k * 7919) % hosts;
    std::vector<http1::Header> hs;
    auto add = [&](std::string_view name, std::string_view value) {
      http1::Header x;
      x.name = name;
      x.value = value;
      hs.push_back(x);
    };
    add("Host", "svc" + std::to_string(h) + ".example.com");
    add("User-Agent",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36");
    add("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    add("Accept-Language", "en-US,en;q=0.9");
    add("Accept-Encoding", "gzip, deflate, br");
    add("Cookie", "session=abcdef0123456789; theme=dark");
    add("Referer", "https://svc1.example.com/");
    add("Cache-Control", "no-cache");
    add("Connection", "keep-alive");
    add("Sec-Fetch-Mode", "navigate");
    add("Sec-Fetch-Site", "same-origin");
    if (k % 2) add("X-Canary", "1");
    rq.headers.push_back(hs);
    router::RequestView v;
    v.host = keep("svc" + std::to_string(h) + ".example.com");
    v.target = keep("/api/v" + std::to_string(k % 10) + "/items/" + std::to_string(k * 31) +
                    "?page=2&sort=asc");
    v.method = "GET";
    rq.views.push_back(v);
  }
  for (size_t k = 0; k < rq.views.size(); ++k) {
    rq.views[k].headers = rq.headers[k].data();
    rq.views[k].header_count = static_cast<uint32_t>(rq.headers[k].size());
  }
  return rq;
}

void BM_RouterMatch(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const router::Router r =
      router::Router::build(makeRoutes(n), [](const std::string&) { return 0u; });
  const Requests rq = makeRequests(n);
  size_t i = 0, matched = 0;
  for (auto _ : state) {
    const router::CompiledRoute* c = r.match(rq.views[i++ & 63]);
    matched += c != nullptr;
    benchmark::DoNotOptimize(c);
  }
  if (matched != static_cast<size_t>(state.iterations())) state.SkipWithError("a request missed");
  state.counters["routes"] = static_cast<double>(r.size());
}
BENCHMARK(BM_RouterMatch)->Arg(10)->Arg(10000);

void BM_RouterBuild(benchmark::State& state) {
  const std::vector<config::Route> routes = makeRoutes(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    router::Router r = router::Router::build(routes, [](const std::string&) { return 0u; });
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_RouterBuild)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
