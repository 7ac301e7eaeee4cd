#include "router/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portico::router {
namespace {

struct R {
  std::string host;
  std::string prefix;
  std::string cluster;
};

// Builds a router; cluster indexes are the position of the cluster name in first-seen order.
Router make(const std::vector<R>& rs) {
  std::vector<config::Route> routes;
  std::vector<std::string> names;
  for (const R& r : rs) {
    config::Route cr;
    cr.match.host = r.host;
    cr.match.path_prefix = r.prefix;
    cr.cluster = r.cluster;
    routes.push_back(cr);
    bool known = false;
    for (const auto& n : names) known |= n == r.cluster;
    if (!known) names.push_back(r.cluster);
  }
  return Router::build(routes, [&](const std::string& name) {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return static_cast<uint32_t>(i);
    return ~0u;
  });
}

// Cluster name of the matching route, or "-" when none matches.
std::string pick(const Router& r, std::string_view host, std::string_view path) {
  const CompiledRoute* c = r.match(host, path);
  return c ? c->cluster_name : "-";
}

TEST(Router, BuildCompilesRoutes) {
  Router r =
      make({{"API.example.com", "/v1", "api"}, {"*.Example.com", "", "wild"}, {"", "/", "web"}});
  EXPECT_EQ(r.size(), 3u);
  const CompiledRoute* c = r.match("api.example.com", "/v1/x");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->host_kind, CompiledRoute::HostKind::Exact);
  EXPECT_EQ(c->host, "api.example.com");
  EXPECT_EQ(c->path_prefix, "/v1");
  EXPECT_EQ(c->cluster_index, 0u);
  c = r.match("x.example.com", "/");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->host_kind, CompiledRoute::HostKind::Wildcard);
  EXPECT_EQ(c->host, ".example.com");
  EXPECT_EQ(c->path_prefix, "/");  // empty prefix means "/"
  EXPECT_EQ(c->cluster_index, 1u);
  c = r.match("other.org", "/");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->host_kind, CompiledRoute::HostKind::Any);
  EXPECT_EQ(c->cluster_index, 2u);
}

TEST(Router, ExactHost) {
  Router r = make({{"api.example.com", "/", "api"}});
  EXPECT_EQ(pick(r, "api.example.com", "/"), "api");
  EXPECT_EQ(pick(r, "www.example.com", "/"), "-");
  EXPECT_EQ(pick(r, "api.example.co", "/"), "-");
  EXPECT_EQ(pick(r, "xapi.example.com", "/"), "-");
  EXPECT_EQ(pick(r, "", "/"), "-");
}

TEST(Router, WildcardHost) {
  Router r = make({{"*.example.com", "/", "wild"}});
  EXPECT_EQ(pick(r, "a.example.com", "/"), "wild");
  EXPECT_EQ(pick(r, "a.b.example.com", "/"), "wild");
  EXPECT_EQ(pick(r, "example.com", "/"), "-");
  EXPECT_EQ(pick(r, ".example.com", "/"), "-");  // empty label before the suffix
  EXPECT_EQ(pick(r, "badexample.com", "/"), "-");
  EXPECT_EQ(pick(r, "a.example.com.evil.org", "/"), "-");
}

TEST(Router, StarAndEmptyHostMatchAnyHost) {
  Router star = make({{"*", "/", "any"}});
  Router empty = make({{"", "/", "any"}});
  for (const Router* r : {&star, &empty}) {
    EXPECT_EQ(pick(*r, "whatever.org", "/x"), "any");
    EXPECT_EQ(pick(*r, "", "/x"), "any");  // HTTP/1.0 without Host
  }
}

TEST(Router, HostWithPort) {
  Router r = make({{"api.example.com", "/", "api"}, {"[::1]", "/", "v6"}});
  EXPECT_EQ(pick(r, "api.example.com:8080", "/"), "api");
  EXPECT_EQ(pick(r, "api.example.com:80", "/"), "api");
  EXPECT_EQ(pick(r, "[::1]:8080", "/"), "v6");
  EXPECT_EQ(pick(r, "[::1]", "/"), "v6");
}

TEST(Router, WildcardHostWithPort) {
  Router r = make({{"*.example.com", "/", "wild"}});
  EXPECT_EQ(pick(r, "a.example.com:8443", "/"), "wild");
  EXPECT_EQ(pick(r, "example.com:8443", "/"), "-");
}

TEST(Router, HostIsCaseInsensitive) {
  Router r = make({{"Api.Example.COM", "/", "api"}, {"*.Svc.Example.com", "/", "svc"}});
  EXPECT_EQ(pick(r, "api.example.com", "/"), "api");
  EXPECT_EQ(pick(r, "API.EXAMPLE.COM", "/"), "api");
  EXPECT_EQ(pick(r, "aPi.ExAmPlE.cOm:8080", "/"), "api");
  EXPECT_EQ(pick(r, "X.SVC.EXAMPLE.COM", "/"), "svc");
}

TEST(Router, PathIsCaseSensitive) {
  Router r = make({{"", "/API", "api"}});
  EXPECT_EQ(pick(r, "h", "/API/x"), "api");
  EXPECT_EQ(pick(r, "h", "/api/x"), "-");
}

TEST(Router, TrailingDotInHost) {
  Router r = make({{"api.example.com", "/", "api"}, {"*.example.org", "/", "wild"}});
  EXPECT_EQ(pick(r, "api.example.com.", "/"), "api");
  EXPECT_EQ(pick(r, "api.example.com.:8080", "/"), "api");
  EXPECT_EQ(pick(r, "a.example.org.", "/"), "wild");
  EXPECT_EQ(pick(r, "example.org.", "/"), "-");
}

TEST(Router, LongestPrefixWins) {
  Router r = make({{"", "/", "root"}, {"", "/api/v1", "v1"}, {"", "/api", "api"}});
  EXPECT_EQ(pick(r, "h", "/"), "root");
  EXPECT_EQ(pick(r, "h", "/index.html"), "root");
  EXPECT_EQ(pick(r, "h", "/api"), "api");
  EXPECT_EQ(pick(r, "h", "/api/v2/x"), "api");
  EXPECT_EQ(pick(r, "h", "/api/v1"), "v1");
  EXPECT_EQ(pick(r, "h", "/api/v1/users/7"), "v1");
  EXPECT_EQ(pick(r, "h", "/ap"), "root");
}

TEST(Router, HostSpecificityBeatsPrefixLength) {
  Router r = make({
      {"", "/very/long/prefix/for/any/host", "any"},
      {"*.example.com", "/very/long", "wild"},
      {"*.api.example.com", "/", "wild-longer"},
      {"www.example.com", "/", "exact"},
  });
  // Exact beats a wildcard and any-host, whatever their prefixes.
  EXPECT_EQ(pick(r, "www.example.com", "/very/long/prefix/for/any/host/x"), "exact");
  // A longer wildcard suffix beats a shorter one with a longer prefix.
  EXPECT_EQ(pick(r, "v2.api.example.com", "/very/long/x"), "wild-longer");
  // A wildcard beats any-host with a longer prefix.
  EXPECT_EQ(pick(r, "a.example.com", "/very/long/prefix/for/any/host"), "wild");
  // Any-host only when nothing more specific matches both host and path.
  EXPECT_EQ(pick(r, "other.org", "/very/long/prefix/for/any/host"), "any");
  EXPECT_EQ(pick(r, "a.example.com", "/short"), "-");
}

TEST(Router, MoreSpecificHostWithNonMatchingPathFallsBack) {
  Router r = make({{"api.example.com", "/v1", "api"}, {"", "/", "web"}});
  EXPECT_EQ(pick(r, "api.example.com", "/v1/x"), "api");
  EXPECT_EQ(pick(r, "api.example.com", "/v2/x"), "web");
}

TEST(Router, TiesGoToTheFirstListedRoute) {
  Router r = make({{"", "/a", "first"}, {"", "/a", "second"}});
  EXPECT_EQ(pick(r, "h", "/a/b"), "first");
  Router h = make({{"x.org", "/", "first"}, {"X.ORG", "/", "second"}});
  EXPECT_EQ(pick(h, "x.org", "/"), "first");
}

TEST(Router, NoMatchReturnsNull) {
  Router r = make({{"api.example.com", "/", "api"}, {"", "/static", "static"}});
  EXPECT_EQ(r.match("www.example.com", "/"), nullptr);
  EXPECT_EQ(r.match("www.example.com", "/stat"), nullptr);
  Router none = make({});
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.match("a", "/"), nullptr);
}

TEST(Router, QueryAndFragmentIgnored) {
  Router r = make({{"", "/", "root"}, {"", "/search", "search"}, {"", "/a/b", "ab"}});
  EXPECT_EQ(pick(r, "h", "/search?q=1"), "search");
  EXPECT_EQ(pick(r, "h", "/search#top"), "search");
  EXPECT_EQ(pick(r, "h", "/?next=/search"), "root");
  EXPECT_EQ(pick(r, "h", "/a?/b"), "root");
  EXPECT_EQ(pick(r, "h", "/a/b?x=/"), "ab");
}

TEST(Router, QueryDoesNotExtendAPrefixMatch) {
  // A prefix that only matches when the query is included must not match.
  Router r = make({{"", "/api?debug", "debug"}, {"", "/", "root"}});
  EXPECT_EQ(pick(r, "h", "/api?debug=1"), "root");
}

}  // namespace
}  // namespace portico::router
