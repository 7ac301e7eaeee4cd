// ServerContext session resumption: tickets (with key rotation) and the session cache.
#include <gtest/gtest.h>

#include "handshake.h"
#include "tls/server_context.h"
#include "tls_test_util.h"

namespace portico::tls {
namespace {

struct SessionFree {
  void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionFree>;

// One client of a server context, remembering its last session like a browser would.
class ResumingClient {
 public:
  explicit ResumingClient(int version) : ctx_(testing::makeClientCtx(testing::sharedPki().ca())) {
    SSL_CTX_set_min_proto_version(ctx_.get(), version);
    SSL_CTX_set_max_proto_version(ctx_.get(), version);
  }

  // Connects offering `session` (null = none). Returns whether the server resumed it; `*out`
  // gets the session the connection ended with (the new ticket, when one was sent).
  bool connect(ServerContext& server_ctx, SSL_SESSION* session, SessionPtr* out = nullptr) {
    SslPtr client = testing::makeClient(ctx_.get(), "a.test");
    if (session != nullptr) SSL_set_session(client.get(), session);
    SslPtr server(server_ctx.newSsl());
    EXPECT_TRUE(testing::handshake(client.get(), server.get()));
    EXPECT_EQ(SSL_session_reused(client.get()), SSL_session_reused(server.get()));
    if (out != nullptr) out->reset(SSL_get1_session(client.get()));
    const bool reused = SSL_session_reused(client.get()) == 1;
    // A clean close: OpenSSL forgets sessions of connections freed without one.
    SSL_shutdown(client.get());
    SSL_shutdown(server.get());
    return reused;
  }

 private:
  SslCtxPtr ctx_;
};

config::ListenerTls tlsConfig(bool tickets, uint32_t cache_size) {
  config::ListenerTls cfg = testing::listenerTls(testing::sharedPki(), {"a-ec"});
  cfg.session_tickets = tickets;
  cfg.session_cache_size = cache_size;
  cfg.ticket_rotation_ms = 60000;
  return cfg;
}

class TlsSessions : public ::testing::TestWithParam<int> {};

TEST_P(TlsSessions, TicketResumesOnAnotherSslObject) {
  // No session cache: only the ticket can resume.
  auto server_ctx = ServerContext::build(tlsConfig(/*tickets=*/true, /*cache_size=*/0));
  ResumingClient client(GetParam());
  SessionPtr session;
  EXPECT_FALSE(client.connect(*server_ctx, nullptr, &session));
  ASSERT_TRUE(session);
  EXPECT_TRUE(SSL_SESSION_has_ticket(session.get()));
  EXPECT_TRUE(client.connect(*server_ctx, session.get()));
  EXPECT_TRUE(client.connect(*server_ctx, session.get()));
}

TEST_P(TlsSessions, TicketFromAnotherListenerDoesNotResume) {
  auto one = ServerContext::build(tlsConfig(true, 0));
  auto two = ServerContext::build(tlsConfig(true, 0));
  ResumingClient client(GetParam());
  SessionPtr session;
  client.connect(*one, nullptr, &session);
  EXPECT_FALSE(client.connect(*two, session.get()));
}

TEST_P(TlsSessions, OldTicketResumesForTwoRotationsThenNot) {
  auto server_ctx = ServerContext::build(tlsConfig(true, 0));
  server_ctx->rotateTicketKeyIfDue(1000);  // the first call starts the clock
  ResumingClient client(GetParam());
  SessionPtr first;
  client.connect(*server_ctx, nullptr, &first);

  server_ctx->rotateTicketKeyIfDue(1000 + 59999);  // not due yet
  server_ctx->rotateTicketKeyIfDue(1000 + 60000);  // rotation 1
  SessionPtr renewed;
  EXPECT_TRUE(client.connect(*server_ctx, first.get(), &renewed));
  server_ctx->rotateTicketKeyIfDue(1000 + 120000);  // rotation 2: `first`'s key is the oldest
  EXPECT_TRUE(client.connect(*server_ctx, first.get()));
  server_ctx->rotateTicketKeyIfDue(1000 + 180000);  // rotation 3: `first`'s key is gone
  EXPECT_FALSE(client.connect(*server_ctx, first.get()));
  // The ticket re-issued after rotation 1 is under a key that still decrypts.
  EXPECT_TRUE(client.connect(*server_ctx, renewed.get()));
}

TEST_P(TlsSessions, SessionCacheResumesWithoutTickets) {
  auto server_ctx = ServerContext::build(tlsConfig(/*tickets=*/false, /*cache_size=*/100));
  ResumingClient client(GetParam());
  SessionPtr session;
  EXPECT_FALSE(client.connect(*server_ctx, nullptr, &session));
  ASSERT_TRUE(session);
  EXPECT_TRUE(client.connect(*server_ctx, session.get()));
}

TEST_P(TlsSessions, NoTicketsNoCacheNoResumption) {
  auto server_ctx = ServerContext::build(tlsConfig(false, 0));
  ResumingClient client(GetParam());
  SessionPtr session;
  client.connect(*server_ctx, nullptr, &session);
  if (session) {
    EXPECT_FALSE(client.connect(*server_ctx, session.get()));
  }
}

INSTANTIATE_TEST_SUITE_P(Tls, TlsSessions, ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const auto& info) {
                           return info.param == TLS1_2_VERSION ? "Tls12" : "Tls13";
                         });

}  // namespace
}  // namespace portico::tls

namespace portico::tls {
namespace {

TEST(TlsSessionsAcrossReload, ReplacingContextKeepsTicketKeys) {
  auto before = ServerContext::build(tlsConfig(true, 0));
  ResumingClient client(TLS1_3_VERSION);
  SessionPtr session;
  client.connect(*before, nullptr, &session);
  // A config reload builds the listener's context again from the old one.
  auto after = ServerContext::build(tlsConfig(true, 0), *before);
  before.reset();
  EXPECT_TRUE(client.connect(*after, session.get()));
  // Built from scratch, it would not know the ticket.
  auto fresh = ServerContext::build(tlsConfig(true, 0));
  EXPECT_FALSE(client.connect(*fresh, session.get()));
}

TEST(TlsSessionsAcrossReload, SessionWithoutClientCertDoesNotResumeWhenOneIsRequired) {
  auto before = ServerContext::build(tlsConfig(true, 0));
  ResumingClient client(TLS1_3_VERSION);
  SessionPtr session;
  client.connect(*before, nullptr, &session);
  config::ListenerTls cfg = tlsConfig(true, 0);
  cfg.client_auth = config::ListenerTls::ClientAuth::Optional;
  cfg.client_ca_file = testing::sharedPki().ca();
  auto after = ServerContext::build(cfg, *before);
  // The same ticket key, but the session was made without client certificate rules: a full
  // handshake (which asks for a certificate) instead.
  EXPECT_FALSE(client.connect(*after, session.get()));
}

}  // namespace
}  // namespace portico::tls
