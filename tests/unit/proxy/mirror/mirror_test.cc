// Traffic mirroring: the shadow copy's head (Host marked "-shadow") and the `mirror:` config.
#include "proxy/mirror/mirror.h"

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "proxy/snapshot.h"

namespace portico::proxy::mirror {
namespace {

std::string shadow(std::string_view head, size_t cap = 4096) {
  std::string out(cap, '\0');
  out.resize(writeShadowHead(head, out.data(), out.size()));
  return out;
}

TEST(MirrorShadowHead, SuffixesTheHostNameBeforeAnyPort) {
  EXPECT_EQ(shadow("GET / HTTP/1.1\r\nHost: a.test\r\nX: 1\r\n\r\n"),
            "GET / HTTP/1.1\r\nHost: a.test-shadow\r\nX: 1\r\n\r\n");
  EXPECT_EQ(shadow("GET /x?y HTTP/1.1\r\nHost: a.test:8080\r\n\r\n"),
            "GET /x?y HTTP/1.1\r\nHost: a.test-shadow:8080\r\n\r\n");
  EXPECT_EQ(shadow("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"),
            "GET / HTTP/1.1\r\nHost: [::1]-shadow:8080\r\n\r\n");
  // Only the Host line, never a later field that merely contains "Host: ".
  EXPECT_EQ(shadow("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Host: a\r\n\r\n"),
            "GET / HTTP/1.1\r\nHost: a-shadow\r\nX-Forwarded-Host: a\r\n\r\n");
}

TEST(MirrorShadowHead, EmptyHostIsCopiedAsItIs) {
  EXPECT_EQ(shadow("GET / HTTP/1.1\r\nHost: \r\n\r\n"), "GET / HTTP/1.1\r\nHost: \r\n\r\n");
}

TEST(MirrorShadowHead, TooSmallOrMalformedGivesNothing) {
  const std::string head = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
  EXPECT_EQ(shadow(head, head.size() + 6), "");  // the suffix needs 7 more bytes
  EXPECT_EQ(shadow(head, head.size() + 7).size(), head.size() + 7);
  EXPECT_EQ(shadow("GET / HTTP/1.1\r\nX: 1\r\n\r\n"), "");
}

std::string withMirror(const std::string& route_extra, const std::string& top = "") {
  return top +
         "listeners:\n  - address: 127.0.0.1:8080\n    routes:\n"
         "      - cluster: main\n" +
         route_extra +
         "clusters:\n  - name: main\n    servers: [127.0.0.1:9001]\n"
         "  - name: shadow\n    servers: [127.0.0.1:9002]\n";
}

std::string errorOf(const std::string& yaml) {
  try {
    config::loadConfigText(yaml, "t.yaml");
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MirrorConfig, ClusterAndFraction) {
  auto c = config::loadConfigText(withMirror("        mirror: { cluster: shadow }\n"), "t.yaml");
  EXPECT_EQ(c->listeners[0].routes[0].mirror.cluster, "shadow");
  EXPECT_EQ(c->listeners[0].routes[0].mirror.fraction_ppm, 1000000u);
  EXPECT_EQ(c->limits.max_mirrors_in_flight, 256u);
  c = config::loadConfigText(withMirror("        mirror: { cluster: shadow, fraction: 0.1 }\n",
                                        "limits: { max_mirrors_in_flight: 8 }\n"),
                             "t.yaml");
  EXPECT_EQ(c->listeners[0].routes[0].mirror.fraction_ppm, 100000u);
  EXPECT_EQ(c->limits.max_mirrors_in_flight, 8u);
  c = config::loadConfigText(
      withMirror("        mirror: { cluster: shadow, fraction: \"2.5%\" }\n"), "t.yaml");
  EXPECT_EQ(c->listeners[0].routes[0].mirror.fraction_ppm, 25000u);
  c = config::loadConfigText(withMirror("        mirror: { cluster: shadow, fraction: 0 }\n"),
                             "t.yaml");
  EXPECT_EQ(c->listeners[0].routes[0].mirror.fraction_ppm, 0u);
}

TEST(MirrorConfig, Errors) {
  std::string e = errorOf(withMirror("        mirror: { cluster: shadw }\n"));
  EXPECT_NE(e.find("t.yaml:5:"), std::string::npos) << e;
  EXPECT_NE(e.find("mirror.cluster: unknown cluster 'shadw', did you mean 'shadow'?"),
            std::string::npos)
      << e;
  e = errorOf(withMirror("        mirror: { fraction: 0.5 }\n"));
  EXPECT_NE(e.find("mirror.cluster: missing required key 'cluster'"), std::string::npos) << e;
  for (const char* bad : {"1.5", "-0.1", "abc", "150%", "\"\"", "[1]"}) {
    e = errorOf(
        withMirror(std::string("        mirror: { cluster: shadow, fraction: ") + bad + " }\n"));
    EXPECT_NE(e.find("mirror.fraction: expected a fraction from 0 to 1"), std::string::npos)
        << bad << ": " << e;
  }
  e = errorOf(
      "listeners:\n  - address: 127.0.0.1:8080\n    routes:\n"
      "      - direct_response: { status: 200 }\n        mirror: { cluster: shadow }\n"
      "clusters:\n  - name: shadow\n    servers: [127.0.0.1:9002]\n");
  EXPECT_NE(
      e.find("routes[0].mirror: a route that answers with redirect, direct_response or static"),
      std::string::npos)
      << e;
}

TEST(MirrorConfig, TheRouteKnowsItsShadowClusterIndex) {
  auto c = config::loadConfigText(withMirror("        mirror: { cluster: shadow }\n"), "t.yaml");
  auto snap = buildSnapshot(c);
  const auto& routes = snap->listeners[0].router.routes();
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(snap->clusters[routes[0].mirror_cluster_index].config->name, "shadow");
  EXPECT_EQ(snap->clusters[routes[0].cluster_index].config->name, "main");
}

}  // namespace
}  // namespace portico::proxy::mirror
