// Micro-benchmarks for the core pieces on the request path: header lookup, buffers, the block
// pool, routing, the timer wheel and the upstream request head writer.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "buffer/buffer.h"
#include "event/timer_wheel.h"
#include "http/header_id.h"
#include "http/http1/parser.h"
#include "proxy/forwarding.h"
#include "router/router.h"

namespace {

using namespace portico;

constexpr std::string_view kBrowserRequest =
    "GET /search?q=portico+reverse+proxy&lang=en HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=8f2c1e0a9b7d4c3e; theme=dark; consent=yes\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "Sec-Fetch-Site: none\r\n"
    "Sec-Fetch-User: ?1\r\n"
    "\r\n";

std::unique_ptr<http1::RequestHead> parsedBrowserRequest() {
  auto head = std::make_unique<http1::RequestHead>();
  http1::ParseResult r = http1::parseRequestHead(kBrowserRequest, {}, *head);
  if (r.state != http1::ParseState::Done) std::abort();
  return head;
}

// Finds Host by id (interned at parse time) and User-Agent by name (not a well-known id).
void BM_CoreHeaderFindById(benchmark::State& state) {
  auto head = parsedBrowserRequest();
  for (auto _ : state) {
    std::string_view host, ua;
    for (uint32_t i = 0; i < head->header_count; ++i) {
      const http1::Header& h = head->headers[i];
      if (h.id == http::HeaderId::Host)
        host = h.value;
      else if (h.id == http::HeaderId::Other && http::equalsIgnoreCase(h.name, "user-agent"))
        ua = h.value;
    }
    benchmark::DoNotOptimize(host);
    benchmark::DoNotOptimize(ua);
  }
}
BENCHMARK(BM_CoreHeaderFindById);

// Interning every field name of the typical request (what the parser does per field).
void BM_CoreLookupHeaderIdRequest(benchmark::State& state) {
  auto head = parsedBrowserRequest();
  std::vector<std::string_view> names;
  for (uint32_t i = 0; i < head->header_count; ++i) names.push_back(head->headers[i].name);
  for (auto _ : state) {
    for (std::string_view n : names) {
      benchmark::DoNotOptimize(n);
      benchmark::DoNotOptimize(http::lookupHeaderId(n));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(names.size()));
}
BENCHMARK(BM_CoreLookupHeaderIdRequest);

// Appends `size` bytes and consumes them again (the buffer returns to the block start).
void BM_CoreBufferAppendConsume(benchmark::State& state) {
  const auto size = static_cast<uint32_t>(state.range(0));
  buffer::BufferPool pool;
  buffer::Buffer b;
  std::string data(size, 'x');
  for (auto _ : state) {
    uint32_t n = b.append(pool, data.data(), size);
    benchmark::DoNotOptimize(b.data());
    b.consume(n);
  }
  b.release(pool);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * size);
}
BENCHMARK(BM_CoreBufferAppendConsume)->Arg(1024)->Arg(16 * 1024);

// Streaming: appends `size` bytes, consumes half of what is buffered, so the buffer compacts.
void BM_CoreBufferStreamCompact(benchmark::State& state) {
  const auto size = static_cast<uint32_t>(state.range(0));
  buffer::BufferPool pool;
  buffer::Buffer b;
  std::string data(size, 'x');
  for (auto _ : state) {
    b.append(pool, data.data(), size);
    b.consume(b.size() / 2 + 1);
    benchmark::DoNotOptimize(b.data());
  }
  b.release(pool);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * size);
}
BENCHMARK(BM_CoreBufferStreamCompact)->Arg(1024)->Arg(16 * 1024);

void BM_CoreBufferPoolAcquireRelease(benchmark::State& state) {
  buffer::BufferPool pool;
  pool.release(pool.acquire());  // warm: one free block
  for (auto _ : state) {
    char* b = pool.acquire();
    benchmark::DoNotOptimize(b);
    pool.release(b);
  }
}
BENCHMARK(BM_CoreBufferPoolAcquireRelease);

router::Router twentyRoutes() {
  std::vector<config::Route> routes;
  auto add = [&](std::string host, std::string prefix, std::string cluster) {
    config::Route r;
    r.match.host = std::move(host);
    r.match.path_prefix = std::move(prefix);
    r.cluster = std::move(cluster);
    routes.push_back(std::move(r));
  };
  for (int i = 0; i < 6; ++i) add("svc" + std::to_string(i) + ".example.com", "/", "svc");
  for (int i = 0; i < 4; ++i) add("*.tenant" + std::to_string(i) + ".example.com", "/", "tenant");
  const char* prefixes[] = {"/api/v1/users", "/api/v1/orders", "/api/v2", "/api",    "/static/img",
                            "/static",       "/assets",        "/login",  "/search", "/"};
  for (const char* p : prefixes) add("", p, "web");
  return router::Router::build(routes, [](const std::string&) { return 0u; });
}

void BM_CoreRouterMatch20(benchmark::State& state) {
  router::Router r = twentyRoutes();
  if (r.size() != 20) std::abort();
  const std::pair<std::string_view, std::string_view> requests[] = {
      {"www.example.com", "/api/v1/orders/123?expand=items"},
      {"svc4.example.com:8080", "/health"},
      {"a.tenant2.example.com", "/dashboard"},
      {"www.example.com", "/search?q=portico"},
  };
  size_t i = 0;
  for (auto _ : state) {
    const auto& [host, path] = requests[i++ & 3];
    benchmark::DoNotOptimize(r.match(host, path));
  }
}
BENCHMARK(BM_CoreRouterMatch20);

void noop(void*) {}

void BM_CoreTimerArmCancel(benchmark::State& state) {
  event::TimerWheel wheel(1'000'000);
  event::Timer t(noop, nullptr);
  uint64_t delay = 1;
  for (auto _ : state) {
    wheel.arm(t, delay);
    t.cancel();
    delay = delay % 60000 + 97;  // different slots, like per-connection timeouts
  }
}
BENCHMARK(BM_CoreTimerArmCancel);

// Re-arming an armed timer (what a connection does on each read): unlink + link.
void BM_CoreTimerRearm(benchmark::State& state) {
  event::TimerWheel wheel(1'000'000);
  std::vector<std::unique_ptr<event::Timer>> others;
  for (int i = 0; i < 1000; ++i) {
    others.push_back(std::make_unique<event::Timer>(noop, nullptr));
    wheel.arm(*others.back(), static_cast<uint64_t>(i * 37 % 60000 + 1));
  }
  event::Timer t(noop, nullptr);
  uint64_t delay = 10000;
  for (auto _ : state) {
    wheel.arm(t, delay);
    delay = delay == 10000 ? 10001 : 10000;
  }
}
BENCHMARK(BM_CoreTimerRearm);

// Arms a 1 ms timer and advances the wheel by 1 ms so it fires.
void BM_CoreTimerArmAdvance(benchmark::State& state) {
  uint64_t now = 1'000'000;
  event::TimerWheel wheel(now);
  int fired = 0;
  event::Timer t([](void* p) { ++*static_cast<int*>(p); }, &fired);
  for (auto _ : state) {
    wheel.arm(t, 1);
    wheel.advance(++now);
  }
  if (static_cast<int64_t>(fired) != static_cast<int64_t>(state.iterations())) std::abort();
}
BENCHMARK(BM_CoreTimerArmAdvance);

void BM_CoreWriteUpstreamRequestHead(benchmark::State& state) {
  auto head = parsedBrowserRequest();
  proxy::RequestForwardInfo info;
  info.client_ip = "203.0.113.7";
  info.via_name = "portico";
  char buf[8192];
  size_t written = 0;
  for (auto _ : state) {
    proxy::HeadWriter w{buf, buf + sizeof buf};
    proxy::writeUpstreamRequestHead(*head, info, w);
    written = w.written(buf);
    benchmark::DoNotOptimize(buf);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(written));
}
BENCHMARK(BM_CoreWriteUpstreamRequestHead);

}  // namespace
