#include "config/loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "config/config.h"
#include "config_test_util.h"

namespace portico::config {
namespace {

constexpr const char* kFullExample = R"(workers: auto            # or a number
listeners:
  - name: web
    address: 127.0.0.1:8080
    routes:
      - match: { host: "api.example.com", path_prefix: /v1 }
        cluster: api
      - match: { path_prefix: / }
        cluster: web
clusters:
  - name: web
    servers: [ 127.0.0.1:9001, 127.0.0.1:9002 ]     # plain strings
  - name: api
    servers:
      - address: 127.0.0.1:9003                      # or maps with address (+ optional weight)
    connect_timeout: 5s
    response_timeout: 60s
    max_idle: 64
    idle_timeout: 4s
    rewrite_host: false
access_log: { path: stdout, format: json }           # format: combined | json; path: stdout|stderr|file; omit = off
error_log: { level: info }                           # debug|info|warn|error
limits: { max_request_line: 8192, max_header_bytes: 16k, max_header_count: 100, max_body_size: 0 }
timeouts: { client_header: 10s, client_idle: 60s, client_body: 60s, shutdown: 10s }
trusted_proxies: [ 10.0.0.0/8, "::1/128" ]
server_header: true
via: portico
)";

// The smallest valid config; error tests splice their mistake into variations of it.
constexpr const char* kMinimal = R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - cluster: web
clusters:
  - name: web
    servers: [127.0.0.1:9001]
)";

using portico::config::testing::errorOf;

TEST(ConfigLoader, FullExampleLoads) {
  auto c = loadConfigText(kFullExample, "full.yaml");
  EXPECT_EQ(c->source, "full.yaml");
  EXPECT_EQ(c->workers, 0u);
  ASSERT_EQ(c->listeners.size(), 1u);
  const Listener& l = c->listeners[0];
  EXPECT_EQ(l.name, "web");
  EXPECT_EQ(l.address, "127.0.0.1:8080");
  ASSERT_EQ(l.routes.size(), 2u);
  EXPECT_EQ(l.routes[0].match.host, "api.example.com");
  EXPECT_EQ(l.routes[0].match.path_prefix, "/v1");
  EXPECT_EQ(l.routes[0].cluster, "api");
  EXPECT_EQ(l.routes[1].match.host, "");
  EXPECT_EQ(l.routes[1].match.path_prefix, "/");
  EXPECT_EQ(l.routes[1].cluster, "web");

  ASSERT_EQ(c->clusters.size(), 2u);
  const Cluster& web = c->clusters[0];
  EXPECT_EQ(web.name, "web");
  ASSERT_EQ(web.servers.size(), 2u);
  EXPECT_EQ(web.servers[0].address, "127.0.0.1:9001");
  EXPECT_EQ(web.servers[0].weight, 1u);
  EXPECT_EQ(web.servers[1].address, "127.0.0.1:9002");
  const Cluster& api = c->clusters[1];
  EXPECT_EQ(api.name, "api");
  ASSERT_EQ(api.servers.size(), 1u);
  EXPECT_EQ(api.servers[0].address, "127.0.0.1:9003");
  EXPECT_EQ(api.connect_timeout_ms, 5000u);
  EXPECT_EQ(api.response_timeout_ms, 60000u);
  EXPECT_EQ(api.max_idle, 64u);
  EXPECT_EQ(api.idle_timeout_ms, 4000u);
  EXPECT_FALSE(api.rewrite_host);

  EXPECT_EQ(c->access_log.path, "stdout");
  EXPECT_EQ(c->access_log.format, AccessLog::Format::Json);
  EXPECT_EQ(c->error_log_level, "info");
  EXPECT_EQ(c->limits.max_request_line, 8192u);
  EXPECT_EQ(c->limits.max_header_bytes, 16384u);
  EXPECT_EQ(c->limits.max_header_count, 100u);
  EXPECT_EQ(c->limits.max_body_bytes, 0u);
  EXPECT_EQ(c->timeouts.client_header_ms, 10000u);
  EXPECT_EQ(c->timeouts.client_idle_ms, 60000u);
  EXPECT_EQ(c->timeouts.client_body_ms, 60000u);
  EXPECT_EQ(c->timeouts.shutdown_ms, 10000u);
  EXPECT_EQ(c->trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1/128"}));
  EXPECT_TRUE(c->server_header);
  EXPECT_EQ(c->via_name, "portico");

  EXPECT_EQ(c->findCluster("api"), &c->clusters[1]);
  EXPECT_EQ(c->findCluster("web"), &c->clusters[0]);
  EXPECT_EQ(c->findCluster("nope"), nullptr);
}

TEST(ConfigLoader, DefaultsWhenOmitted) {
  auto c = loadConfigText(kMinimal, "min.yaml");
  const Config d;
  EXPECT_EQ(c->workers, 0u);
  EXPECT_EQ(c->listeners[0].name, "127.0.0.1:8080");  // defaults to the address
  EXPECT_EQ(c->listeners[0].routes[0].match.path_prefix, "/");
  EXPECT_EQ(c->listeners[0].routes[0].match.host, "");
  EXPECT_EQ(c->clusters[0].connect_timeout_ms, 5000u);
  EXPECT_EQ(c->clusters[0].idle_timeout_ms, 4000u);
  EXPECT_EQ(c->access_log.path, "");
  EXPECT_EQ(c->access_log.format, AccessLog::Format::Combined);
  EXPECT_EQ(c->error_log_level, "info");
  EXPECT_EQ(c->limits.max_header_bytes, d.limits.max_header_bytes);
  EXPECT_EQ(c->timeouts.shutdown_ms, d.timeouts.shutdown_ms);
  EXPECT_TRUE(c->trusted_proxies.empty());
  EXPECT_TRUE(c->server_header);
  EXPECT_EQ(c->via_name, "portico");
}

TEST(ConfigLoader, VariousValues) {
  auto c = loadConfigText(R"(workers: 4
listeners:
  - name: v6
    address: "[::1]:8443"
    routes:
      - match: { host: "*.Example.COM", path_prefix: /img }
        cluster: c
  - name: any
    address: :8080
    routes: [ { cluster: c } ]
  - address: localhost:8081
    routes: [ { cluster: c } ]
clusters:
  - name: c
    servers:
      - { address: "[::1]:9001", weight: 3 }
      - localhost:9002
    connect_timeout: 250ms
    response_timeout: 2m
    idle_timeout: 1h
    max_idle: 0
    rewrite_host: true
access_log: { path: /var/log/portico.log }
error_log: { level: debug }
limits: { max_request_line: 4k, max_header_bytes: 1m, max_body_size: 10g }
timeouts: { client_header: 30, shutdown: 0 }
trusted_proxies: [ 192.168.1.7, "2001:db8::/32", "::ffff:10.0.0.0/104" ]
server_header: false
via: edge-1
)",
                          "v.yaml");
  EXPECT_EQ(c->workers, 4u);
  EXPECT_EQ(c->listeners[0].address, "[::1]:8443");
  EXPECT_EQ(c->listeners[0].routes[0].match.host, "*.example.com");  // lower-cased
  EXPECT_EQ(c->listeners[1].address, ":8080");
  EXPECT_EQ(c->listeners[2].name, "localhost:8081");
  const Cluster& cl = c->clusters[0];
  EXPECT_EQ(cl.servers[0].address, "[::1]:9001");
  EXPECT_EQ(cl.servers[0].weight, 3u);
  EXPECT_EQ(cl.servers[1].address, "localhost:9002");
  EXPECT_EQ(cl.servers[1].weight, 1u);
  EXPECT_EQ(cl.connect_timeout_ms, 250u);
  EXPECT_EQ(cl.response_timeout_ms, 120000u);
  EXPECT_EQ(cl.idle_timeout_ms, 3600000u);
  EXPECT_EQ(cl.max_idle, 0u);
  EXPECT_TRUE(cl.rewrite_host);
  EXPECT_EQ(c->access_log.path, "/var/log/portico.log");
  EXPECT_EQ(c->access_log.format, AccessLog::Format::Combined);
  EXPECT_EQ(c->error_log_level, "debug");
  EXPECT_EQ(c->limits.max_request_line, 4096u);
  EXPECT_EQ(c->limits.max_header_bytes, 1048576u);
  EXPECT_EQ(c->limits.max_body_bytes, 10ull << 30);
  EXPECT_EQ(c->timeouts.client_header_ms, 30000u);
  EXPECT_EQ(c->timeouts.shutdown_ms, 0u);
  EXPECT_EQ(c->trusted_proxies,
            (std::vector<std::string>{"192.168.1.7/32", "2001:db8::/32", "::ffff:10.0.0.0/104"}));
  EXPECT_FALSE(c->server_header);
  EXPECT_EQ(c->via_name, "edge-1");
}

TEST(ConfigLoader, QuickstartExampleLoads) {
  auto c = loadConfigFile(std::string(PORTICO_SOURCE_DIR) + "/examples/quickstart.yaml");
  EXPECT_EQ(c->workers, 0u);
  ASSERT_EQ(c->listeners.size(), 1u);
  EXPECT_EQ(c->listeners[0].address, "127.0.0.1:8080");
  ASSERT_EQ(c->listeners[0].routes.size(), 1u);
  EXPECT_EQ(c->listeners[0].routes[0].match.path_prefix, "/");
  EXPECT_EQ(c->listeners[0].routes[0].cluster, "demo");
  const Cluster* demo = c->findCluster("demo");
  ASSERT_NE(demo, nullptr);
  ASSERT_EQ(demo->servers.size(), 2u);
  EXPECT_EQ(demo->servers[0].address, "127.0.0.1:9001");
  EXPECT_EQ(demo->servers[1].address, "127.0.0.1:9002");
  EXPECT_EQ(c->access_log.path, "stdout");
  EXPECT_EQ(c->access_log.format, AccessLog::Format::Combined);
}

TEST(ConfigLoader, FileReadAndMissingFile) {
  char path[] = "/tmp/portico_config_testXXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, kMinimal, std::char_traits<char>::length(kMinimal)),
            static_cast<ssize_t>(std::char_traits<char>::length(kMinimal)));
  close(fd);
  auto c = loadConfigFile(path);
  EXPECT_EQ(c->source, path);
  EXPECT_EQ(c->clusters[0].name, "web");
  unlink(path);

  try {
    loadConfigFile(path);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              std::string(path) + ": cannot read: No such file or directory");
  }
}

TEST(ConfigLoader, ErrorsInFileNameTheFile) {
  char path[] = "/tmp/portico_config_testXXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = "wrokers: 2\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  try {
    loadConfigFile(path);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), std::string(path) +
                                         ":1:1: wrokers: unknown key 'wrokers', did you mean "
                                         "'workers'?");
  }
  unlink(path);
}

// ---- error positions and key paths ----

TEST(ConfigErrors, UnknownKeySuggestsClosest) {
  EXPECT_EQ(errorOf(R"(listeners:
  - adress: 127.0.0.1:8080
    routes: [ { cluster: web } ]
)"),
            "t.yaml:2:5: listeners[0].adress: unknown key 'adress', did you mean 'address'?");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "acces_log: { path: stdout }\n"),
            "t.yaml:8:1: acces_log: unknown key 'acces_log', did you mean 'access_log'?");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "timeouts: { client_hedaer: 5s }\n"),
            "t.yaml:8:13: timeouts.client_hedaer: unknown key 'client_hedaer', did you mean "
            "'client_header'?");
}

TEST(ConfigErrors, UnknownKeyWithoutCloseMatchListsValidKeys) {
  EXPECT_EQ(errorOf(std::string(kMinimal) + "error_log: { colour: red }\n"),
            "t.yaml:8:14: error_log.colour: unknown key 'colour' (valid keys: level)");
}

TEST(ConfigErrors, UnknownKeyInNestedRouteMatch) {
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - match: { hots: a.com }
        cluster: web
clusters:
  - name: web
    servers: [127.0.0.1:9001]
)"),
            "t.yaml:4:18: listeners[0].routes[0].match.hots: unknown key 'hots', did you mean "
            "'host'?");
}

TEST(ConfigErrors, NonScalarKey) {
  EXPECT_EQ(errorOf("? [a, b]\n: 1\n"),
            "t.yaml:1:3: <root>: map keys must be plain strings, got a list");
}

TEST(ConfigErrors, DuplicateKey) {
  EXPECT_EQ(errorOf(std::string(kMinimal) + "via: a\nvia: b\n"),
            "t.yaml:9:1: via: duplicate key 'via' (first given on line 8)");
}

TEST(ConfigErrors, SyntaxErrorHasPosition) {
  EXPECT_EQ(errorOf("listeners:\n  - address: {127.0.0.1:8080\n"),
            "t.yaml:3:1: syntax error: end of map flow not found");
  EXPECT_EQ(errorOf("workers: 2\n\tlisteners: []\n"),
            "t.yaml:2:1: syntax error: illegal tab when looking for indentation");
  EXPECT_EQ(errorOf("workers: 2\nlisteners: a: b\n"),
            "t.yaml:2:13: syntax error: illegal map value");
}

TEST(ConfigErrors, UnquotedIpv6GetsAHint) {
  EXPECT_EQ(errorOf("listeners:\n  - address: [::1]:8080\n"),
            "t.yaml:2:19: syntax error: end of map not found (IPv6 addresses must be quoted, "
            "e.g. \"[::1]:8080\")");
}

TEST(ConfigErrors, WrongTypes) {
  // A list where a map is expected.
  EXPECT_EQ(errorOf(std::string(kMinimal) + "limits: [1, 2]\n"),
            "t.yaml:8:9: limits: expected a map with keys max_request_line, max_header_bytes, "
            "max_header_count, max_body_size, max_mirrors_in_flight, got a list");
  // A map where a list is expected.
  EXPECT_EQ(errorOf("listeners: { address: 127.0.0.1:8080 }\n"),
            "t.yaml:1:12: listeners: expected a list of listeners, got a map");
  // Text where a number is expected.
  EXPECT_EQ(errorOf(std::string(kMinimal) + "limits: { max_header_count: abc }\n"),
            "t.yaml:8:29: limits.max_header_count: expected a non-negative integer, got 'abc'");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "workers: many\n"),
            "t.yaml:8:10: workers: expected 'auto' or a number from 0 to 1024, got 'many'");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "server_header: maybe\n"),
            "t.yaml:8:16: server_header: expected true or false, got 'maybe'");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "via: [a]\n"),
            "t.yaml:8:6: via: expected a string, got a list");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - cluster: web
clusters:
  - name: web
    servers: [127.0.0.1:9001]
    max_idle: -1
)"),
            "t.yaml:8:15: clusters[0].max_idle: expected a non-negative integer, got '-1'");
  EXPECT_EQ(errorOf("- a\n- b\n"), "t.yaml:1:1: <root>: expected a map of settings, got a list");
}

TEST(ConfigErrors, EmptyValueIsReportedAtItsKey) {
  EXPECT_EQ(errorOf(R"(listeners:
  - address:
    routes: [ { cluster: web } ]
)"),
            "t.yaml:2:5: listeners[0].address: expected a string, got nothing");
}

TEST(ConfigErrors, MissingRequiredKeys) {
  EXPECT_EQ(errorOf(R"(listeners:
  - name: web
    routes: [ { cluster: web } ]
)"),
            "t.yaml:2:5: listeners[0].address: missing required key 'address'");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - match: { path_prefix: / }
clusters:
  - name: web
    servers: [127.0.0.1:9001]
)"),
            "t.yaml:4:9: listeners[0].routes[0].cluster: missing required key 'cluster'");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers: [127.0.0.1:9001]
  - name: api
)"),
            "t.yaml:7:5: clusters[1].servers: missing required key 'servers'");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - servers: [127.0.0.1:9001]
)"),
            "t.yaml:5:5: clusters[0].name: missing required key 'name'");
}

TEST(ConfigErrors, AtLeastOneListener) {
  EXPECT_EQ(errorOf(""), "t.yaml:1:1: listeners: at least one listener is required");
  EXPECT_EQ(errorOf("# only a comment\n"),
            "t.yaml:1:1: listeners: at least one listener is required");
  EXPECT_EQ(errorOf("workers: 2\n"), "t.yaml:1:1: listeners: missing required key 'listeners'");
  EXPECT_EQ(errorOf("workers: 2\nlisteners: []\n"),
            "t.yaml:2:12: listeners: at least one listener is required");
}

TEST(ConfigErrors, EmptyServersList) {
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers: []
)"),
            "t.yaml:6:14: clusters[0].servers: a cluster needs at least one server");
}

TEST(ConfigErrors, RouteToUnknownClusterPointsAtTheRoute) {
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - match: { path_prefix: /a }
        cluster: web
      - match: { path_prefix: /b }
        cluster: web
      - match: { path_prefix: /c }
        cluster: apii
clusters:
  - name: web
    servers: [127.0.0.1:9001]
  - name: api
    servers: [127.0.0.1:9002]
)"),
            "t.yaml:9:18: listeners[0].routes[2].cluster: unknown cluster 'apii', did you mean "
            "'api'?");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
)"),
            "t.yaml:3:26: listeners[0].routes[0].cluster: unknown cluster 'web' (no clusters are "
            "defined)");
}

TEST(ConfigErrors, DuplicateNames) {
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers: [127.0.0.1:9001]
  - name: web
    servers: [127.0.0.1:9002]
)"),
            "t.yaml:7:11: clusters[1].name: duplicate cluster name 'web' (also used by "
            "clusters[0])");
  EXPECT_EQ(errorOf(R"(listeners:
  - name: a
    address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
  - name: a
    address: 127.0.0.1:8081
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers: [127.0.0.1:9001]
)"),
            "t.yaml:5:11: listeners[1].name: duplicate listener name 'a' (also used by "
            "listeners[0])");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers: [127.0.0.1:9001]
)"),
            "t.yaml:4:14: listeners[1].address: duplicate listener address '127.0.0.1:8080' (also "
            "used by listeners[0])");
}

TEST(ConfigErrors, DuplicateRoute) {
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - match: { path_prefix: /v1 }
        cluster: web
      - match: { path_prefix: /v1 }
        cluster: web
clusters:
  - name: web
    servers: [127.0.0.1:9001]
)"),
            "t.yaml:6:9: listeners[0].routes[1]: duplicate route: same host and path_prefix as "
            "listeners[0].routes[0], so it could never match");
}

TEST(ConfigErrors, InvalidAddresses) {
  auto listenerError = [](const std::string& addr) {
    return errorOf("listeners:\n  - address: " + addr +
                   "\n    routes: [ { cluster: web } ]\nclusters:\n  - name: web\n    servers: "
                   "[127.0.0.1:9001]\n");
  };
  EXPECT_EQ(listenerError("127.0.0.1"),
            "t.yaml:2:14: listeners[0].address: invalid address '127.0.0.1': expected HOST:PORT, "
            "e.g. 127.0.0.1:8080");
  EXPECT_EQ(listenerError("127.0.0.1:0"),
            "t.yaml:2:14: listeners[0].address: invalid address '127.0.0.1:0': port must be a "
            "number from 1 to 65535");
  EXPECT_EQ(listenerError("127.0.0.1:65536"),
            "t.yaml:2:14: listeners[0].address: invalid address '127.0.0.1:65536': port must be a "
            "number from 1 to 65535");
  EXPECT_EQ(listenerError("127.0.0.1:http"),
            "t.yaml:2:14: listeners[0].address: invalid address '127.0.0.1:http': port must be a "
            "number from 1 to 65535");
  EXPECT_EQ(listenerError("300.1.1.1:80"),
            "t.yaml:2:14: listeners[0].address: invalid address '300.1.1.1:80': host '300.1.1.1' "
            "must be an IPv4 literal, a bracketed IPv6 literal or localhost (host names are not "
            "resolved)");
  EXPECT_EQ(listenerError("example.com:80"),
            "t.yaml:2:14: listeners[0].address: invalid address 'example.com:80': host "
            "'example.com' must be an IPv4 literal, a bracketed IPv6 literal or localhost (host "
            "names are not resolved)");
  EXPECT_EQ(listenerError("\"::1:8080\""),
            "t.yaml:2:14: listeners[0].address: invalid address '::1:8080': IPv6 addresses must "
            "be in brackets, e.g. [::1]:8080");
  EXPECT_EQ(listenerError("\"[::g]:8080\""),
            "t.yaml:2:14: listeners[0].address: invalid address '[::g]:8080': '::g' is not an "
            "IPv6 address");
  EXPECT_EQ(listenerError(":8080"), "(no error)");  // any address
  EXPECT_EQ(listenerError("localhost:8080"), "(no error)");
  EXPECT_EQ(listenerError("\"[::]:8080\""), "(no error)");

  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers: [127.0.0.1:9001]
  - name: api
    servers:
      - address: 127.0.0.1:9003
      - address: 127.0.0.1:99999
)"),
            "t.yaml:10:18: clusters[1].servers[1].address: invalid address '127.0.0.1:99999': "
            "port must be a number from 1 to 65535");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers: [127.0.0.1:9001, nohost]
)"),
            "t.yaml:6:31: clusters[0].servers[1]: invalid address 'nohost': expected HOST:PORT, "
            "e.g. 127.0.0.1:8080");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers: [":9001"]
)"),
            "t.yaml:6:15: clusters[0].servers[0]: invalid address ':9001': a server address "
            "needs a host, e.g. 127.0.0.1:9001");
}

TEST(ConfigErrors, InvalidCidr) {
  EXPECT_EQ(errorOf(std::string(kMinimal) + "trusted_proxies: [ 10.0.0.0/8, 10.0.0.0/33 ]\n"),
            "t.yaml:8:32: trusted_proxies[1]: invalid CIDR '10.0.0.0/33': IPv4 prefix length must "
            "be 0-32");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "trusted_proxies: [ \"::1/129\" ]\n"),
            "t.yaml:8:20: trusted_proxies[0]: invalid CIDR '::1/129': IPv6 prefix length must be "
            "0-128");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "trusted_proxies: [ proxy.local ]\n"),
            "t.yaml:8:20: trusted_proxies[0]: invalid CIDR 'proxy.local': expected an IPv4 or IPv6 "
            "address with optional /prefix, e.g. 10.0.0.0/8 or ::1/128");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "trusted_proxies: 10.0.0.0/8\n"),
            "t.yaml:8:18: trusted_proxies: expected a list of CIDRs, got '10.0.0.0/8'");
}

TEST(ConfigErrors, InvalidDurationsAndSizes) {
  EXPECT_EQ(errorOf(std::string(kMinimal) + "timeouts: { client_idle: 5 minutes }\n"),
            "t.yaml:8:26: timeouts.client_idle: invalid duration '5 minutes' (expected e.g. "
            "250ms, 5s, 2m, 1h, or a number of seconds)");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "timeouts: { client_body: 0s }\n"),
            "t.yaml:8:26: timeouts.client_body: must be greater than 0");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "limits: { max_header_bytes: 16kb }\n"),
            "t.yaml:8:29: limits.max_header_bytes: invalid size '16kb' (expected a number of "
            "bytes, optionally with suffix k, m or g)");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "limits: { max_header_bytes: 2m }\n"),
            "t.yaml:8:29: limits.max_header_bytes: size '2m' is too large (maximum 1048576 bytes)");
}

TEST(ConfigErrors, InvalidEnumsSuggest) {
  EXPECT_EQ(errorOf(std::string(kMinimal) + "access_log: { path: stdout, format: jsno }\n"),
            "t.yaml:8:37: access_log.format: invalid value 'jsno', expected one of combined, json "
            "(did you mean 'json'?)");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "error_log: { level: verbose }\n"),
            "t.yaml:8:21: error_log.level: invalid value 'verbose', expected one of debug, info, "
            "warn, error");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "access_log: { format: json }\n"),
            "t.yaml:8:13: access_log.path: missing required key 'path'");
}

TEST(ConfigErrors, RouteMatchValidation) {
  const std::string tail =
      "        cluster: web\nclusters:\n  - name: web\n    servers: [127.0.0.1:9001]\n";
  const std::string head = "listeners:\n  - address: 127.0.0.1:8080\n    routes:\n";
  EXPECT_EQ(errorOf(head + "      - match: { path_prefix: v1 }\n" + tail),
            "t.yaml:4:31: listeners[0].routes[0].match.path_prefix: path_prefix must start with "
            "'/', got 'v1'");
  EXPECT_EQ(errorOf(head + "      - match: { host: \"api.example.com:8080\" }\n" + tail),
            "t.yaml:4:24: listeners[0].routes[0].match.host: invalid host 'api.example.com:8080' "
            "(expected a host name like api.example.com or *.example.com, without port)");
  EXPECT_EQ(errorOf(head + "      - match: [ /v1 ]\n" + tail),
            "t.yaml:4:16: listeners[0].routes[0].match: expected a map with keys host, "
            "host_regex, path_prefix, path, path_regex, methods, headers, cookies, query, "
            "client_ip, country, continent, device, language, sni, client_cert, all, any, not, "
            "got a list");
}

TEST(ConfigErrors, ViaMustBeAToken) {
  EXPECT_EQ(errorOf(std::string(kMinimal) + "via: \"my proxy\"\n"),
            "t.yaml:8:6: via: via must be a single token (letters, digits, -._~ etc.), got 'my "
            "proxy'");
}

TEST(ConfigErrors, OnlyOneDocument) {
  EXPECT_EQ(errorOf(std::string(kMinimal) + "---\nworkers: 2\n"),
            "t.yaml:9:1: <root>: only one YAML document is allowed per config file");
}

}  // namespace
}  // namespace portico::config

namespace portico::config {
namespace {

constexpr const char* kRequestIdBase = R"(listeners:
  - name: web
    address: 127.0.0.1:8080
    routes:
      - match: { path_prefix: / }
        cluster: web
clusters:
  - name: web
    servers: [127.0.0.1:9001]
)";

TEST(ConfigLoader, RequestIdDefaultsAndKeys) {
  auto def = loadConfigText(kRequestIdBase, "t.yaml");
  EXPECT_TRUE(def->request_id.enabled);
  EXPECT_EQ(def->request_id.header, "X-Request-ID");
  EXPECT_EQ(def->request_id.keep_incoming, RequestId::Keep::Trusted);
  auto off = loadConfigText(std::string(kRequestIdBase) + "request_id: false\n", "t.yaml");
  EXPECT_FALSE(off->request_id.enabled);
  auto c = loadConfigText(std::string(kRequestIdBase) +
                              "request_id: { header: X-Trace, keep_incoming: never, "
                              "response_header: false, trace_context: false }\n",
                          "t.yaml");
  EXPECT_EQ(c->request_id.header, "X-Trace");
  EXPECT_EQ(c->request_id.keep_incoming, RequestId::Keep::Never);
  EXPECT_FALSE(c->request_id.response_header);
  EXPECT_FALSE(c->request_id.trace_context);
}

TEST(ConfigLoader, RequestIdErrorsNameTheKey) {
  std::string e =
      testing::errorOf(std::string(kRequestIdBase) + "request_id: { keep_incoming: sometimes }\n");
  EXPECT_NE(e.find("t.yaml:10:"), std::string::npos) << e;
  EXPECT_NE(e.find("request_id.keep_incoming"), std::string::npos) << e;
  e = testing::errorOf(std::string(kRequestIdBase) + "request_id: { header: \"bad name\" }\n");
  EXPECT_NE(e.find("request_id.header"), std::string::npos) << e;
}

}  // namespace
}  // namespace portico::config
