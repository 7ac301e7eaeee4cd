// `portico check` warnings: routes that can never match.
#include "router/route_check.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace portico::router {
namespace {

std::shared_ptr<const config::Config> load(const std::string& routes) {
  return config::loadConfigText("listeners:\n  - address: 127.0.0.1:8080\n    routes:\n" + routes +
                                    "clusters:\n  - name: c\n    servers: [127.0.0.1:9001]\n",
                                "t.yaml");
}

std::vector<std::string> problems(const std::string& routes) {
  return checkRoutes(*load(routes));
}

TEST(RouteCheck, CleanConfigHasNoWarnings) {
  EXPECT_TRUE(problems("      - { match: { host: a.com, path_prefix: /v1 }, cluster: c }\n"
                       "      - { when: 'header(\"x-beta\")', cluster: c }\n"
                       "      - { match: { path_prefix: / }, cluster: c }\n")
                  .empty());
}

TEST(RouteCheck, ShadowedByEarlierRouteWithoutConditions) {
  auto p = problems(
      "      - { match: { path_prefix: /a }, cluster: c }\n"
      "      - { match: { path_prefix: /a, methods: [GET] }, cluster: c }\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(
      p[0],
      "t.yaml:5:9: listeners[0].routes[1]: route can never match: routes[0] (t.yaml:4:9) "
      "has the same host (any) and path prefix /a and no other condition, and it comes first");
}

TEST(RouteCheck, ShadowedByEarlierRouteWithTheSameConditions) {
  auto p = problems(
      "      - { when: 'host(\"a.com\") && header(\"x\")', cluster: c }\n"
      "      - { match: { host: a.com, headers: [{ name: X }] }, cluster: c }\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("routes[1]: route can never match: routes[0] (t.yaml:4:9) has the same "
                      "host a.com and path prefix / and the same conditions"),
            std::string::npos)
      << p[0];
}

TEST(RouteCheck, DifferentConditionsAreNotShadowed) {
  EXPECT_TRUE(problems("      - { match: { methods: [GET] }, cluster: c }\n"
                       "      - { match: { methods: [POST] }, cluster: c }\n")
                  .empty());
}

TEST(RouteCheck, ContradictoryConditions) {
  const char* bad[] = {
      "{ when: 'path_prefix(\"/a\") && path_prefix(\"/b\")', cluster: c }",
      "{ match: { path_prefix: /a }, when: 'path(\"/b\")', cluster: c }",
      "{ when: 'header(\"x\") && !header(\"x\")', cluster: c }",
      "{ when: 'header(\"x\", \"1\") && !header(\"x\")', cluster: c }",
      "{ when: 'host(\"a.com\") && host(\"b.com\")', cluster: c }",
      "{ match: { host: a.com }, when: 'host(\"*.b.com\")', cluster: c }",
      "{ when: 'method(\"GET\") && method(\"POST\")', cluster: c }",
      "{ when: 'device(\"bot\") && device(\"mobile\", \"tablet\")', cluster: c }",
      "{ when: 'cookie(\"g\", \"a\") && cookie(\"g\", \"b\")', cluster: c }",
      "{ when: 'false', cluster: c }",
      "{ when: '!true', cluster: c }",
      "{ when: '(header(\"a\") && !header(\"a\")) || false', cluster: c }",
      "{ match: { any: [] }, cluster: c }",
  };
  for (const char* r : bad) {
    auto p = problems(std::string("      - ") + r + "\n");
    ASSERT_EQ(p.size(), 1u) << r;
    EXPECT_NE(p[0].find("t.yaml:4:9: listeners[0].routes[0]: route can never match: its "
                        "conditions contradict each other"),
              std::string::npos)
        << p[0];
  }
}

TEST(RouteCheck, SatisfiableCombinationsAreNotReported) {
  const char* fine[] = {
      "{ when: 'path_prefix(\"/a\") && path_prefix(\"/ab\")', cluster: c }",
      "{ when: 'host(\"a.b.com\") && host(\"*.b.com\")', cluster: c }",
      "{ when: 'header(\"x\") && !header(\"y\")', cluster: c }",
      "{ when: 'method(\"GET\", \"HEAD\") && method(\"HEAD\")', cluster: c }",
      "{ when: 'header(\"a\") || !header(\"a\")', cluster: c }",
      "{ when: 'path_regex(\"/x.*\") && path_prefix(\"/y\")', cluster: c }",
  };
  for (const char* r : fine) EXPECT_TRUE(problems(std::string("      - ") + r + "\n").empty()) << r;
}

}  // namespace
}  // namespace portico::router
