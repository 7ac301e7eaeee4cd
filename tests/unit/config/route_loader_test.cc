// The `routes:` keys of a listener: the YAML `match:` form, the `when:` expression, geoip, and
// their errors (FILE:LINE:COLUMN like the rest of the loader).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "config/config.h"
#include "config_test_util.h"
#include "router/condition.h"

namespace portico::config {
namespace {

using testing::errorOf;

std::string withRoutes(const std::string& routes, const std::string& top = "") {
  return top + "listeners:\n  - address: 127.0.0.1:8080\n    routes:\n" + routes +
         "clusters:\n  - name: c\n    servers: [127.0.0.1:9001]\n";
}

const Route& firstRoute(const std::shared_ptr<const Config>& c) {
  return c->listeners[0].routes[0];
}

std::string describe(const Route& r) {
  return r.match.condition ? r.match.condition->describe() : "(none)";
}

TEST(RouteLoader, PlainHostAndPrefixStayIndexKeys) {
  auto c = loadConfigText(withRoutes("      - match: { host: API.example.com, path_prefix: /v1 }\n"
                                     "        cluster: c\n"),
                          "t.yaml");
  const Route& r = firstRoute(c);
  EXPECT_EQ(r.match.host, "api.example.com");
  EXPECT_EQ(r.match.path_prefix, "/v1");
  EXPECT_EQ(r.match.condition, nullptr);
  EXPECT_EQ(r.location, "t.yaml:4:9");
}

TEST(RouteLoader, YamlFormEveryKey) {
  auto c = loadConfigText(
      withRoutes(
          "      - match:\n"
          "          host: '*.example.com'\n"
          "          path: /login\n"
          "          host_regex: '[a-z]+\\.example\\.com'\n"
          "          path_regex: '/l.*'\n"
          "          methods: [GET, HEAD]\n"
          "          headers: [{ name: X-Beta }, { name: x-env, exact: canary },\n"
          "                    { name: x-u, regex: '[0-9]+' }, { name: x-no, present: false }]\n"
          "          cookies: [{ name: group, prefix: b }]\n"
          "          query: [{ name: debug }]\n"
          "          client_ip: [10.0.0.0/8, '2001:db8::/32']\n"
          "          device: [mobile, tablet]\n"
          "          language: { best: fr, among: [en, fr] }\n"
          "          sni: api.example.com\n"
          "          client_cert: true\n"
          "          any: [{ path_prefix: /a }, { not: { methods: POST } }]\n"
          "        cluster: c\n"),
      "t.yaml");
  const Route& r = firstRoute(c);
  EXPECT_EQ(r.match.host, "*.example.com");
  EXPECT_EQ(r.match.path, "/login");
  EXPECT_EQ(describe(r),
            "host_regex(\"[a-z]+\\\\.example\\\\.com\") && path_regex(\"/l.*\") && "
            "method(\"GET\", \"HEAD\") && header(\"x-beta\") && header(\"x-env\", \"canary\") && "
            "header_regex(\"x-u\", \"[0-9]+\") && !header(\"x-no\") && "
            "cookie_prefix(\"group\", \"b\") && query(\"debug\") && "
            "client_ip(\"10.0.0.0/8\", \"2001:db8::/32\") && device(\"mobile\", \"tablet\") && "
            "language([\"fr\"], [\"en\", \"fr\"]) && sni(\"api.example.com\") && client_cert() && "
            "(path_prefix(\"/a\") || !method(\"POST\"))");
}

TEST(RouteLoader, WhenExpressionAndMatchCombine) {
  auto c = loadConfigText(
      withRoutes("      - match: { methods: [GET] }\n"
                 "        when: 'host(\"api.example.com\") && path_prefix(\"/v2\") && "
                 "!header(\"x-beta\")'\n"
                 "        cluster: c\n"),
      "t.yaml");
  const Route& r = firstRoute(c);
  EXPECT_EQ(r.match.host, "api.example.com");
  EXPECT_EQ(r.match.path_prefix, "/v2");
  EXPECT_EQ(describe(r), "method(\"GET\") && !header(\"x-beta\")");
}

TEST(RouteLoader, SameKeysWithDifferentConditionsAreAllowed) {
  auto c =
      loadConfigText(withRoutes("      - { match: { path_prefix: /a, methods: GET }, cluster: c }\n"
                                "      - { match: { path_prefix: /a }, cluster: c }\n"),
                     "t.yaml");
  EXPECT_EQ(c->listeners[0].routes.size(), 2u);
  EXPECT_EQ(errorOf(withRoutes("      - { match: { path: /a }, cluster: c }\n"
                               "      - { match: { path: /a }, cluster: c }\n")),
            "t.yaml:5:9: listeners[0].routes[1]: duplicate route: same host and path_prefix as "
            "listeners[0].routes[0], so it could never match");
}

TEST(RouteLoader, ExpressionErrorsPointIntoTheLine) {
  // Column of the 'hots' inside the single-quoted scalar that starts at column 15.
  EXPECT_EQ(errorOf(withRoutes("      - when: 'hots(\"a.com\")'\n        cluster: c\n")),
            "t.yaml:4:16: listeners[0].routes[0].when: unknown function 'hots', did you mean "
            "'host'?");
  EXPECT_EQ(
      errorOf(withRoutes("      - when: header(\"a\") &&& header(\"b\")\n        cluster: c\n")),
      "t.yaml:4:29: listeners[0].routes[0].when: expected a condition, got '&'");
  EXPECT_EQ(
      errorOf(withRoutes("      - when: |\n          header(\"a\") ||\n        cluster: c\n")),
      "t.yaml:4:15: listeners[0].routes[0].when: expected a condition, got end of "
      "expression (at column 16 of the expression)");
}

TEST(RouteLoader, MatchErrors) {
  EXPECT_EQ(errorOf(withRoutes("      - match: { hots: a.com }\n        cluster: c\n")),
            "t.yaml:4:18: listeners[0].routes[0].match.hots: unknown key 'hots', did you mean "
            "'host'?");
  const std::string regex =
      errorOf(withRoutes("      - match: { path_regex: '(' }\n        cluster: c\n"));
  EXPECT_TRUE(
      regex.starts_with("t.yaml:4:30: listeners[0].routes[0].match.path_regex: invalid "
                        "regular expression '(':"))
      << regex;
  EXPECT_EQ(errorOf(withRoutes("      - match: { headers: [{ name: a, exact: x, regex: y }] }\n"
                               "        cluster: c\n")),
            "t.yaml:4:56: listeners[0].routes[0].match.headers[0].regex: give only one of exact, "
            "prefix, regex");
  EXPECT_EQ(errorOf(withRoutes("      - match: { device: [phone] }\n        cluster: c\n")),
            "t.yaml:4:26: listeners[0].routes[0].match.device: unknown device class 'phone' "
            "(expected mobile, tablet, desktop or bot)");
  const std::string cidr =
      errorOf(withRoutes("      - match: { client_ip: [10.0.0.0/33] }\n        cluster: c\n"));
  EXPECT_TRUE(cidr.starts_with("t.yaml:4:29: listeners[0].routes[0].match.client_ip:")) << cidr;
  EXPECT_EQ(
      errorOf(withRoutes("      - match: { path: /a, path_prefix: /b }\n        cluster: c\n")),
      "t.yaml:4:41: listeners[0].routes[0].match.path_prefix: give either path or "
      "path_prefix, not both");
  EXPECT_EQ(errorOf(withRoutes("      - match: { country: [FR] }\n        cluster: c\n")),
            "t.yaml:4:27: listeners[0].routes[0].match.country: country needs a geolocation "
            "database: set geoip: { database: FILE } at the top level");
  EXPECT_EQ(errorOf(withRoutes("      - match: { not: [] }\n        cluster: c\n")),
            "t.yaml:4:23: listeners[0].routes[0].match.not: expected a map with keys host, "
            "host_regex, path_prefix, path, path_regex, methods, headers, cookies, query, "
            "client_ip, country, continent, device, language, sni, client_cert, all, any, not, "
            "got a list");
}

TEST(RouteLoader, GeoIpDatabase) {
  const std::string missing =
      errorOf(withRoutes("      - { cluster: c }\n", "geoip: { database: /nonexistent.mmdb }\n"));
  EXPECT_TRUE(missing.starts_with(
      "t.yaml:1:20: geoip.database: cannot open geolocation database '/nonexistent.mmdb': "))
      << missing;
  const std::string db = std::string(PORTICO_SOURCE_DIR) + "/build-geo/iptoasn-country.mmdb";
  struct stat st;
  if (::stat(db.c_str(), &st) != 0)
    GTEST_SKIP() << "no geolocation database at " << db << " (run scripts/install_geo_db.sh)";
  auto c = loadConfigText(withRoutes("      - match: { country: [fr, DE], continent: EU }\n"
                                     "        cluster: c\n"
                                     "      - when: 'country(\"US\")'\n"
                                     "        cluster: c\n",
                                     "geoip: { database: " + db + " }\n"),
                          "t.yaml");
  EXPECT_EQ(c->geoip.database, db);
  EXPECT_NE(c->geoip.handle, nullptr);
  EXPECT_EQ(describe(firstRoute(c)), "country(\"FR\", \"DE\") && continent(\"EU\")");
  EXPECT_EQ(describe(c->listeners[0].routes[1]), "country(\"US\")");
}

}  // namespace
}  // namespace portico::config

namespace portico::config {
namespace {

constexpr const char* kSplitBase = R"(listeners:
  - name: web
    address: 127.0.0.1:8080
    routes:
)";
constexpr const char* kSplitClusters = R"(clusters:
  - name: a
    servers: [127.0.0.1:9001]
  - name: b
    servers: [127.0.0.1:9002]
)";

std::string splitErrorOf(const std::string& route) {
  try {
    loadConfigText(std::string(kSplitBase) + route + kSplitClusters, "t.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(RouteActionsLoader, WeightedSplit) {
  auto c = loadConfigText(std::string(kSplitBase) +
                              "      - clusters: [ { name: a, weight: 9 }, { name: b } ]\n"
                              "        split_by: { cookie: uid }\n" +
                              kSplitClusters,
                          "t.yaml");
  const Route& r = c->listeners[0].routes[0];
  ASSERT_EQ(r.clusters.size(), 2u);
  EXPECT_EQ(r.clusters[0].weight, 9u);
  EXPECT_EQ(r.clusters[1].weight, 1u);
  EXPECT_EQ(r.split_by.source, SplitKey::Source::Cookie);
  EXPECT_EQ(r.split_by.name, "uid");
  EXPECT_NE(splitErrorOf("      - clusters: [ { name: a } ]\n").find("at least two"),
            std::string::npos);
  EXPECT_NE(splitErrorOf("      - clusters: [ { name: a }, { name: zz } ]\n").find("zz"),
            std::string::npos);
  EXPECT_NE(splitErrorOf("      - cluster: a\n        clusters: [ { name: a }, { name: b } ]\n")
                .find("not both"),
            std::string::npos);
  EXPECT_NE(splitErrorOf("      - cluster: a\n        split_by: ip\n").find("split_by"),
            std::string::npos);
}

TEST(RouteActionsLoader, RedirectAndDirectResponse) {
  auto c = loadConfigText(std::string(kSplitBase) +
                              "      - match: { path: /x }\n"
                              "        redirect: { status: 308, host: b.test, port: 8443 }\n"
                              "      - match: { path: /y }\n"
                              "        direct_response: { status: 503, body: down }\n"
                              "      - cluster: a\n" +
                              kSplitClusters,
                          "t.yaml");
  const auto& routes = c->listeners[0].routes;
  EXPECT_TRUE(routes[0].redirect.enabled);
  EXPECT_EQ(routes[0].redirect.status, 308);
  EXPECT_EQ(routes[0].redirect.port, 8443);
  EXPECT_TRUE(routes[1].direct_response.enabled);
  EXPECT_EQ(routes[1].direct_response.body, "down");
  const std::string e = splitErrorOf("      - redirect: { status: 304 }\n");
  EXPECT_NE(e.find("t.yaml:5:"), std::string::npos) << e;
  EXPECT_NE(e.find("redirect.status"), std::string::npos) << e;
}

}  // namespace
}  // namespace portico::config

namespace portico::config {
namespace {

TEST(RouteActionsLoader, RegexRewrite) {
  auto c = loadConfigText(
      std::string(kSplitBase) +
          "      - cluster: a\n"
          "        rewrite: { regex: '^/u/([0-9]+)$', substitution: '/user/\\1' }\n" +
          kSplitClusters,
      "t.yaml");
  ASSERT_NE(c->listeners[0].routes[0].rewrite_regex, nullptr);
  EXPECT_EQ(c->listeners[0].routes[0].rewrite_substitution, "/user/\\1");
  std::string e =
      splitErrorOf("      - cluster: a\n        rewrite: { regex: '(', substitution: /x }\n");
  EXPECT_NE(e.find("rewrite.regex"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid regular expression"), std::string::npos) << e;
  e = splitErrorOf(
      "      - cluster: a\n        rewrite: { regex: '^/a$', substitution: '/b/\\3' }\n");
  EXPECT_NE(e.find("rewrite.substitution"), std::string::npos) << e;
}

}  // namespace
}  // namespace portico::config
