#include "admin/admin_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "fake_cluster_admin.h"

namespace portico::admin {
namespace {

using nlohmann::json;
using testing::FakeClusterAdmin;

class AdminRoutesTest : public ::testing::Test {
 protected:
  // Runs one request and parses the reply body (every reply body must be JSON).
  json call(std::string_view method, std::string_view target, std::string_view body = "") {
    reply = handleAdminRequest(api, method, target, body);
    json j = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << reply.body;
    if (reply.status >= 400) {
      EXPECT_TRUE(j.contains("error") && j["error"].is_string()) << reply.body;
      EXPECT_EQ(reply.allow.empty(), reply.status != 405) << reply.status;
    } else {
      EXPECT_TRUE(reply.allow.empty());
    }
    return j;
  }
  // The error message of a reply that must have `status`.
  std::string errorOf(int status, std::string_view method, std::string_view target,
                      std::string_view body = "") {
    json j = call(method, target, body);
    EXPECT_EQ(reply.status, status)
        << method << " " << target << " " << body << " -> " << reply.body;
    return j.value("error", "");
  }

  FakeClusterAdmin api;
  AdminReply reply{0, "", ""};
};

TEST_F(AdminRoutesTest, HealthIsOk) {
  json j = call("GET", "/health");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(j, json({{"status", "ok"}}));
  EXPECT_TRUE(api.calls.empty());  // liveness does not ask the clusters
  call("HEAD", "/health");
  EXPECT_EQ(reply.status, 200);
}

TEST_F(AdminRoutesTest, ListsClustersWithEveryServerField) {
  json j = call("GET", "/clusters");
  ASSERT_EQ(reply.status, 200);
  ASSERT_EQ(j["clusters"].size(), 2u);
  const json& web = j["clusters"][0];
  EXPECT_EQ(web["name"], "web");
  EXPECT_EQ(web["policy"], "round_robin");
  ASSERT_EQ(web["servers"].size(), 3u);
  EXPECT_EQ(web["servers"][1], json({{"address", "127.0.0.1:9002"},
                                     {"weight", 2},
                                     {"backup", false},
                                     {"healthy", false},
                                     {"ejected", true},
                                     {"admin", "enabled"},
                                     {"in_flight", 3},
                                     {"requests", 10},
                                     {"failures", 1},
                                     {"ejections", 4}}));
  EXPECT_EQ(j["clusters"][1]["servers"][0]["backup"], true);
  // Fields come out in the documented order.
  EXPECT_LT(reply.body.find("\"address\""), reply.body.find("\"weight\""));
  EXPECT_LT(reply.body.find("\"failures\""), reply.body.find("\"ejections\""));
}

TEST_F(AdminRoutesTest, GetsOneCluster) {
  json j = call("GET", "/clusters/api");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(j["name"], "api");
  EXPECT_EQ(j["policy"], "least_conn");
  EXPECT_EQ(j["servers"][0]["address"], "127.0.0.1:9003");
  EXPECT_NE(errorOf(404, "GET", "/clusters/nope").find("'nope'"), std::string::npos);
}

TEST_F(AdminRoutesTest, IgnoresQueryTrailingSlashAndAbsoluteForm) {
  EXPECT_EQ(call("GET", "/clusters/?pretty=1")["clusters"].size(), 2u);
  EXPECT_EQ(call("GET", "/clusters/web/")["name"], "web");
  EXPECT_EQ(call("GET", "http://admin.local:9901/clusters/web")["name"], "web");
  EXPECT_EQ(call("GET", "http://admin.local:9901")["error"].get<std::string>().find("no such"), 0u);
}

TEST_F(AdminRoutesTest, ListsAndGetsServers) {
  json j = call("GET", "/clusters/web/servers");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(j["servers"].size(), 3u);
  j = call("GET", "/clusters/web/servers/127.0.0.1:9002");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(j["weight"], 2);
  // The same server written differently is found.
  EXPECT_EQ(call("GET", "/clusters/web/servers/[0:0::1]:9001")["address"], "[::1]:9001");
  errorOf(404, "GET", "/clusters/web/servers/127.0.0.1:9999");
  errorOf(404, "GET", "/clusters/nope/servers");
  errorOf(404, "GET", "/clusters/nope/servers/127.0.0.1:9001");
}

TEST_F(AdminRoutesTest, AddsServer) {
  json j = call("POST", "/clusters/web/servers",
                R"({"address": "127.0.0.1:9004", "weight": 2, "backup": false})");
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(api.lastChange(), "add web 127.0.0.1:9004 2");
  EXPECT_EQ(j["name"], "web");
  ASSERT_EQ(j["servers"].size(), 4u);
  EXPECT_EQ(j["servers"][3]["address"], "127.0.0.1:9004");
  EXPECT_EQ(j["servers"][3]["weight"], 2);

  // weight defaults to 1, backup to false.
  call("POST", "/clusters/api/servers", R"({"address": "127.0.0.1:9005"})");
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(api.lastChange(), "add api 127.0.0.1:9005 1");
  call("POST", "/clusters/api/servers", R"({"address": "127.0.0.1:9006", "backup": true})");
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(api.lastChange(), "add api 127.0.0.1:9006 1 backup");
}

TEST_F(AdminRoutesTest, AddServerRejectsBadBodies) {
  const std::string t = "/clusters/web/servers";
  EXPECT_EQ(errorOf(400, "POST", t, ""), "missing JSON body");
  EXPECT_EQ(errorOf(400, "POST", t, "{\"address\": ").find("invalid JSON: "), 0u);
  EXPECT_EQ(errorOf(400, "POST", t, "{'address': 1}").find("invalid JSON: "), 0u);
  EXPECT_EQ(errorOf(400, "POST", t, R"(["127.0.0.1:9004"])"), "request body must be a JSON object");
  EXPECT_EQ(errorOf(400, "POST", t, R"({"address": "127.0.0.1:9004", "wieght": 2})"),
            "unknown field \"wieght\"");
  errorOf(400, "POST", t, R"({"weight": 2})");
  errorOf(400, "POST", t, R"({"address": 9004})");
  errorOf(400, "POST", t, R"({"address": ""})");
  for (const char* w : {"0", "1001", "-1", "2.5", "\"2\"", "true", "null"}) {
    std::string body = std::string(R"({"address": "127.0.0.1:9004", "weight": )") + w + "}";
    EXPECT_NE(errorOf(400, "POST", t, body).find("weight"), std::string::npos) << w;
  }
  errorOf(400, "POST", t, R"({"address": "127.0.0.1:9004", "backup": "yes"})");
  // None of them reached the API.
  for (const std::string& c : api.calls) EXPECT_EQ(c.find("add"), std::string::npos) << c;
  // Weight bounds themselves are fine.
  call("POST", t, R"({"address": "127.0.0.1:9004", "weight": 1000})");
  EXPECT_EQ(reply.status, 201);
}

TEST_F(AdminRoutesTest, AddServerPassesApiErrors) {
  EXPECT_EQ(errorOf(404, "POST", "/clusters/nope/servers", R"({"address": "127.0.0.1:9004"})"),
            "unknown cluster");
  EXPECT_EQ(errorOf(409, "POST", "/clusters/web/servers", R"({"address": "127.0.0.1:9001"})"),
            "duplicate server");
  EXPECT_EQ(errorOf(400, "POST", "/clusters/web/servers", R"({"address": "nowhere"})"),
            "invalid address");
}

TEST_F(AdminRoutesTest, RemovesServer) {
  json j = call("DELETE", "/clusters/web/servers/127.0.0.1:9001");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(api.lastChange().substr(0, 6), "remove");
  EXPECT_EQ(j["name"], "web");
  EXPECT_EQ(j["servers"].size(), 2u);
  EXPECT_EQ(api.state[0].servers.size(), 2u);
  EXPECT_EQ(errorOf(404, "DELETE", "/clusters/web/servers/127.0.0.1:9001"), "unknown server");
  EXPECT_EQ(errorOf(404, "DELETE", "/clusters/nope/servers/127.0.0.1:9001"), "unknown cluster");
}

TEST_F(AdminRoutesTest, DrainsDisablesAndEnables) {
  const std::string base = "/clusters/web/servers/127.0.0.1:9002/";
  json j = call("POST", base + "drain");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(j["address"], "127.0.0.1:9002");
  EXPECT_EQ(j["admin"], "draining");
  EXPECT_EQ(j["in_flight"], 3);  // what an operator watches fall to 0
  EXPECT_EQ(api.state[0].servers[1].admin, upstream::AdminState::Draining);

  EXPECT_EQ(call("POST", base + "disable")["admin"], "disabled");
  EXPECT_EQ(api.state[0].servers[1].admin, upstream::AdminState::Disabled);
  EXPECT_EQ(call("POST", base + "enable")["admin"], "enabled");
  EXPECT_EQ(api.state[0].servers[1].admin, upstream::AdminState::Enabled);
  // A body, if any, is ignored.
  EXPECT_EQ(call("POST", base + "drain", "{}")["admin"], "draining");

  EXPECT_EQ(errorOf(404, "POST", "/clusters/web/servers/127.0.0.1:1/drain"), "unknown server");
  EXPECT_EQ(errorOf(404, "POST", "/clusters/nope/servers/127.0.0.1:9002/disable"),
            "unknown cluster");
}

TEST_F(AdminRoutesTest, SetsWeightWithPutOrPost) {
  const std::string t = "/clusters/web/servers/127.0.0.1:9001/weight";
  json j = call("PUT", t, R"({"weight": 5})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(j["weight"], 5);
  EXPECT_EQ(api.lastChange(), "weight web 127.0.0.1:9001 5");
  EXPECT_EQ(call("POST", t, R"({"weight": 7})")["weight"], 7);
  EXPECT_EQ(api.state[0].servers[0].weight, 7u);

  EXPECT_EQ(errorOf(400, "PUT", t, "{}"), "missing \"weight\"");
  EXPECT_EQ(errorOf(400, "PUT", t, ""), "missing JSON body");
  EXPECT_EQ(errorOf(400, "PUT", t, "5").find("request body must be"), 0u);
  EXPECT_EQ(errorOf(400, "PUT", t, R"({"weight": 5, "backup": true})"), "unknown field \"backup\"");
  errorOf(400, "PUT", t, R"({"weight": 0})");
  errorOf(400, "PUT", t, "{\"weight\": 5");
  EXPECT_EQ(errorOf(404, "PUT", "/clusters/web/servers/127.0.0.1:1/weight", R"({"weight": 5})"),
            "unknown server");
}

TEST_F(AdminRoutesTest, DecodesPercentEncodedAddresses) {
  json j = call("POST", "/clusters/web/servers/%5B%3A%3A1%5D%3A9001/drain");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(api.lastChange(), "state web [::1]:9001 1");
  EXPECT_EQ(j["address"], "[::1]:9001");
  call("PUT", "/clusters/web/servers/127.0.0.1%3a9002/weight", R"({"weight": 3})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(api.lastChange(), "weight web 127.0.0.1:9002 3");
  // A server written differently reaches the API under the address the cluster lists.
  call("POST", "/clusters/web/servers/%5B0%3A0%3A%3A1%5D%3A9001/disable");
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(api.lastChange(), "state web [::1]:9001 2");
  call("PUT", "/clusters/web/servers/[0::1]:9001/weight", R"({"weight": 4})");
  EXPECT_EQ(api.lastChange(), "weight web [::1]:9001 4");
  // Unencoded brackets work too, and cluster names are decoded as well.
  call("DELETE", "/clusters/w%65b/servers/[::1]:9001");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(api.lastChange(), "remove web [::1]:9001");
  // An encoded '/' stays inside its segment.
  errorOf(404, "GET", "/clusters/web%2Fservers");

  EXPECT_EQ(errorOf(400, "POST", "/clusters/web/servers/%5B%3A%3A1%5D%3A900%/drain"),
            "invalid percent-encoding in path");
  errorOf(400, "GET", "/clusters/%G1");
  errorOf(400, "GET", "/clusters/%4");
}

TEST_F(AdminRoutesTest, PercentDecodeUnit) {
  EXPECT_EQ(percentDecode("abc"), "abc");
  EXPECT_EQ(percentDecode("%5b%3A%3a1%5D"), "[::1]");
  EXPECT_EQ(percentDecode("a+b%20c"), "a+b c");
  EXPECT_EQ(percentDecode(""), "");
  EXPECT_EQ(percentDecode("%"), std::nullopt);
  EXPECT_EQ(percentDecode("%2"), std::nullopt);
  EXPECT_EQ(percentDecode("%zz"), std::nullopt);
  EXPECT_EQ(percentDecode("x%2"), std::nullopt);
}

TEST_F(AdminRoutesTest, UnknownEndpointsAre404) {
  for (const char* t :
       {"/", "/nope", "/clusters/web/servers/127.0.0.1:9001/bogus", "/clusters//servers",
        "/clusters/web/nodes", "/health/x", "/clusters/web/servers/127.0.0.1:9001/drain/now"}) {
    EXPECT_EQ(errorOf(404, "GET", t).find("no such endpoint"), 0u) << t;
  }
  errorOf(400, "GET", "clusters");
  errorOf(400, "OPTIONS", "*");
}

TEST_F(AdminRoutesTest, WrongMethodIs405WithAllow) {
  struct Case {
    const char* method;
    const char* target;
    const char* allow;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"POST", "/health", "GET, HEAD"},
           {"DELETE", "/clusters", "GET, HEAD"},
           {"get", "/clusters", "GET, HEAD"},
           {"PUT", "/clusters/web", "GET, HEAD"},
           {"PUT", "/clusters/web/servers", "GET, HEAD, POST"},
           {"POST", "/clusters/web/servers/127.0.0.1:9001", "GET, HEAD, DELETE"},
           {"GET", "/clusters/web/servers/127.0.0.1:9001/drain", "POST"},
           {"PUT", "/clusters/web/servers/127.0.0.1:9001/disable", "POST"},
           {"DELETE", "/clusters/web/servers/127.0.0.1:9001/enable", "POST"},
           {"GET", "/clusters/web/servers/127.0.0.1:9001/weight", "PUT, POST"},
           {"PATCH", "/clusters/web/servers/127.0.0.1:9001/weight", "PUT, POST"},
       }) {
    std::string err = errorOf(405, c.method, c.target);
    EXPECT_EQ(reply.allow, c.allow) << c.method << " " << c.target;
    EXPECT_NE(err.find(c.method), std::string::npos) << err;
  }
  // The method is checked before the cluster exists.
  errorOf(405, "DELETE", "/clusters/nope");
  // No mutation reached the API.
  for (const std::string& c : api.calls) EXPECT_EQ(c, "clusters");
}

TEST_F(AdminRoutesTest, ApiFailuresBecomeErrors) {
  api.error_without_status = true;
  EXPECT_EQ(errorOf(400, "POST", "/clusters/web/servers/127.0.0.1:9001/drain"), "refused");
  api.throw_on_clusters = true;
  EXPECT_EQ(errorOf(500, "GET", "/clusters"), "internal error: boom");
}

TEST_F(AdminRoutesTest, NonUtf8PathStillGivesJson) {
  std::string err = errorOf(404, "GET", "/clusters/%FF%FE");
  EXPECT_EQ(err.find("no cluster named"), 0u) << err;
}

TEST_F(AdminRoutesTest, AdminStateNames) {
  EXPECT_STREQ(adminStateName(upstream::AdminState::Enabled), "enabled");
  EXPECT_STREQ(adminStateName(upstream::AdminState::Draining), "draining");
  EXPECT_STREQ(adminStateName(upstream::AdminState::Disabled), "disabled");
}

}  // namespace
}  // namespace portico::admin
