// Issue 6 performance bound: a 10,000-route config loads (YAML, validation, condition
// compilation) and compiles into a router in under a second, and every route is reachable.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "config/config.h"
#include "router/route_check.h"
#include "router/router.h"

namespace portico::router {
namespace {

TEST(RouteScale, TenThousandRoutesLoadUnderOneSecond) {
  std::string yaml = "listeners:\n  - address: 127.0.0.1:8080\n    routes:\n";
  for (int i = 0; i < 10000; ++i) {
    const std::string host = "svc" + std::to_string(i / 10) + ".example.com";
    const std::string prefix = "/api/v" + std::to_string(i % 10);
    if (i % 4 == 0) {
      yaml += "      - when: 'host(\"" + host + "\") && path_prefix(\"" + prefix +
              "\") && header(\"x-canary\")'\n        cluster: c\n";
    } else if (i % 4 == 1) {
      yaml += "      - match: { host: " + host + ", path_prefix: " + prefix +
              ", methods: [GET, HEAD] }\n        cluster: c\n";
    } else {
      yaml += "      - match: { host: " + host + ", path_prefix: " + prefix +
              " }\n        cluster: c\n";
    }
  }
  yaml += "clusters:\n  - name: c\n    servers: [127.0.0.1:9001]\n";
  const auto start = std::chrono::steady_clock::now();
  auto cfg = config::loadConfigText(yaml, "big.yaml");
  Router r = Router::build(cfg->listeners[0].routes, [](const std::string&) { return 0u; });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.size(), 10000u);
  EXPECT_LT(seconds, 1.0) << "loading 10,000 routes took " << seconds << " s";
  EXPECT_TRUE(checkRoutes(*cfg).empty());
  const CompiledRoute* c = r.match("svc999.example.com", "/api/v8/x");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->index, 9998u);
}

}  // namespace
}  // namespace portico::router
