// HealthChecker against real tiny servers on 127.0.0.1 (each an accept loop in a std::thread),
// real scripts (/bin/true, /bin/sh -c 'exit 1', sleep) and a closed port.
#include "upstream/health/health_checker.h"

#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "event/loop.h"
#include "net/address.h"
#include "upstream/host_state.h"

namespace portico::upstream::health {
namespace {

using Clock = std::chrono::steady_clock;
using config::HealthCheck;

// Polls `pred` every 5 ms until it holds or `ms` pass. Returns whether it held.
bool waitFor(const std::function<bool()>& pred, int ms = 5000) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// Reads until the end of a request head (or `until`), EOF, or the 2 s receive timeout.
std::string readUntil(int fd, const std::string& until = "\r\n\r\n") {
  std::string in;
  char buf[4096];
  while (in.find(until) == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  return in;
}

void writeAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::string httpResponse(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

// A TCP server on 127.0.0.1:<ephemeral>. Each accepted connection goes to the handler, one at a
// time, on the server's thread; the connection is closed afterwards unless the handler returns
// true (then it stays open, unanswered, until the server is destroyed).
class TestServer {
 public:
  using Handler = std::function<bool(int fd)>;

  explicit TestServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "test server: " << std::strerror(errno);
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }

  ~TestServer() {
    stop_.store(true);
    thread_.join();
    for (int fd : held_) ::close(fd);
    ::close(fd_);
  }

  uint16_t port() const { return port_; }
  // Connections accepted so far.
  int accepted() const { return accepted_.load(); }

 private:
  void run() {
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      timeval tv{2, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      accepted_.fetch_add(1);
      if (handler_(c)) {
        held_.push_back(c);
      } else {
        ::close(c);
      }
    }
  }

  Handler handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> held_;
};

// Answers every request with `response` (after reading the request head).
TestServer::Handler respond(std::string response) {
  return [response](int fd) {
    readUntil(fd);
    writeAll(fd, response);
    return false;
  };
}

// A check with short timings; tests adjust it.
HealthCheck check(HealthCheck::Type type) {
  HealthCheck hc;
  hc.type = type;
  hc.interval_ms = 50;
  hc.timeout_ms = 2000;  // longer than the interval: a slow check is then skipped, not failed
  hc.rise = 1;
  hc.fall = 1;
  return hc;
}

Target target(uint16_t port, const HealthCheck& hc, bool healthy = true) {
  Target t;
  t.cluster = "web";
  t.address_text = "127.0.0.1:" + std::to_string(port);
  EXPECT_TRUE(net::parseAddress(t.address_text, t.address));
  t.check = hc;
  t.state = std::make_shared<HostState>();
  t.state->healthy.store(healthy);
  return t;
}

// A port nothing listens on (bound once to get a free number, then released).
uint16_t closedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Runs one target until its state's `healthy` equals `want` (or the deadline passes).
bool becomes(Target t, bool want, int ms = 5000) {
  std::shared_ptr<HostState> state = t.state;
  HealthChecker hc;
  hc.setTargets({std::move(t)});
  hc.start();
  return waitFor([&] { return state->healthy.load() == want; }, ms);
}

bool healthyAfterChecks(Target t) {
  return becomes(std::move(t), true);
}
bool unhealthyAfterChecks(Target t) {
  return becomes(std::move(t), false);
}

// ---- http ----

TEST(HealthHttp, UpOnExpectedStatus) {
  TestServer server(respond(httpResponse(200, "fine")));
  Target t = target(server.port(), check(HealthCheck::Type::Http), /*healthy=*/false);
  std::shared_ptr<HostState> state = t.state;
  const uint64_t before = event::monotonicMs();
  EXPECT_TRUE(healthyAfterChecks(std::move(t)));
  EXPECT_GE(state->available_since_ms.load(), before);
}

TEST(HealthHttp, DownOnUnexpectedStatus) {
  TestServer server(respond(httpResponse(500, "oops")));
  EXPECT_TRUE(unhealthyAfterChecks(target(server.port(), check(HealthCheck::Type::Http))));
}

TEST(HealthHttp, ExpectStatusRanges) {
  TestServer not_found(respond(httpResponse(404, "")));
  HealthCheck hc = check(HealthCheck::Type::Http);
  hc.expect_status = {{200, 299}, {404, 404}};
  EXPECT_TRUE(healthyAfterChecks(target(not_found.port(), hc, false)));
  TestServer redirect(respond(httpResponse(302, "")));  // in the default 200-399
  EXPECT_TRUE(healthyAfterChecks(target(redirect.port(), check(HealthCheck::Type::Http), false)));
  hc.expect_status = {{200, 200}};
  EXPECT_TRUE(unhealthyAfterChecks(target(redirect.port(), hc)));
}

TEST(HealthHttp, BodyContains) {
  HealthCheck hc = check(HealthCheck::Type::Http);
  hc.body_contains = "\"status\":\"up\"";
  TestServer good(respond(httpResponse(200, "{\"db\":1,\"status\":\"up\"}")));
  EXPECT_TRUE(healthyAfterChecks(target(good.port(), hc, false)));
  TestServer bad(respond(httpResponse(200, "{\"status\":\"down\"}")));
  EXPECT_TRUE(unhealthyAfterChecks(target(bad.port(), hc)));
  // The body is decoded: the needle is split across chunks.
  TestServer chunked(
      respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
              "chunked\r\n\r\n6\r\n{\"stat\r\n9\r\nus\":\"up\"}\r\n0\r\n\r\n"));
  EXPECT_TRUE(healthyAfterChecks(target(chunked.port(), hc, false)));
  // Read until close when there is no framing.
  TestServer until_close(respond("HTTP/1.1 200 OK\r\n\r\n...\"status\":\"up\"..."));
  EXPECT_TRUE(healthyAfterChecks(target(until_close.port(), hc, false)));
  // Status first: a 503 with the right body is still down.
  TestServer unavailable(respond(httpResponse(503, "\"status\":\"up\"")));
  EXPECT_TRUE(unhealthyAfterChecks(target(unavailable.port(), hc)));
}

TEST(HealthHttp, TimeoutWhenTheServerNeverAnswers) {
  TestServer silent([](int) { return true; });  // accept, keep open, never answer
  HealthCheck hc = check(HealthCheck::Type::Http);
  hc.interval_ms = 100;
  hc.timeout_ms = 60;
  Target t = target(silent.port(), hc);
  std::shared_ptr<HostState> state = t.state;
  const auto start = Clock::now();
  EXPECT_TRUE(unhealthyAfterChecks(std::move(t)));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(55));
}

TEST(HealthHttp, ClosedWithoutResponseOrGarbageIsDown) {
  TestServer closer([](int) { return false; });
  EXPECT_TRUE(unhealthyAfterChecks(target(closer.port(), check(HealthCheck::Type::Http))));
  TestServer garbage(respond("SSH-2.0-OpenSSH_9.2\r\n"));
  EXPECT_TRUE(unhealthyAfterChecks(target(garbage.port(), check(HealthCheck::Type::Http))));
}

TEST(HealthHttp, SendsTheConfiguredRequest) {
  std::mutex mu;
  std::vector<std::string> requests;
  TestServer server([&](int fd) {
    std::string req = readUntil(fd);
    {
      std::lock_guard<std::mutex> g(mu);
      requests.push_back(std::move(req));
    }
    writeAll(fd, httpResponse(200, ""));
    return false;
  });
  HealthCheck hc = check(HealthCheck::Type::Http);
  hc.method = "HEAD";
  hc.path = "/health?deep=1";
  hc.host = "health.local";
  EXPECT_TRUE(healthyAfterChecks(target(server.port(), hc, false)));
  EXPECT_TRUE(healthyAfterChecks(target(server.port(), check(HealthCheck::Type::Http), false)));
  std::lock_guard<std::mutex> g(mu);
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests.front(),
            "HEAD /health?deep=1 HTTP/1.1\r\nHost: health.local\r\nConnection: close\r\n"
            "User-Agent: portico-health\r\n\r\n");
  EXPECT_EQ(requests.back(), "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                                 "\r\nConnection: close\r\nUser-Agent: portico-health\r\n\r\n");
}

// ---- tcp ----

TEST(HealthTcp, ConnectToAClosedPortIsDown) {
  EXPECT_TRUE(unhealthyAfterChecks(target(closedPort(), check(HealthCheck::Type::Tcp))));
}

TEST(HealthTcp, ConnectOnlyIsUp) {
  TestServer server([](int) { return false; });
  EXPECT_TRUE(healthyAfterChecks(target(server.port(), check(HealthCheck::Type::Tcp), false)));
  EXPECT_GE(server.accepted(), 1);
}

TEST(HealthTcp, SendExpect) {
  auto pong = [](const std::string& reply) -> TestServer::Handler {
    return [reply](int fd) {
      if (readUntil(fd, "PING\r\n").find("PING\r\n") != std::string::npos) writeAll(fd, reply);
      return false;
    };
  };
  HealthCheck hc = check(HealthCheck::Type::Tcp);
  hc.send = "PING\r\n";
  hc.expect = "+PONG";
  TestServer partial(pong("+PO"));  // only part of the expected text, then close
  EXPECT_TRUE(unhealthyAfterChecks(target(partial.port(), hc)));
  TestServer ok(pong("+PONG\r\n"));
  EXPECT_TRUE(healthyAfterChecks(target(ok.port(), hc, false)));
  TestServer err(pong("-ERR unknown command\r\n"));
  EXPECT_TRUE(unhealthyAfterChecks(target(err.port(), hc)));
  // Expect without send: a banner.
  TestServer banner([](int fd) {
    writeAll(fd, "220 smtp.example ESMTP\r\n");
    return false;
  });
  HealthCheck banner_check = check(HealthCheck::Type::Tcp);
  banner_check.expect = "220 ";
  EXPECT_TRUE(healthyAfterChecks(target(banner.port(), banner_check, false)));
}

TEST(HealthTcp, ExpectTimesOut) {
  TestServer silent([](int) { return true; });
  HealthCheck hc = check(HealthCheck::Type::Tcp);
  hc.send = "PING\r\n";
  hc.expect = "PONG";
  hc.interval_ms = 100;
  hc.timeout_ms = 60;
  EXPECT_TRUE(unhealthyAfterChecks(target(silent.port(), hc)));
}

// ---- script ----

TEST(HealthScript, ExitZeroIsUp) {
  HealthCheck hc = check(HealthCheck::Type::Script);
  hc.command = {"/bin/true"};
  EXPECT_TRUE(healthyAfterChecks(target(9, hc, false)));
}

TEST(HealthScript, ExitNonZeroIsDown) {
  HealthCheck hc = check(HealthCheck::Type::Script);
  hc.command = {"/bin/sh", "-c", "exit 1"};
  EXPECT_TRUE(unhealthyAfterChecks(target(9, hc)));
}

TEST(HealthScript, SeesHostAndPortAndSearchesPath) {
  HealthCheck hc = check(HealthCheck::Type::Script);
  hc.command = {"sh", "-c", "test \"$PORTICO_HOST\" = 127.0.0.1 && test \"$PORTICO_PORT\" = 4321"};
  EXPECT_TRUE(healthyAfterChecks(target(4321, hc, false)));
  EXPECT_TRUE(unhealthyAfterChecks(target(4322, hc)));
}

TEST(HealthScript, MissingProgramIsDown) {
  HealthCheck hc = check(HealthCheck::Type::Script);
  hc.command = {"/nonexistent/portico-check"};
  EXPECT_TRUE(unhealthyAfterChecks(target(9, hc)));
}

TEST(HealthScript, TimeoutKillsTheScript) {
  HealthCheck hc = check(HealthCheck::Type::Script);
  hc.command = {"sleep", "5"};
  hc.interval_ms = 300;
  hc.timeout_ms = 200;
  const auto start = Clock::now();
  {
    Target t = target(9, hc);
    std::shared_ptr<HostState> state = t.state;
    HealthChecker checker;
    checker.setTargets({std::move(t)});
    checker.start();
    EXPECT_TRUE(waitFor([&] { return !state->healthy.load(); }, 3000));
    EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(195));
  }  // stop + join: kills and reaps the sleep started by the latest check, if any
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(4000));
  // Every child of this process was reaped (none running, no zombie).
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

// ---- rise / fall ----

// A server whose answers follow `pattern` ('+' = 200, '-' = 500), then repeat its last one.
// served() counts responses; it is incremented before the response is sent, so when the checker
// acts on a response, served() already counts it.
class PatternServer {
 public:
  explicit PatternServer(std::string pattern)
      : pattern_(std::move(pattern)), server_([this](int fd) {
          readUntil(fd);
          const int n = served_.fetch_add(1);
          const char c = pattern_[std::min<size_t>(n, pattern_.size() - 1)];
          writeAll(fd, httpResponse(c == '+' ? 200 : 500, ""));
          return false;
        }) {}
  uint16_t port() const { return server_.port(); }
  int served() const { return served_.load(); }

 private:
  std::string pattern_;
  std::atomic<int> served_{0};
  TestServer server_;
};

TEST(HealthRiseFall, FallConsecutiveFailuresTakeItDown) {
  PatternServer server("+--+--+----");
  HealthCheck hc = check(HealthCheck::Type::Http);
  hc.fall = 3;
  hc.rise = 2;
  Target t = target(server.port(), hc);
  std::shared_ptr<HostState> state = t.state;
  HealthChecker checker;
  checker.setTargets({std::move(t)});
  checker.start();
  // Never more than two failures in a row before responses 8, 9 and 10; polled every 5 ms
  // with checks every 50 ms, an early fall would be seen with served() below 10.
  EXPECT_TRUE(waitFor([&] { return !state->healthy.load(); }));
  EXPECT_GE(server.served(), 10);
}

TEST(HealthRiseFall, RiseConsecutiveSuccessesBringItBack) {
  PatternServer server("-+-+-++");
  HealthCheck hc = check(HealthCheck::Type::Http);
  hc.fall = 1;
  hc.rise = 2;
  Target t = target(server.port(), hc);
  std::shared_ptr<HostState> state = t.state;
  HealthChecker checker;
  checker.setTargets({std::move(t)});
  checker.start();
  ASSERT_TRUE(waitFor([&] { return !state->healthy.load(); }));
  EXPECT_GE(server.served(), 1);
  // Single successes (responses 2 and 4) are not enough.
  EXPECT_TRUE(waitFor([&] { return state->healthy.load(); }));
  EXPECT_GE(server.served(), 7);
}

TEST(HealthRiseFall, StartsHealthyUntilFallFailures) {
  PatternServer server("-");
  HealthCheck hc = check(HealthCheck::Type::Http);
  hc.fall = 2;
  hc.interval_ms = 100;
  Target t = target(server.port(), hc);
  std::shared_ptr<HostState> state = t.state;
  HealthChecker checker;
  checker.setTargets({std::move(t)});
  checker.start();
  EXPECT_TRUE(waitFor([&] { return !state->healthy.load(); }));
  EXPECT_GE(server.served(), 2);
}

// ---- target management, logging, lifecycle ----

TEST(HealthChecker, LogsEachTransitionOnce) {
  PatternServer server("--------++++++++");
  HealthCheck hc = check(HealthCheck::Type::Http);
  hc.fall = 2;
  hc.rise = 2;
  Target t = target(server.port(), hc);
  std::shared_ptr<HostState> state = t.state;
  testing::internal::CaptureStderr();
  {
    HealthChecker checker;
    checker.setTargets({std::move(t)});
    checker.start();
    EXPECT_TRUE(waitFor([&] { return !state->healthy.load(); }));
    EXPECT_TRUE(waitFor([&] { return state->healthy.load(); }));
    EXPECT_TRUE(waitFor([&] { return server.served() >= 18; }));
  }
  const std::string err = testing::internal::GetCapturedStderr();
  const std::string name = "cluster web server 127.0.0.1:" + std::to_string(server.port());
  const std::string down = name + " is DOWN (http status 500)\n";
  const std::string up = name + " is UP\n";
  ASSERT_NE(err.find(down), std::string::npos) << err;
  EXPECT_EQ(err.find(down, err.find(down) + 1), std::string::npos) << err;
  ASSERT_NE(err.find(up), std::string::npos) << err;
  EXPECT_EQ(err.find(up, err.find(up) + 1), std::string::npos) << err;
  EXPECT_LT(err.find(down), err.find(up));
}

TEST(HealthChecker, RemovedTargetBecomesHealthyAndIsNoLongerChecked) {
  PatternServer server("-");
  Target t = target(server.port(), check(HealthCheck::Type::Http));
  std::shared_ptr<HostState> state = t.state;
  HealthChecker checker;
  checker.setTargets({t});
  checker.start();
  ASSERT_TRUE(waitFor([&] { return !state->healthy.load(); }));
  checker.setTargets({});
  EXPECT_TRUE(waitFor([&] { return state->healthy.load(); }));
  const int served = server.served();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // 4 intervals
  EXPECT_LE(server.served(), served + 1);                       // at most one in flight
  EXPECT_TRUE(state->healthy.load());
  // Checked again once it is back.
  checker.setTargets({t});
  EXPECT_TRUE(waitFor([&] { return !state->healthy.load(); }));
}

TEST(HealthChecker, KeptTargetKeepsItsCounters) {
  PatternServer server("-");
  HealthCheck hc = check(HealthCheck::Type::Http);
  hc.fall = 1000000;  // count failures without ever going down
  Target t = target(server.port(), hc);
  std::shared_ptr<HostState> state = t.state;
  HealthChecker checker;
  checker.setTargets({t});
  checker.start();
  ASSERT_TRUE(waitFor([&] { return server.served() >= 5; }));
  // Same (cluster, address), new settings.
  t.check.interval_ms = 40;
  checker.setTargets({t});
  const int served = server.served();
  ASSERT_TRUE(waitFor([&] { return server.served() >= served + 3; }));
  checker.stop();  // joined: the counters may be read now
  // Every response was counted (bar one in flight at stop), not just those after setTargets.
  EXPECT_GE(state->check_failures + 1, static_cast<uint32_t>(server.served()));
  EXPECT_EQ(state->check_successes, 0u);
  EXPECT_TRUE(state->healthy.load());
}

TEST(HealthChecker, TargetsWithoutACheckAreIgnored) {
  TestServer server([](int) { return false; });
  HealthCheck none;  // type None
  Target t = target(server.port(), none, false);
  std::shared_ptr<HostState> state = t.state;
  HealthChecker checker;
  checker.setTargets({std::move(t)});
  checker.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(server.accepted(), 0);
  EXPECT_FALSE(state->healthy.load());
}

TEST(HealthChecker, ManyTargetsAtOnce) {
  TestServer up(respond(httpResponse(200, "")));
  TestServer down(respond(httpResponse(503, "")));
  std::vector<Target> targets;
  targets.push_back(target(up.port(), check(HealthCheck::Type::Http), false));
  targets.push_back(target(down.port(), check(HealthCheck::Type::Http)));
  targets.push_back(target(closedPort(), check(HealthCheck::Type::Tcp)));
  targets.push_back(target(up.port(), check(HealthCheck::Type::Tcp), false));
  targets[3].cluster = "other";  // same address, another cluster: a separate target
  std::vector<std::shared_ptr<HostState>> states;
  for (const Target& t : targets) states.push_back(t.state);
  HealthChecker checker;
  checker.setTargets(std::move(targets));
  checker.start();
  EXPECT_TRUE(waitFor([&] {
    return states[0]->healthy.load() && !states[1]->healthy.load() && !states[2]->healthy.load() &&
           states[3]->healthy.load();
  }));
}

TEST(HealthChecker, LifecycleWithoutStartOrTargets) {
  { HealthChecker never_started; }
  {
    HealthChecker targets_but_no_start;
    targets_but_no_start.setTargets({target(closedPort(), check(HealthCheck::Type::Tcp))});
  }
  {
    HealthChecker started;
    started.start();
    started.stop();
    started.stop();                                                             // idempotent
    started.setTargets({target(closedPort(), check(HealthCheck::Type::Tcp))});  // ignored
  }
}

}  // namespace
}  // namespace portico::upstream::health
