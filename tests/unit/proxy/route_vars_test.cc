// Header variables that depend on the route: ${capture.N} of the route's match.path_regex and
// ${geo.country} / ${geo.continent} of the client; their loader checks and their expansion.
#include "proxy/route_vars.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "config/config.h"
#include "proxy/forwarding.h"

namespace portico::proxy {
namespace {

std::string routes(const std::string& route, const std::string& top = "") {
  return top + "listeners:\n  - address: 127.0.0.1:8080\n    routes:\n" + route +
         "clusters:\n  - name: c\n    servers: [127.0.0.1:9001]\n";
}

std::string errorOf(const std::string& yaml) {
  try {
    config::loadConfigText(yaml, "t.yaml");
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string geoDb() {
  return std::string(PORTICO_SOURCE_DIR) + "/build-geo/iptoasn-country.mmdb";
}

bool haveGeoDb() {
  struct stat st;
  return ::stat(geoDb().c_str(), &st) == 0;
}

std::string expand(std::string_view value, const RouteVars* rv) {
  config::HeaderOps ops;
  ops.set = {{"X", std::string(value)}};
  HeaderVars vars{"1.2.3.4", "a.test", "/p?q", "rid", rv};
  char buf[512];
  HeadWriter w{buf, buf + sizeof buf};
  putHeaderOps(w, ops, vars);
  std::string out(buf, w.written(buf));
  return out.substr(3, out.size() - 5);  // the value of "X: ...\r\n"
}

TEST(RouteVarsLoader, CapturesNeedTheRoutesPathRegex) {
  auto c = config::loadConfigText(
      routes(
          "      - match: { path_regex: '/users/([0-9]+)/(posts|likes)(/.*)?' }\n"
          "        cluster: c\n"
          "        request_headers: { set: { X-User: '${capture.1}', X-Kind: '${capture.2}' } }\n"
          "      - cluster: c\n"),
      "t.yaml");
  const config::Route& r = c->listeners[0].routes[0];
  ASSERT_NE(r.capture_regex, nullptr);
  EXPECT_EQ(r.capture_count, 3);
  EXPECT_FALSE(r.geo_vars);
  EXPECT_EQ(c->listeners[0].routes[1].capture_regex, nullptr);

  std::string e =
      errorOf(routes("      - match: { path_prefix: /u }\n        cluster: c\n"
                     "        response_headers: { add: { X-Id: 'id=${capture.1}' } }\n"));
  EXPECT_NE(e.find("t.yaml:6:"), std::string::npos) << e;
  EXPECT_NE(e.find("response_headers.add.X-Id: ${capture.1} needs a path_regex in the route's "
                   "match"),
            std::string::npos)
      << e;
  e =
      errorOf(routes("      - match: { path_regex: '/u/([0-9]+)' }\n        cluster: c\n"
                     "        request_headers: { set: { X-Id: '${capture.2}' } }\n"));
  EXPECT_NE(e.find("${capture.2}: the route's path_regex has only 1 capture group"),
            std::string::npos)
      << e;
  e =
      errorOf(routes("      - match: { path_regex: '/u/[0-9]+' }\n        cluster: c\n"
                     "        request_headers: { set: { X-Id: '${capture.1}' } }\n"));
  EXPECT_NE(e.find("has no capture groups"), std::string::npos) << e;
  // ${capture.0} is the whole path: any path_regex has it.
  EXPECT_EQ(errorOf(routes("      - match: { path_regex: '/u/[0-9]+' }\n        cluster: c\n"
                           "        request_headers: { set: { X-Id: '${capture.0}' } }\n")),
            "(no error)");
}

TEST(RouteVarsLoader, UnknownAndMalformedVariablesAreErrors) {
  std::string e = errorOf(routes(
      "      - cluster: c\n        request_headers: { set: { X-A: 'a ${clinet_ip} b' } }\n"));
  EXPECT_NE(e.find("request_headers.set.X-A: unknown variable ${clinet_ip}, did you mean "
                   "${client_ip}?"),
            std::string::npos)
      << e;
  e = errorOf(routes("      - cluster: c\n        request_headers: { set: { X-A: '${nope}' } }\n"));
  EXPECT_NE(e.find("unknown variable ${nope} (known: ${client_ip}, ${host}, ${path}, "
                   "${request_id}, ${capture.N}, ${geo.country}, ${geo.continent}"),
            std::string::npos)
      << e;
  e = errorOf(
      routes("      - cluster: c\n        request_headers: { set: { X-A: 'x ${host' } }\n"));
  EXPECT_NE(e.find("unterminated variable '${host'"), std::string::npos) << e;
  e =
      errorOf(routes("      - match: { path_regex: '/(a)' }\n        cluster: c\n"
                     "        request_headers: { set: { X-A: '${capture.10}' } }\n"));
  EXPECT_NE(e.find("captures are ${capture.0} (the whole path) to ${capture.9}"), std::string::npos)
      << e;
  e = errorOf(
      routes("      - cluster: c\n        response_headers: { set: { X-C: '${geo.country}' } }\n"));
  EXPECT_NE(e.find("response_headers.set.X-C: ${geo.country} and ${geo.continent} need the "
                   "top-level geoip database"),
            std::string::npos)
      << e;
}

TEST(RouteVars, CapturesOfThePathWithoutQuery) {
  auto c = config::loadConfigText(
      routes("      - match: { path_regex: '/users/([0-9]+)(/x)?' }\n        cluster: c\n"
             "        request_headers: { set: { X: '${capture.2}' } }\n"),
      "t.yaml");
  const config::Route& r = c->listeners[0].routes[0];
  RouteVars rv;
  router::RequestView view;
  view.target = "/users/42?tab=1";
  rv.compute(r, view, nullptr);
  EXPECT_EQ(rv.capture(0), "/users/42");
  EXPECT_EQ(rv.capture(1), "42");
  EXPECT_EQ(rv.capture(2), "");  // did not take part in the match
  EXPECT_EQ(rv.capture(3), "");  // beyond what the route uses
  EXPECT_EQ(expand("u=${capture.1};x=${capture.2};${capture.0}", &rv), "u=42;x=;/users/42");
  view.target = "http://a.test/users/7/x";  // absolute form: the path after the authority
  rv.compute(r, view, nullptr);
  EXPECT_EQ(expand("${capture.1}${capture.2}", &rv), "7/x");
  view.target = "/other";  // no match (cannot happen after routing): empty
  rv.compute(r, view, nullptr);
  EXPECT_EQ(expand("[${capture.1}]", &rv), "[]");
  EXPECT_EQ(expand("[${capture.1}|${geo.country}]", nullptr), "[|]");
}

TEST(RouteVars, GeoOfTheClientHonoursTrustedProxies) {
  if (!haveGeoDb()) GTEST_SKIP() << "no geolocation database at " << geoDb();
  auto c = config::loadConfigText(
      routes("      - cluster: c\n"
             "        response_headers: { set: { X: '${geo.country}/${geo.continent}' } }\n",
             "geoip: { database: " + geoDb() + " }\n"),
      "t.yaml");
  const config::Route& r = c->listeners[0].routes[0];
  EXPECT_TRUE(r.geo_vars);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &peer.sin_addr);
  http1::Header xff[1] = {{"X-Forwarded-For", "193.0.6.139", http::HeaderId::XForwardedFor}};
  router::RequestView view;
  view.target = "/";
  view.peer = reinterpret_cast<const sockaddr*>(&peer);
  view.headers = xff;
  view.header_count = 1;
  RouteVars rv;
  rv.compute(r, view, c->geoip.handle.get());
  EXPECT_EQ(expand("${geo.country}/${geo.continent}", &rv), "/");  // untrusted peer: loopback
  const net::CidrSet trusted({"127.0.0.0/8"});
  view.trusted_proxies = &trusted;
  rv.compute(r, view, c->geoip.handle.get());
  EXPECT_EQ(expand("${geo.country}/${geo.continent}", &rv), "NL/EU");
}

}  // namespace
}  // namespace portico::proxy
