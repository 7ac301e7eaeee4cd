// Route priority with conditions: host key, then path key, then config order among routes of
// equal keys whose conditions hold.
#include <gtest/gtest.h>

#include "config/config.h"
#include "request_builder.h"
#include "router/expr_parser.h"
#include "router/route_keys.h"
#include "router/router.h"

namespace portico::router {
namespace {

using testing::Req;

struct R {
  std::string when;     // expression; "" = none
  std::string cluster;  // also the route's name in results
  std::string host = "";
  std::string prefix = "/";
};

Router make(const std::vector<R>& rs) {
  std::vector<config::Route> routes;
  for (const R& r : rs) {
    config::Route cr;
    cr.match.host = r.host;
    cr.match.path_prefix = r.prefix;
    if (!r.when.empty()) {
      ExprError e;
      ConditionPtr c = parseExpression(r.when, ExprOptions{}, &e);
      EXPECT_NE(c, nullptr) << r.when << ": " << e.message;
      cr.match.condition = liftIndexKeys(c, cr.match);
    }
    cr.cluster = r.cluster;
    routes.push_back(cr);
  }
  return Router::build(routes, [](const std::string&) { return 0u; });
}

std::string pick(const Router& r, const Req& req) {
  const CompiledRoute* c = r.match(req.view());
  return c ? c->cluster_name : "-";
}

TEST(RoutePriority, FirstListedWhoseConditionsHoldAmongEqualKeys) {
  Router r = make({
      {"header('x-canary')", "canary"},
      {"cookie('beta', '1')", "beta"},
      {"", "stable"},
  });
  Req both;
  both.header("X-Canary", "1").header("Cookie", "beta=1");
  EXPECT_EQ(pick(r, both), "canary");
  Req beta;
  beta.header("Cookie", "beta=1");
  EXPECT_EQ(pick(r, beta), "beta");
  EXPECT_EQ(pick(r, Req()), "stable");
}

TEST(RoutePriority, LongerPrefixBeatsConditionsOnShorterOne) {
  Router r = make({
      {"header('x-beta')", "beta-root"},
      {"", "api", "", "/api"},
  });
  Req req("h", "/api/x");
  req.header("x-beta", "1");
  EXPECT_EQ(pick(r, req), "api");
  EXPECT_EQ(pick(r, Req("h", "/other")), "-");
  Req root("h", "/other");
  root.header("x-beta", "1");
  EXPECT_EQ(pick(r, root), "beta-root");
}

TEST(RoutePriority, FailedConditionsFallBackToShorterPrefixAndLessSpecificHost) {
  Router r = make({
      {"method('POST')", "post-api", "api.example.com", "/v1"},
      {"", "api-root", "api.example.com", "/"},
      {"header('x-wild')", "wild", "*.example.com"},
      {"", "any"},
  });
  EXPECT_EQ(pick(r, Req("api.example.com", "/v1/x", "POST")), "post-api");
  EXPECT_EQ(pick(r, Req("api.example.com", "/v1/x", "GET")), "api-root");
  Req w("www.example.com", "/");
  w.header("x-wild", "");
  EXPECT_EQ(pick(r, w), "wild");
  EXPECT_EQ(pick(r, Req("www.example.com", "/")), "any");
}

TEST(RoutePriority, ExactPathBeatsAnyPrefix) {
  Router r = make({
      {"", "prefix", "", "/login/very/long"},
      {"path('/login')", "exact"},
      {"path_prefix('/login')", "login-prefix"},
  });
  EXPECT_EQ(pick(r, Req("h", "/login")), "exact");
  EXPECT_EQ(pick(r, Req("h", "/login?x=1")), "exact");
  EXPECT_EQ(pick(r, Req("h", "/login/")), "login-prefix");
  EXPECT_EQ(pick(r, Req("h", "/login/very/long/x")), "prefix");
}

TEST(RoutePriority, ExpressionHostAndPathAreIndexKeys) {
  Router r = make({
      {"path_prefix('/v2') && host('api.example.com') && !header('x-beta')", "v2"},
      {"host('*.example.com')", "wild"},
  });
  ASSERT_EQ(r.routes().size(), 2u);
  EXPECT_EQ(r.routes()[0].host_kind, CompiledRoute::HostKind::Exact);
  EXPECT_EQ(r.routes()[0].path_prefix, "/v2");
  EXPECT_EQ(r.routes()[0].condition->describe(), "!header(\"x-beta\")");
  EXPECT_EQ(r.routes()[1].host_kind, CompiledRoute::HostKind::Wildcard);
  EXPECT_EQ(r.routes()[1].condition, nullptr);
  EXPECT_EQ(pick(r, Req("api.example.com", "/v2/x")), "v2");
  Req beta("api.example.com", "/v2/x");
  beta.header("x-beta", "1");
  EXPECT_EQ(pick(r, beta), "wild");
}

TEST(RoutePriority, OrConditionsStayConditions) {
  Router r = make({{"host('a.com') || host('b.com')", "ab"}, {"", "rest"}});
  EXPECT_EQ(r.routes()[0].host_kind, CompiledRoute::HostKind::Any);
  EXPECT_EQ(pick(r, Req("b.com")), "ab");
  EXPECT_EQ(pick(r, Req("c.com")), "rest");
}

TEST(RoutePriority, ManyPrefixesRadixTree) {
  std::vector<R> rs;
  for (const char* p : {"/", "/a", "/ab", "/abc", "/abd", "/b", "/abcdef", "/x/y/z", "/x"})
    rs.push_back({"", p, "", p});
  Router r = make(rs);
  EXPECT_EQ(pick(r, Req("h", "/abcde")), "/abc");
  EXPECT_EQ(pick(r, Req("h", "/abcdefg")), "/abcdef");
  EXPECT_EQ(pick(r, Req("h", "/abd")), "/abd");
  EXPECT_EQ(pick(r, Req("h", "/ac")), "/a");
  EXPECT_EQ(pick(r, Req("h", "/x/y")), "/x");
  EXPECT_EQ(pick(r, Req("h", "/x/y/z/w")), "/x/y/z");
  EXPECT_EQ(pick(r, Req("h", "/q")), "/");
  EXPECT_EQ(pick(r, Req("h", "*")), "-");  // OPTIONS * has no path
}

}  // namespace
}  // namespace portico::router
