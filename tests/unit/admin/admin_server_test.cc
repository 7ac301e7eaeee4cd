#include "admin/admin_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "fake_cluster_admin.h"

namespace portico::admin {
namespace {

using nlohmann::json;
using testing::FakeClusterAdmin;

struct Response {
  int status = 0;
  std::string head;  // status line and fields, with CRLFs
  std::string body;
  // The value of field `name` (as portico writes it), or "" when absent.
  std::string header(const std::string& name) const {
    size_t at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    at += name.size() + 4;
    return head.substr(at, head.find("\r\n", at) - at);
  }
};

// A blocking TCP client with a 5 s receive timeout, so a broken server fails the test instead of
// hanging it.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << "send failed";
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads one response (no body for a HEAD request). status stays 0 on EOF or timeout.
  Response read(bool head_request = false) {
    Response r;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return r;
    }
    r.head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    r.status = std::stoi(r.head.substr(9, 3));
    std::string cl = r.header("Content-Length");
    size_t len = head_request || cl.empty() ? 0 : std::stoul(cl);
    while (buf_.size() < len) {
      if (!fill()) return Response{};
    }
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }

  // True when the server closes the connection (EOF or reset) with nothing more to read.
  bool closedByServer() {
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return buf_.empty() && (n == 0 || (n < 0 && errno == ECONNRESET));
  }

 private:
  bool fill() {
    char tmp[4096];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  bool connected_ = false;
  std::string buf_;
};

std::string get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: admin\r\n" + std::string(extra) +
         "\r\n";
}

std::string post(std::string_view method, std::string_view target, std::string_view body) {
  return std::string(method) + " " + std::string(target) +
         " HTTP/1.1\r\nHost: admin\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

class AdminServerTest : public ::testing::Test {
 protected:
  // Binds 127.0.0.1:0 and runs the loop in a thread.
  void start(AdminServerOptions options = {}) {
    net::Address a;
    auto* sin = reinterpret_cast<sockaddr_in*>(&a.ss);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin->sin_port = 0;
    a.len = sizeof(sockaddr_in);
    server = std::make_unique<AdminServer>(loop, a, api, options);
    ASSERT_NE(server->port(), 0);
    thread = std::thread([this] { loop.run(); });
  }
  void stopLoop() {
    if (!thread.joinable()) return;
    loop.stop();
    thread.join();
  }
  void TearDown() override {
    stopLoop();
    server.reset();
  }

  FakeClusterAdmin api;
  event::Loop loop;
  std::unique_ptr<AdminServer> server;
  std::thread thread;
};

TEST_F(AdminServerTest, ListsClustersAndDrainsOnOneKeepAliveConnection) {
  start();
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  c.send(get("/clusters"));
  Response r = c.read();
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("Connection"), "");
  json j = json::parse(r.body);
  ASSERT_EQ(j["clusters"].size(), 2u);
  EXPECT_EQ(j["clusters"][0]["servers"][1]["address"], "127.0.0.1:9002");

  c.send(post("POST", "/clusters/web/servers/%5B%3A%3A1%5D%3A9001/drain", ""));
  r = c.read();
  ASSERT_EQ(r.status, 200) << r.head << r.body;
  j = json::parse(r.body);
  EXPECT_EQ(j["address"], "[::1]:9001");
  EXPECT_EQ(j["admin"], "draining");

  stopLoop();
  EXPECT_EQ(api.state[0].servers[2].admin, upstream::AdminState::Draining);
}

TEST_F(AdminServerTest, AnswersPipelinedRequestsInOrder) {
  start();
  Client c(server->port());
  c.send(get("/health") +
         post("PUT", "/clusters/web/servers/127.0.0.1:9001/weight", R"({"weight": 9})") +
         get("/clusters/nope") + "HEAD /clusters HTTP/1.1\r\nHost: a\r\n\r\n" +
         post("DELETE", "/clusters", ""));
  Response r = c.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["status"], "ok");
  r = c.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["weight"], 9);
  r = c.read();
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.head.substr(0, 22), "HTTP/1.1 404 Not Found");
  r = c.read(/*head_request=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.header("Content-Length"), "0");  // length of the GET body, which is not sent
  r = c.read();
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD");
  // Nothing else arrives: the HEAD response carried no body.
  c.send(get("/health"));
  EXPECT_EQ(c.read().status, 200);
}

TEST_F(AdminServerTest, HonoursConnectionClose) {
  start();
  Client c(server->port());
  c.send(get("/health", "Connection: close\r\n"));
  Response r = c.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(c.closedByServer());

  // HTTP/1.0 without keep-alive closes too.
  Client c10(server->port());
  c10.send("GET /health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(c10.read().status, 200);
  EXPECT_TRUE(c10.closedByServer());
}

TEST_F(AdminServerTest, RejectsChunkedOversizedAndMalformedRequests) {
  start();
  {
    Client c(server->port());
    c.send(
        "POST /clusters/web/servers HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "2\r\n{}\r\n0\r\n\r\n");
    Response r = c.read();
    EXPECT_EQ(r.status, 411);
    EXPECT_TRUE(json::parse(r.body).contains("error"));
    EXPECT_TRUE(c.closedByServer());
  }
  {
    Client c(server->port());
    c.send("POST /clusters/web/servers HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n");
    Response r = c.read();
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.header("Connection"), "close");
    EXPECT_TRUE(c.closedByServer());
  }
  {
    Client c(server->port());
    c.send("GET /health HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n");
    Response r = c.read();
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(json::parse(r.body).contains("error"));
    EXPECT_TRUE(c.closedByServer());
  }
  {
    Client c(server->port());
    c.send("GET /health HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(20000, 'x'));
    EXPECT_EQ(c.read().status, 431);
    EXPECT_TRUE(c.closedByServer());
  }
  stopLoop();
  for (const std::string& call : api.calls) EXPECT_EQ(call.find("add"), std::string::npos);
}

TEST_F(AdminServerTest, BodyMayArriveLaterAndAfter100Continue) {
  start();
  Client c(server->port());
  const std::string body = R"({"address": "127.0.0.1:9004", "weight": 3})";
  c.send(
      "POST /clusters/api/servers HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  Response r = c.read();
  EXPECT_EQ(r.status, 100);
  c.send(body.substr(0, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c.send(body.substr(10));
  r = c.read();
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["servers"].size(), 2u);
}

TEST_F(AdminServerTest, ClosesIdleConnections) {
  start({.idle_timeout_ms = 100});
  Client c(server->port());
  c.send(get("/health"));
  EXPECT_EQ(c.read().status, 200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closedByServer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST_F(AdminServerTest, RefusesConnectionsBeyondTheLimit) {
  start({.max_connections = 1});
  Client a(server->port());
  a.send(get("/health"));
  EXPECT_EQ(a.read().status, 200);
  Client b(server->port());
  EXPECT_TRUE(b.closedByServer());
  a.send(get("/health"));
  EXPECT_EQ(a.read().status, 200);
}

TEST_F(AdminServerTest, DestructorClosesOpenConnections) {
  start();
  Client c(server->port());
  c.send(get("/health"));
  EXPECT_EQ(c.read().status, 200);
  loop.post([this] { server.reset(); });
  EXPECT_TRUE(c.closedByServer());
}

TEST(AdminServer, ThrowsWhenItCannotBind) {
  event::Loop loop;
  FakeClusterAdmin api;
  net::Address a;
  ASSERT_TRUE(net::parseAddress("192.0.2.1:9901", a));  // TEST-NET-1: not a local address
  try {
    AdminServer s(loop, a, api);
    FAIL() << "bound a non-local address";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("192.0.2.1:9901"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace portico::admin
