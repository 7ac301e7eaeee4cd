// ServerContext and ClientContext used by several worker threads while the main thread rotates
// ticket keys and reloads certificates (run under TSan to check the claims of server_context.h).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "handshake.h"
#include "tls/client_context.h"
#include "tls/server_context.h"
#include "tls_test_util.h"

namespace portico::tls {
namespace {

TEST(TlsConcurrency, WorkersHandshakeWhileMainThreadRotatesAndReloads) {
  testing::TestPki pki;
  pki.addLeaf("s", "v0", "DNS:a.test", nullptr);
  config::ListenerTls cfg = testing::listenerTls(pki, {"s"});
  cfg.ticket_rotation_ms = 1;
  auto server_ctx = ServerContext::build(cfg);
  SslCtxPtr client_ctx = testing::makeClientCtx(pki.ca());
  config::ClusterTls upstream_cfg;
  upstream_cfg.enabled = true;
  upstream_cfg.ca_file = pki.ca();
  auto upstream_ctx = ClientContext::build(upstream_cfg);

  std::atomic<bool> stop{false};
  std::atomic<int> handshakes{0}, failures{0}, resumed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&] {
      SSL_SESSION* session = nullptr;
      for (int i = 0; !stop.load(); ++i) {
        // Odd rounds: an upstream-style client sharing one ClientContext (and its session
        // cache) with the other threads.
        if (i % 2 == 1) {
          SslPtr upstream(upstream_ctx->newSsl("a.test"));
          SslPtr server(server_ctx->newSsl());
          if (testing::handshake(upstream.get(), server.get())) {
            ++handshakes;
          } else {
            ++failures;
          }
          continue;
        }
        SslPtr client = testing::makeClient(client_ctx.get(), "a.test");
        if (session != nullptr) SSL_set_session(client.get(), session);
        SslPtr server(server_ctx->newSsl());
        if (!testing::handshake(client.get(), server.get())) {
          ++failures;
          continue;
        }
        ++handshakes;
        if (SSL_session_reused(server.get())) ++resumed;
        SSL_SESSION_free(session);
        session = SSL_get1_session(client.get());
        SSL_shutdown(client.get());
        SSL_shutdown(server.get());
      }
      SSL_SESSION_free(session);
    });
  }
  std::string error;
  for (uint64_t now = 0; now < 40 || handshakes.load() < 30; ++now) {
    server_ctx->rotateTicketKeyIfDue(now);
    if (now % 10 == 5) {
      pki.addLeaf("s", "v" + std::to_string(now), "DNS:a.test", nullptr);
      EXPECT_TRUE(server_ctx->reloadIfChanged(error)) << error;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  stop = true;
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(resumed.load(), 0);
}

}  // namespace
}  // namespace portico::tls
