// Config keys for load balancing, health checks and resilience: lb, health_check,
// outlier_detection, slow_start, retry, circuit_breaker, sticky, servers[].backup,
// routes[].retry_non_idempotent and admin.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/loader.h"
#include "config_test_util.h"

namespace portico::config {
namespace {

// The example of docs/config.md's "Load balancing, health checks and resilience" section, plus a
// tcp and a script check, a hash and a p2c policy.
constexpr const char* kResilienceExample = R"(admin: { address: 127.0.0.1:9901 }
listeners:
  - name: web
    address: 127.0.0.1:8080
    routes:
      - match: { path_prefix: /upload }
        cluster: web
        retry_non_idempotent: true
      - match: { path_prefix: / }
        cluster: api
clusters:
  - name: web
    lb: least_conn
    servers:
      - { address: 127.0.0.1:9001, weight: 3 }
      - { address: 127.0.0.1:9003, backup: true }
    health_check:
      type: http
      interval: 1s
      timeout: 500ms
      rise: 2
      fall: 2
      jitter: 100ms
      method: GET
      path: /health
      host: health.local
      expect_status: [200, "200-299", 301]
      body_contains: ok
    outlier_detection: { consecutive_5xx: 5, consecutive_connect_failures: 3, base_ejection_time: 30s, max_ejection_time: 300s, max_ejection_percent: 50 }
    slow_start: 30s
    retry:
      retry_on: [connect-failure, reset, 502, 503, 504, per-try-timeout]
      max_retries: 2
      per_try_timeout: 2s
      timeout: 10s
      backoff: { base: 25ms, max: 250ms }
      budget: { percent: 20, min_concurrency: 3 }
    circuit_breaker: { max_connections: 1000, max_pending: 100, max_requests: 1000 }
    sticky: { cookie: PORTICO_SRV }
  - name: api
    lb: { policy: hash, key: { source: header, name: X-User } }
    servers: [127.0.0.1:9002]
    health_check:
      type: tcp
      send: "PING\r\n"
      expect: "PONG"
  - name: jobs
    lb: { policy: p2c, choices: 3 }
    servers: [127.0.0.1:9004]
    health_check:
      type: script
      command: ["/usr/local/bin/check", "--fast"]
)";

// A valid config whose only cluster ends on line 7; tests append cluster keys (indented by four
// spaces) starting on line 8, so error positions are easy to read.
constexpr const char* kBase = R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - cluster: web
clusters:
  - name: web
    servers: [127.0.0.1:9001]
)";

using portico::config::testing::errorOf;

// kBase with `keys` appended to its cluster.
std::string withCluster(const std::string& keys) {
  return std::string(kBase) + keys;
}

// The cluster of kBase with `keys` appended.
Cluster clusterWith(const std::string& keys) {
  return loadConfigText(withCluster(keys), "t.yaml")->clusters[0];
}

// ---- the whole example ----

TEST(ConfigResilience, ExampleLoads) {
  auto c = loadConfigText(kResilienceExample, "r.yaml");
  EXPECT_EQ(c->admin.address, "127.0.0.1:9901");
  ASSERT_EQ(c->listeners[0].routes.size(), 2u);
  EXPECT_TRUE(c->listeners[0].routes[0].retry_non_idempotent);
  EXPECT_FALSE(c->listeners[0].routes[1].retry_non_idempotent);

  ASSERT_EQ(c->clusters.size(), 3u);
  const Cluster& web = c->clusters[0];
  EXPECT_EQ(web.lb.policy, "least_conn");
  ASSERT_EQ(web.servers.size(), 2u);
  EXPECT_EQ(web.servers[0].weight, 3u);
  EXPECT_FALSE(web.servers[0].backup);
  EXPECT_TRUE(web.servers[1].backup);
  const HealthCheck& hc = web.health_check;
  EXPECT_EQ(hc.type, HealthCheck::Type::Http);
  EXPECT_EQ(hc.interval_ms, 1000u);
  EXPECT_EQ(hc.timeout_ms, 500u);
  EXPECT_EQ(hc.rise, 2u);
  EXPECT_EQ(hc.fall, 2u);
  EXPECT_EQ(hc.jitter_ms, 100u);
  EXPECT_EQ(hc.method, "GET");
  EXPECT_EQ(hc.path, "/health");
  EXPECT_EQ(hc.host, "health.local");
  const std::vector<std::pair<uint16_t, uint16_t>> statuses = {{200, 200}, {200, 299}, {301, 301}};
  EXPECT_EQ(hc.expect_status, statuses);
  EXPECT_EQ(hc.body_contains, "ok");
  const OutlierDetection& od = web.outlier_detection;
  EXPECT_TRUE(od.enabled);
  EXPECT_EQ(od.consecutive_5xx, 5u);
  EXPECT_EQ(od.consecutive_connect_failures, 3u);
  EXPECT_EQ(od.base_ejection_ms, 30000u);
  EXPECT_EQ(od.max_ejection_ms, 300000u);
  EXPECT_EQ(od.max_ejection_percent, 50u);
  EXPECT_EQ(web.slow_start_ms, 30000u);
  const RetryPolicy& r = web.retry;
  EXPECT_TRUE(r.on_connect_failure);
  EXPECT_TRUE(r.on_reset);
  EXPECT_TRUE(r.on_502);
  EXPECT_TRUE(r.on_503);
  EXPECT_TRUE(r.on_504);
  EXPECT_TRUE(r.on_per_try_timeout);
  EXPECT_EQ(r.max_retries, 2u);
  EXPECT_EQ(r.per_try_timeout_ms, 2000u);
  EXPECT_EQ(r.timeout_ms, 10000u);
  EXPECT_EQ(r.backoff_base_ms, 25u);
  EXPECT_EQ(r.backoff_max_ms, 250u);
  EXPECT_EQ(r.budget_percent, 20u);
  EXPECT_EQ(r.budget_min_concurrency, 3u);
  EXPECT_EQ(web.circuit_breaker.max_connections, 1000u);
  EXPECT_EQ(web.circuit_breaker.max_pending, 100u);
  EXPECT_EQ(web.circuit_breaker.max_requests, 1000u);
  EXPECT_EQ(web.sticky_cookie, "PORTICO_SRV");

  const Cluster& api = c->clusters[1];
  EXPECT_EQ(api.lb.policy, "hash");
  EXPECT_EQ(api.lb.key_source, LoadBalancing::KeySource::Header);
  EXPECT_EQ(api.lb.key_name, "X-User");
  EXPECT_EQ(api.health_check.type, HealthCheck::Type::Tcp);
  EXPECT_EQ(api.health_check.send, "PING\r\n");
  EXPECT_EQ(api.health_check.expect, "PONG");

  const Cluster& jobs = c->clusters[2];
  EXPECT_EQ(jobs.lb.policy, "p2c");
  EXPECT_EQ(jobs.lb.choices, 3u);
  EXPECT_EQ(jobs.health_check.type, HealthCheck::Type::Script);
  EXPECT_EQ(jobs.health_check.command,
            (std::vector<std::string>{"/usr/local/bin/check", "--fast"}));
}

TEST(ConfigResilience, DefaultsWhenOmitted) {
  auto c = loadConfigText(kBase, "t.yaml");
  const Cluster& cl = c->clusters[0];
  const Cluster d;
  EXPECT_EQ(c->admin.address, "");
  EXPECT_FALSE(c->listeners[0].routes[0].retry_non_idempotent);
  EXPECT_FALSE(cl.servers[0].backup);
  EXPECT_EQ(cl.lb.policy, "round_robin");
  EXPECT_EQ(cl.health_check.type, HealthCheck::Type::None);
  EXPECT_FALSE(cl.outlier_detection.enabled);
  EXPECT_EQ(cl.slow_start_ms, 0u);
  EXPECT_TRUE(cl.retry.on_connect_failure);
  EXPECT_TRUE(cl.retry.on_reset);
  EXPECT_FALSE(cl.retry.on_502);
  EXPECT_EQ(cl.retry.max_retries, d.retry.max_retries);
  EXPECT_EQ(cl.retry.budget_percent, d.retry.budget_percent);
  EXPECT_EQ(cl.circuit_breaker.max_connections, 0u);
  EXPECT_EQ(cl.circuit_breaker.max_pending, 0u);
  EXPECT_EQ(cl.circuit_breaker.max_requests, 0u);
  EXPECT_EQ(cl.sticky_cookie, "");
}

// ---- routes[].retry_non_idempotent ----

TEST(ConfigRoute, RetryNonIdempotent) {
  auto c = loadConfigText(R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - { cluster: web, retry_non_idempotent: false }
      - { match: { path_prefix: /a }, cluster: web, retry_non_idempotent: TRUE }
clusters:
  - name: web
    servers: [127.0.0.1:9001]
)",
                          "t.yaml");
  EXPECT_FALSE(c->listeners[0].routes[0].retry_non_idempotent);
  EXPECT_TRUE(c->listeners[0].routes[1].retry_non_idempotent);
}

TEST(ConfigRoute, RetryNonIdempotentErrors) {
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - { cluster: web, retry_non_idempotent: yes }
)"),
            "t.yaml:4:47: listeners[0].routes[0].retry_non_idempotent: expected true or false, "
            "got 'yes'");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - { cluster: web, retry_non_idempotnet: true }
)"),
            "t.yaml:4:25: listeners[0].routes[0].retry_non_idempotnet: unknown key "
            "'retry_non_idempotnet', did you mean 'retry_non_idempotent'?");
}

// ---- servers[].backup ----

TEST(ConfigServer, Backup) {
  const Cluster cl = loadConfigText(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers:
      - 127.0.0.1:9001
      - { address: 127.0.0.1:9002, backup: false }
      - { address: 127.0.0.1:9003, backup: true, weight: 2 }
)",
                                    "t.yaml")
                         ->clusters[0];
  ASSERT_EQ(cl.servers.size(), 3u);
  EXPECT_FALSE(cl.servers[0].backup);
  EXPECT_FALSE(cl.servers[1].backup);
  EXPECT_TRUE(cl.servers[2].backup);
  EXPECT_EQ(cl.servers[2].weight, 2u);
}

TEST(ConfigServer, BackupErrors) {
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers:
      - { address: 127.0.0.1:9001, backup: 1 }
)"),
            "t.yaml:7:44: clusters[0].servers[0].backup: expected true or false, got '1'");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers:
      - { address: 127.0.0.1:9001, backpu: true }
)"),
            "t.yaml:7:36: clusters[0].servers[0].backpu: unknown key 'backpu', did you mean "
            "'backup'?");
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers:
      - [127.0.0.1:9001]
)"),
            "t.yaml:7:9: clusters[0].servers[0]: expected a server address (HOST:PORT) or a map "
            "with 'address', 'weight' and 'backup', got a list");
}

TEST(ConfigServer, EveryServerBackupIsAnError) {
  EXPECT_EQ(errorOf(R"(listeners:
  - address: 127.0.0.1:8080
    routes: [ { cluster: web } ]
clusters:
  - name: web
    servers:
      - { address: 127.0.0.1:9001, backup: true }
      - { address: 127.0.0.1:9002, backup: true }
)"),
            "t.yaml:7:7: clusters[0].servers: every server is a backup; at least one must be a "
            "primary (backup: false)");
}

// ---- lb ----

TEST(ConfigLb, EveryPolicyByName) {
  for (const char* name : {"round_robin", "least_conn", "hash", "random", "p2c", "least_time"}) {
    const Cluster cl = clusterWith(std::string("    lb: ") + name + "\n");
    EXPECT_EQ(cl.lb.policy, name);
    EXPECT_EQ(cl.lb.key_source, LoadBalancing::KeySource::Ip);
    EXPECT_EQ(cl.lb.choices, 2u);
  }
  EXPECT_EQ(clusterWith("    lb: { policy: random }\n").lb.policy, "random");
}

TEST(ConfigLb, HashKeySources) {
  using KS = LoadBalancing::KeySource;
  Cluster cl = clusterWith("    lb: { policy: hash }\n");
  EXPECT_EQ(cl.lb.key_source, KS::Ip);
  cl = clusterWith("    lb: { policy: hash, key: { source: ip } }\n");
  EXPECT_EQ(cl.lb.key_source, KS::Ip);
  EXPECT_EQ(cl.lb.key_name, "");
  cl = clusterWith("    lb: { policy: hash, key: { source: path } }\n");
  EXPECT_EQ(cl.lb.key_source, KS::Path);
  cl = clusterWith("    lb: { policy: hash, key: { source: header, name: X-User } }\n");
  EXPECT_EQ(cl.lb.key_source, KS::Header);
  EXPECT_EQ(cl.lb.key_name, "X-User");
  cl = clusterWith("    lb: { policy: hash, key: { source: cookie, name: session } }\n");
  EXPECT_EQ(cl.lb.key_source, KS::Cookie);
  EXPECT_EQ(cl.lb.key_name, "session");
  cl = clusterWith("    lb: { policy: hash, key: { source: query, name: user_id } }\n");
  EXPECT_EQ(cl.lb.key_source, KS::Query);
  EXPECT_EQ(cl.lb.key_name, "user_id");
}

TEST(ConfigLb, P2cChoices) {
  EXPECT_EQ(clusterWith("    lb: { policy: p2c }\n").lb.choices, 2u);
  EXPECT_EQ(clusterWith("    lb: { policy: p2c, choices: 4 }\n").lb.choices, 4u);
  EXPECT_EQ(clusterWith("    lb: { policy: p2c, choices: 16 }\n").lb.choices, 16u);
}

TEST(ConfigLb, Errors) {
  EXPECT_EQ(errorOf(withCluster("    lb: least_con\n")),
            "t.yaml:8:9: clusters[0].lb: invalid value 'least_con', expected one of hash, "
            "least_conn, least_time, p2c, random, round_robin (did you mean 'least_conn'?)");
  EXPECT_EQ(errorOf(withCluster("    lb: fastest\n")),
            "t.yaml:8:9: clusters[0].lb: invalid value 'fastest', expected one of hash, "
            "least_conn, least_time, p2c, random, round_robin");
  EXPECT_EQ(errorOf(withCluster("    lb: [hash]\n")),
            "t.yaml:8:9: clusters[0].lb: expected a policy name (hash, least_conn, least_time, "
            "p2c, random, round_robin) or a map with keys policy, key, choices, got a list");
  EXPECT_EQ(errorOf(withCluster("    lb: { polcy: hash }\n")),
            "t.yaml:8:11: clusters[0].lb.polcy: unknown key 'polcy', did you mean 'policy'?");
  EXPECT_EQ(errorOf(withCluster("    lb: { choices: 2 }\n")),
            "t.yaml:8:9: clusters[0].lb.policy: missing required key 'policy'");
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: rondom }\n")),
            "t.yaml:8:19: clusters[0].lb.policy: invalid value 'rondom', expected one of "
            "hash, least_conn, least_time, p2c, random, round_robin (did you mean 'random'?)");
}

TEST(ConfigLb, KeyErrors) {
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: least_conn, key: { source: ip } }\n")),
            "t.yaml:8:31: clusters[0].lb.key: 'key' is only valid with policy hash (policy is "
            "least_conn)");
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: hash, key: { source: headers, name: X } }\n")),
            "t.yaml:8:40: clusters[0].lb.key.source: invalid value 'headers', expected one of ip, "
            "header, cookie, query, path (did you mean 'header'?)");
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: hash, key: { name: X } }\n")),
            "t.yaml:8:30: clusters[0].lb.key.source: missing required key 'source'");
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: hash, key: { source: cookie } }\n")),
            "t.yaml:8:30: clusters[0].lb.key.name: missing required key 'name' (source cookie "
            "needs the cookie name)");
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: hash, key: { source: ip, name: X } }\n")),
            "t.yaml:8:44: clusters[0].lb.key.name: 'name' is only valid with source header, "
            "cookie or query (source is ip)");
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: hash, key: { source: header, name: \"\" } }\n")),
            "t.yaml:8:54: clusters[0].lb.key.name: must not be empty");
  EXPECT_EQ(
      errorOf(withCluster("    lb: { policy: hash, key: { source: header, name: \"X User\" } }\n")),
      "t.yaml:8:54: clusters[0].lb.key.name: name must be a single token (letters, digits, -._~ "
      "etc.), got 'X User'");
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: hash, key: { source: query, nmae: u } }\n")),
            "t.yaml:8:47: clusters[0].lb.key.nmae: unknown key 'nmae', did you mean 'name'?");
}

TEST(ConfigLb, ChoicesErrors) {
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: random, choices: 2 }\n")),
            "t.yaml:8:27: clusters[0].lb.choices: 'choices' is only valid with policy p2c (policy "
            "is random)");
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: p2c, choices: 1 }\n")),
            "t.yaml:8:33: clusters[0].lb.choices: must be at least 2");
  EXPECT_EQ(errorOf(withCluster("    lb: { policy: p2c, choices: 17 }\n")),
            "t.yaml:8:33: clusters[0].lb.choices: value 17 is too large (maximum 16)");
}

// ---- health_check ----

TEST(ConfigHealthCheck, HttpDefaults) {
  const HealthCheck hc = clusterWith("    health_check: { type: http }\n").health_check;
  const HealthCheck d;
  EXPECT_EQ(hc.type, HealthCheck::Type::Http);
  EXPECT_EQ(hc.interval_ms, d.interval_ms);
  EXPECT_EQ(hc.timeout_ms, d.timeout_ms);
  EXPECT_EQ(hc.rise, d.rise);
  EXPECT_EQ(hc.fall, d.fall);
  EXPECT_EQ(hc.jitter_ms, 0u);
  EXPECT_EQ(hc.method, "GET");
  EXPECT_EQ(hc.path, "/");
  EXPECT_EQ(hc.host, "");
  EXPECT_EQ(hc.expect_status, (std::vector<std::pair<uint16_t, uint16_t>>{{200, 399}}));
  EXPECT_EQ(hc.body_contains, "");
  EXPECT_TRUE(hc.send.empty());
  EXPECT_TRUE(hc.command.empty());
}

TEST(ConfigHealthCheck, HttpKeys) {
  const HealthCheck hc = clusterWith(R"(    health_check:
      type: http
      interval: 10s
      timeout: 3s
      rise: 1
      fall: 5
      jitter: 2s
      method: HEAD
      path: /status?full=1
      host: "example.com:8080"
      expect_status: 204
      body_contains: "\"status\": \"up\""
)")
                             .health_check;
  EXPECT_EQ(hc.interval_ms, 10000u);
  EXPECT_EQ(hc.timeout_ms, 3000u);
  EXPECT_EQ(hc.rise, 1u);
  EXPECT_EQ(hc.fall, 5u);
  EXPECT_EQ(hc.jitter_ms, 2000u);
  EXPECT_EQ(hc.method, "HEAD");
  EXPECT_EQ(hc.path, "/status?full=1");
  EXPECT_EQ(hc.host, "example.com:8080");
  EXPECT_EQ(hc.expect_status, (std::vector<std::pair<uint16_t, uint16_t>>{{204, 204}}));
  EXPECT_EQ(hc.body_contains, "\"status\": \"up\"");
}

TEST(ConfigHealthCheck, ExpectStatusForms) {
  using Ranges = std::vector<std::pair<uint16_t, uint16_t>>;
  EXPECT_EQ(clusterWith("    health_check: { type: http, expect_status: [200, 204] }\n")
                .health_check.expect_status,
            (Ranges{{200, 200}, {204, 204}}));
  EXPECT_EQ(clusterWith("    health_check: { type: http, expect_status: \"200-299\" }\n")
                .health_check.expect_status,
            (Ranges{{200, 299}}));
  EXPECT_EQ(clusterWith("    health_check: { type: http, expect_status: [100-599, 404-404] }\n")
                .health_check.expect_status,
            (Ranges{{100, 599}, {404, 404}}));
}

TEST(ConfigHealthCheck, Tcp) {
  HealthCheck hc =
      clusterWith("    health_check: { type: tcp, interval: 2s, timeout: 1s }\n").health_check;
  EXPECT_EQ(hc.type, HealthCheck::Type::Tcp);
  EXPECT_EQ(hc.send, "");
  EXPECT_EQ(hc.expect, "");
  hc = clusterWith("    health_check: { type: tcp, send: \"PING\\r\\n\", expect: \"+PONG\" }\n")
           .health_check;
  EXPECT_EQ(hc.send, "PING\r\n");
  EXPECT_EQ(hc.expect, "+PONG");
  hc = clusterWith("    health_check: { type: tcp, expect: \"220 \" }\n").health_check;
  EXPECT_EQ(hc.send, "");
  EXPECT_EQ(hc.expect, "220 ");
}

TEST(ConfigHealthCheck, Script) {
  const HealthCheck hc =
      clusterWith("    health_check: { type: script, command: [/bin/check, -v, \"\"] }\n")
          .health_check;
  EXPECT_EQ(hc.type, HealthCheck::Type::Script);
  EXPECT_EQ(hc.command, (std::vector<std::string>{"/bin/check", "-v", ""}));
}

TEST(ConfigHealthCheck, TypeErrors) {
  EXPECT_EQ(errorOf(withCluster("    health_check: { interval: 5s }\n")),
            "t.yaml:8:19: clusters[0].health_check.type: missing required key 'type'");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: htp }\n")),
            "t.yaml:8:27: clusters[0].health_check.type: invalid value 'htp', expected one of "
            "http, tcp, script (did you mean 'http'?)");
  EXPECT_EQ(errorOf(withCluster("    health_check: http\n")),
            "t.yaml:8:19: clusters[0].health_check: expected a map with keys type, interval, "
            "timeout, rise, fall, jitter, method, path, host, expect_status, body_contains, send, "
            "expect, command, got 'http'");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, intreval: 5s }\n")),
            "t.yaml:8:33: clusters[0].health_check.intreval: unknown key 'intreval', did you "
            "mean 'interval'?");
}

TEST(ConfigHealthCheck, KeysOfAnotherType) {
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, path: /health }\n")),
            "t.yaml:8:32: clusters[0].health_check.path: 'path' is only valid with type http "
            "(this check is type tcp)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: script, command: [a], method: GET }\n")),
            "t.yaml:8:49: clusters[0].health_check.method: 'method' is only valid with type http "
            "(this check is type script)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, send: x }\n")),
            "t.yaml:8:33: clusters[0].health_check.send: 'send' is only valid with type tcp (this "
            "check is type http)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, expect: x }\n")),
            "t.yaml:8:33: clusters[0].health_check.expect: 'expect' is only valid with type tcp "
            "(this check is type http)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, command: [a] }\n")),
            "t.yaml:8:32: clusters[0].health_check.command: 'command' is only valid with type "
            "script (this check is type tcp)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, expect_status: 200 }\n")),
            "t.yaml:8:32: clusters[0].health_check.expect_status: 'expect_status' is only valid "
            "with type http (this check is type tcp)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, host: a }\n")),
            "t.yaml:8:32: clusters[0].health_check.host: 'host' is only valid with type http "
            "(this check is type tcp)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, body_contains: a }\n")),
            "t.yaml:8:32: clusters[0].health_check.body_contains: 'body_contains' is only valid "
            "with type http (this check is type tcp)");
}

TEST(ConfigHealthCheck, TimingErrors) {
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, interval: 1s, timeout: 1s }\n")),
            "t.yaml:8:55: clusters[0].health_check.timeout: timeout (1s) must be shorter than "
            "interval (1s)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, interval: 1s }\n")),
            "t.yaml:8:42: clusters[0].health_check.interval: timeout (2s, the default) must be "
            "shorter than interval (1s)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, timeout: 5s }\n")),
            "t.yaml:8:41: clusters[0].health_check.timeout: timeout (5s) must be shorter than "
            "interval (5s, the default)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, interval: 0s }\n")),
            "t.yaml:8:42: clusters[0].health_check.interval: must be greater than 0");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, timeout: 0ms }\n")),
            "t.yaml:8:41: clusters[0].health_check.timeout: must be greater than 0");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, jitter: soon }\n")),
            "t.yaml:8:40: clusters[0].health_check.jitter: invalid duration 'soon' (expected e.g. "
            "250ms, 5s, 2m, 1h, or a number of seconds)");
  EXPECT_EQ(clusterWith("    health_check: { type: tcp, jitter: 0 }\n").health_check.jitter_ms, 0u);
}

TEST(ConfigHealthCheck, RiseFallErrors) {
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, rise: 0 }\n")),
            "t.yaml:8:38: clusters[0].health_check.rise: must be at least 1");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, fall: 0 }\n")),
            "t.yaml:8:38: clusters[0].health_check.fall: must be at least 1");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, fall: 1001 }\n")),
            "t.yaml:8:38: clusters[0].health_check.fall: value 1001 is too large (maximum 1000)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, rise: two }\n")),
            "t.yaml:8:38: clusters[0].health_check.rise: expected a non-negative integer, got "
            "'two'");
}

TEST(ConfigHealthCheck, HttpValueErrors) {
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, path: health }\n")),
            "t.yaml:8:39: clusters[0].health_check.path: path must start with '/', got 'health'");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, path: \"/a b\" }\n")),
            "t.yaml:8:39: clusters[0].health_check.path: path must not contain spaces or control "
            "characters");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, method: \"GET /\" }\n")),
            "t.yaml:8:41: clusters[0].health_check.method: invalid method 'GET /' (expected e.g. "
            "GET or HEAD)");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, method: \"\" }\n")),
            "t.yaml:8:41: clusters[0].health_check.method: must not be empty");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, host: \"a\\r\\nX: y\" }\n")),
            "t.yaml:8:39: clusters[0].health_check.host: host must not contain spaces or control "
            "characters");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, body_contains: \"\" }\n")),
            "t.yaml:8:48: clusters[0].health_check.body_contains: must not be empty");
}

TEST(ConfigHealthCheck, ExpectStatusErrors) {
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, expect_status: [200, ok] }\n")),
            "t.yaml:8:54: clusters[0].health_check.expect_status[1]: expected a status code from "
            "100 to 599 or a range like \"200-299\", got 'ok'");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, expect_status: [600] }\n")),
            "t.yaml:8:49: clusters[0].health_check.expect_status[0]: status codes must be from "
            "100 to 599, got '600'");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, expect_status: 99-200 }\n")),
            "t.yaml:8:48: clusters[0].health_check.expect_status: status codes must be from 100 "
            "to 599, got '99-200'");
  EXPECT_EQ(
      errorOf(withCluster("    health_check: { type: http, expect_status: [\"299-200\"] }\n")),
      "t.yaml:8:49: clusters[0].health_check.expect_status[0]: range '299-200' is empty: "
      "its start is above its end");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, expect_status: [200-] }\n")),
            "t.yaml:8:49: clusters[0].health_check.expect_status[0]: expected a status code from "
            "100 to 599 or a range like \"200-299\", got '200-'");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, expect_status: [] }\n")),
            "t.yaml:8:48: clusters[0].health_check.expect_status: at least one status code or "
            "range is required");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: http, expect_status: [[200]] }\n")),
            "t.yaml:8:49: clusters[0].health_check.expect_status[0]: expected a status code from "
            "100 to 599 or a range like \"200-299\", got a list");
}

TEST(ConfigHealthCheck, TcpErrors) {
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, send: \"\" }\n")),
            "t.yaml:8:38: clusters[0].health_check.send: must not be empty");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: tcp, expect: [a] }\n")),
            "t.yaml:8:40: clusters[0].health_check.expect: expected a string, got a list");
}

TEST(ConfigHealthCheck, ScriptErrors) {
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: script }\n")),
            "t.yaml:8:19: clusters[0].health_check.command: missing required key 'command'");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: script, command: [] }\n")),
            "t.yaml:8:44: clusters[0].health_check.command: must not be empty: give at least the "
            "program to run");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: script, command: /bin/check }\n")),
            "t.yaml:8:44: clusters[0].health_check.command: expected a list: the program and its "
            "arguments, e.g. [/usr/bin/check, --fast], got '/bin/check'");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: script, command: [\"\", x] }\n")),
            "t.yaml:8:45: clusters[0].health_check.command[0]: the program must not be empty");
  EXPECT_EQ(errorOf(withCluster("    health_check: { type: script, command: [a, { b: c }] }\n")),
            "t.yaml:8:48: clusters[0].health_check.command[1]: expected a string, got a map");
}

// ---- outlier_detection ----

TEST(ConfigOutlierDetection, PresenceEnablesWithDefaults) {
  const OutlierDetection od = clusterWith("    outlier_detection: {}\n").outlier_detection;
  const OutlierDetection d;
  EXPECT_TRUE(od.enabled);
  EXPECT_EQ(od.consecutive_5xx, d.consecutive_5xx);
  EXPECT_EQ(od.consecutive_connect_failures, d.consecutive_connect_failures);
  EXPECT_EQ(od.base_ejection_ms, d.base_ejection_ms);
  EXPECT_EQ(od.max_ejection_ms, d.max_ejection_ms);
  EXPECT_EQ(od.max_ejection_percent, d.max_ejection_percent);
}

TEST(ConfigOutlierDetection, Keys) {
  const OutlierDetection od = clusterWith(R"(    outlier_detection:
      consecutive_5xx: 10
      consecutive_connect_failures: 1
      base_ejection_time: 5s
      max_ejection_time: 5s
      max_ejection_percent: 0
)")
                                  .outlier_detection;
  EXPECT_TRUE(od.enabled);
  EXPECT_EQ(od.consecutive_5xx, 10u);
  EXPECT_EQ(od.consecutive_connect_failures, 1u);
  EXPECT_EQ(od.base_ejection_ms, 5000u);
  EXPECT_EQ(od.max_ejection_ms, 5000u);
  EXPECT_EQ(od.max_ejection_percent, 0u);
  EXPECT_EQ(clusterWith("    outlier_detection: { max_ejection_percent: 100 }\n")
                .outlier_detection.max_ejection_percent,
            100u);
}

TEST(ConfigOutlierDetection, Errors) {
  EXPECT_EQ(errorOf(withCluster("    outlier_detection: true\n")),
            "t.yaml:8:24: clusters[0].outlier_detection: expected a map with keys "
            "consecutive_5xx, consecutive_connect_failures, base_ejection_time, "
            "max_ejection_time, max_ejection_percent, got 'true'");
  EXPECT_EQ(errorOf(withCluster("    outlier_detection: { consecutive_500: 3 }\n")),
            "t.yaml:8:26: clusters[0].outlier_detection.consecutive_500: unknown key "
            "'consecutive_500', did you mean 'consecutive_5xx'?");
  EXPECT_EQ(errorOf(withCluster("    outlier_detection: { consecutive_5xx: 0 }\n")),
            "t.yaml:8:43: clusters[0].outlier_detection.consecutive_5xx: must be at least 1");
  EXPECT_EQ(errorOf(withCluster("    outlier_detection: { consecutive_connect_failures: 0 }\n")),
            "t.yaml:8:56: clusters[0].outlier_detection.consecutive_connect_failures: must be at "
            "least 1");
  EXPECT_EQ(errorOf(withCluster("    outlier_detection: { max_ejection_percent: 101 }\n")),
            "t.yaml:8:48: clusters[0].outlier_detection.max_ejection_percent: value 101 is too "
            "large (maximum 100)");
  EXPECT_EQ(errorOf(withCluster("    outlier_detection: { base_ejection_time: 0s }\n")),
            "t.yaml:8:46: clusters[0].outlier_detection.base_ejection_time: must be greater than "
            "0");
  EXPECT_EQ(errorOf(withCluster("    outlier_detection: { max_ejection_time: 10s }\n")),
            "t.yaml:8:45: clusters[0].outlier_detection.max_ejection_time: max_ejection_time "
            "(10s) must not be shorter than base_ejection_time (30s, the default)");
  EXPECT_EQ(errorOf(withCluster("    outlier_detection: { base_ejection_time: 10m }\n")),
            "t.yaml:8:46: clusters[0].outlier_detection.base_ejection_time: max_ejection_time "
            "(5m, the default) must not be shorter than base_ejection_time (10m)");
}

// ---- slow_start ----

TEST(ConfigSlowStart, Values) {
  EXPECT_EQ(clusterWith("    slow_start: 30s\n").slow_start_ms, 30000u);
  EXPECT_EQ(clusterWith("    slow_start: 0\n").slow_start_ms, 0u);
  EXPECT_EQ(clusterWith("    slow_start: 1500ms\n").slow_start_ms, 1500u);
}

TEST(ConfigSlowStart, Errors) {
  EXPECT_EQ(errorOf(withCluster("    slow_start: fast\n")),
            "t.yaml:8:17: clusters[0].slow_start: invalid duration 'fast' (expected e.g. 250ms, "
            "5s, 2m, 1h, or a number of seconds)");
  EXPECT_EQ(errorOf(withCluster("    slow_statr: 1s\n")),
            "t.yaml:8:5: clusters[0].slow_statr: unknown key 'slow_statr', did you mean "
            "'slow_start'?");
}

// ---- retry ----

TEST(ConfigRetry, RetryOnReplacesTheDefaults) {
  RetryPolicy r = clusterWith("    retry: { retry_on: [503] }\n").retry;
  EXPECT_FALSE(r.on_connect_failure);
  EXPECT_FALSE(r.on_reset);
  EXPECT_FALSE(r.on_502);
  EXPECT_TRUE(r.on_503);
  EXPECT_FALSE(r.on_504);
  EXPECT_FALSE(r.on_per_try_timeout);
  r = clusterWith("    retry: { retry_on: [] }\n").retry;
  EXPECT_FALSE(r.on_connect_failure || r.on_reset || r.on_502 || r.on_503 || r.on_504 ||
               r.on_per_try_timeout);
  r = clusterWith("    retry: { retry_on: [reset, \"502\", per-try-timeout] }\n").retry;
  EXPECT_FALSE(r.on_connect_failure);
  EXPECT_TRUE(r.on_reset);
  EXPECT_TRUE(r.on_502);
  EXPECT_TRUE(r.on_per_try_timeout);
}

TEST(ConfigRetry, Keys) {
  const RetryPolicy r = clusterWith(R"(    retry:
      max_retries: 0
      per_try_timeout: 0
      timeout: 0
      backoff: { base: 0ms, max: 1s }
      budget: { percent: 100, min_concurrency: 0 }
)")
                            .retry;
  EXPECT_TRUE(r.on_connect_failure);  // defaults kept when retry_on is absent
  EXPECT_TRUE(r.on_reset);
  EXPECT_EQ(r.max_retries, 0u);
  EXPECT_EQ(r.per_try_timeout_ms, 0u);
  EXPECT_EQ(r.timeout_ms, 0u);
  EXPECT_EQ(r.backoff_base_ms, 0u);
  EXPECT_EQ(r.backoff_max_ms, 1000u);
  EXPECT_EQ(r.budget_percent, 100u);
  EXPECT_EQ(r.budget_min_concurrency, 0u);
  const RetryPolicy big =
      clusterWith("    retry: { max_retries: 10, per_try_timeout: 5s, timeout: 5s }\n").retry;
  EXPECT_EQ(big.max_retries, 10u);
  EXPECT_EQ(big.per_try_timeout_ms, 5000u);
  EXPECT_EQ(big.timeout_ms, 5000u);
  // A per-try timeout alone (no overall budget) is fine whatever its length.
  EXPECT_EQ(clusterWith("    retry: { per_try_timeout: 1h }\n").retry.per_try_timeout_ms, 3600000u);
}

TEST(ConfigRetry, RetryOnErrors) {
  EXPECT_EQ(errorOf(withCluster("    retry: { retry_on: [501] }\n")),
            "t.yaml:8:25: clusters[0].retry.retry_on[0]: invalid value '501', expected one of "
            "connect-failure, reset, 502, 503, 504, per-try-timeout (did you mean '502'?)");
  EXPECT_EQ(errorOf(withCluster("    retry: { retry_on: [connect_failure] }\n")),
            "t.yaml:8:25: clusters[0].retry.retry_on[0]: invalid value 'connect_failure', "
            "expected one of connect-failure, reset, 502, 503, 504, per-try-timeout (did you mean "
            "'connect-failure'?)");
  EXPECT_EQ(errorOf(withCluster("    retry: { retry_on: 503 }\n")),
            "t.yaml:8:24: clusters[0].retry.retry_on: expected a list of retry conditions, got "
            "'503'");
  EXPECT_EQ(errorOf(withCluster("    retry: { retry_on: [503, reset, 503] }\n")),
            "t.yaml:8:37: clusters[0].retry.retry_on[2]: '503' is listed twice");
}

TEST(ConfigRetry, Errors) {
  EXPECT_EQ(errorOf(withCluster("    retry: { timout: 1s }\n")),
            "t.yaml:8:14: clusters[0].retry.timout: unknown key 'timout', did you mean "
            "'timeout'?");
  EXPECT_EQ(errorOf(withCluster("    retry: { max_retries: 11 }\n")),
            "t.yaml:8:27: clusters[0].retry.max_retries: value 11 is too large (maximum 10)");
  EXPECT_EQ(errorOf(withCluster("    retry: { per_try_timeout: 2s, timeout: 1s }\n")),
            "t.yaml:8:31: clusters[0].retry.per_try_timeout: per_try_timeout (2s) must not be "
            "longer than timeout (1s)");
  EXPECT_EQ(errorOf(withCluster("    retry: { timeout: forever }\n")),
            "t.yaml:8:23: clusters[0].retry.timeout: invalid duration 'forever' (expected e.g. "
            "250ms, 5s, 2m, 1h, or a number of seconds)");
  EXPECT_EQ(errorOf(withCluster("    retry: [503]\n")),
            "t.yaml:8:12: clusters[0].retry: expected a map with keys retry_on, max_retries, "
            "per_try_timeout, timeout, backoff, budget, got a list");
}

TEST(ConfigRetry, BackoffAndBudgetErrors) {
  EXPECT_EQ(errorOf(withCluster("    retry: { backoff: { base: 1s, max: 100ms } }\n")),
            "t.yaml:8:40: clusters[0].retry.backoff.max: max (100ms) must not be shorter than "
            "base (1s)");
  EXPECT_EQ(errorOf(withCluster("    retry: { backoff: { base: 1s } }\n")),
            "t.yaml:8:31: clusters[0].retry.backoff.base: max (250ms, the default) must not be "
            "shorter than base (1s)");
  EXPECT_EQ(errorOf(withCluster("    retry: { backoff: { bsae: 1s } }\n")),
            "t.yaml:8:25: clusters[0].retry.backoff.bsae: unknown key 'bsae', did you mean "
            "'base'?");
  EXPECT_EQ(errorOf(withCluster("    retry: { budget: { percent: 101 } }\n")),
            "t.yaml:8:33: clusters[0].retry.budget.percent: value 101 is too large (maximum "
            "100)");
  EXPECT_EQ(errorOf(withCluster("    retry: { budget: { percent: -1 } }\n")),
            "t.yaml:8:33: clusters[0].retry.budget.percent: expected a non-negative integer, got "
            "'-1'");
  EXPECT_EQ(errorOf(withCluster("    retry: { budget: { min_concurency: 3 } }\n")),
            "t.yaml:8:24: clusters[0].retry.budget.min_concurency: unknown key 'min_concurency', "
            "did you mean 'min_concurrency'?");
}

// ---- circuit_breaker ----

TEST(ConfigCircuitBreaker, Values) {
  CircuitBreaker cb = clusterWith("    circuit_breaker: { max_connections: 10 }\n").circuit_breaker;
  EXPECT_EQ(cb.max_connections, 10u);
  EXPECT_EQ(cb.max_pending, 0u);
  EXPECT_EQ(cb.max_requests, 0u);
  cb = clusterWith("    circuit_breaker: { max_pending: 0, max_requests: 100000000 }\n")
           .circuit_breaker;
  EXPECT_EQ(cb.max_pending, 0u);
  EXPECT_EQ(cb.max_requests, 100000000u);
}

TEST(ConfigCircuitBreaker, Errors) {
  EXPECT_EQ(errorOf(withCluster("    circuit_breaker: { max_request: 1 }\n")),
            "t.yaml:8:24: clusters[0].circuit_breaker.max_request: unknown key 'max_request', did "
            "you mean 'max_requests'?");
  EXPECT_EQ(errorOf(withCluster("    circuit_breaker: { max_connections: -5 }\n")),
            "t.yaml:8:41: clusters[0].circuit_breaker.max_connections: expected a non-negative "
            "integer, got '-5'");
  EXPECT_EQ(errorOf(withCluster("    circuit_breaker: { max_pending: 100000001 }\n")),
            "t.yaml:8:37: clusters[0].circuit_breaker.max_pending: value 100000001 is too large "
            "(maximum 100000000)");
}

// ---- sticky ----

TEST(ConfigSticky, Cookie) {
  EXPECT_EQ(clusterWith("    sticky: { cookie: PORTICO_SRV }\n").sticky_cookie, "PORTICO_SRV");
  EXPECT_EQ(clusterWith("    sticky: { cookie: srv-id }\n").sticky_cookie, "srv-id");
}

TEST(ConfigSticky, Errors) {
  EXPECT_EQ(errorOf(withCluster("    sticky: {}\n")),
            "t.yaml:8:13: clusters[0].sticky.cookie: missing required key 'cookie'");
  EXPECT_EQ(errorOf(withCluster("    sticky: { cookie: \"a b\" }\n")),
            "t.yaml:8:23: clusters[0].sticky.cookie: cookie name must be a single token (letters, "
            "digits, -._~ etc.), got 'a b'");
  EXPECT_EQ(errorOf(withCluster("    sticky: { cookie: \"a=b\" }\n")),
            "t.yaml:8:23: clusters[0].sticky.cookie: cookie name must be a single token (letters, "
            "digits, -._~ etc.), got 'a=b'");
  EXPECT_EQ(errorOf(withCluster("    sticky: { cookie: \"\" }\n")),
            "t.yaml:8:23: clusters[0].sticky.cookie: must not be empty");
  EXPECT_EQ(errorOf(withCluster("    sticky: { cokie: x }\n")),
            "t.yaml:8:15: clusters[0].sticky.cokie: unknown key 'cokie', did you mean 'cookie'?");
  EXPECT_EQ(errorOf(withCluster("    sticky: PORTICO_SRV\n")),
            "t.yaml:8:13: clusters[0].sticky: expected a map with keys cookie, got 'PORTICO_SRV'");
}

// ---- admin ----

TEST(ConfigAdmin, Address) {
  EXPECT_EQ(loadConfigText(std::string(kBase) + "admin: { address: \"[::1]:9901\" }\n", "t.yaml")
                ->admin.address,
            "[::1]:9901");
  EXPECT_EQ(
      loadConfigText(std::string(kBase) + "admin: { address: :9901 }\n", "t.yaml")->admin.address,
      ":9901");
}

TEST(ConfigAdmin, Errors) {
  EXPECT_EQ(errorOf(std::string(kBase) + "admin: {}\n"),
            "t.yaml:8:8: admin.address: missing required key 'address'");
  EXPECT_EQ(errorOf(std::string(kBase) + "admin: { address: 127.0.0.1 }\n"),
            "t.yaml:8:19: admin.address: invalid address '127.0.0.1': expected HOST:PORT, e.g. "
            "127.0.0.1:8080");
  EXPECT_EQ(errorOf(std::string(kBase) + "admin: { address: 127.0.0.1:8080 }\n"),
            "t.yaml:8:19: admin.address: admin address '127.0.0.1:8080' is also used by "
            "listeners[0]");
  EXPECT_EQ(errorOf(std::string(kBase) + "admin: { adress: 127.0.0.1:9901 }\n"),
            "t.yaml:8:10: admin.adress: unknown key 'adress', did you mean 'address'?");
  EXPECT_EQ(errorOf(std::string(kBase) + "admni: { address: 127.0.0.1:9901 }\n"),
            "t.yaml:8:1: admni: unknown key 'admni', did you mean 'admin'?");
  EXPECT_EQ(errorOf(std::string(kBase) + "admin: 127.0.0.1:9901\n"),
            "t.yaml:8:8: admin: expected a map with keys address, got '127.0.0.1:9901'");
}

}  // namespace
}  // namespace portico::config
