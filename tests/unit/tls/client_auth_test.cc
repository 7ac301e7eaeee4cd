// ServerContext client certificate verification (mTLS) and clientSubjectOf.
#include <gtest/gtest.h>

#include "handshake.h"
#include "tls/server_context.h"
#include "tls_test_util.h"

namespace portico::tls {
namespace {

using testing::sharedPki;

std::shared_ptr<ServerContext> serverWithClientAuth(config::ListenerTls::ClientAuth mode) {
  config::ListenerTls cfg = testing::listenerTls(sharedPki(), {"a-ec"});
  cfg.client_auth = mode;
  cfg.client_ca_file = sharedPki().ca();
  return ServerContext::build(cfg);
}

// A client presenting `cert`/`key` files ("" = no certificate).
struct MtlsClient {
  SslCtxPtr ctx;
  SslPtr ssl;
  MtlsClient(const std::string& cert, const std::string& key) {
    ctx = testing::makeClientCtx(sharedPki().ca());
    if (!cert.empty()) {
      EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()), 1);
      EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM), 1);
    }
    ssl = testing::makeClient(ctx.get(), "a.test");
  }
};

constexpr const char* kClientSubject = "CN=client one,O=portico test";

TEST(TlsClientAuth, RequiredRefusesAClientWithoutCertificate) {
  auto server_ctx = serverWithClientAuth(config::ListenerTls::ClientAuth::Required);
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    MtlsClient client("", "");
    SSL_set_max_proto_version(client.ssl.get(), version);
    SslPtr server(server_ctx->newSsl());
    EXPECT_FALSE(testing::handshake(client.ssl.get(), server.get())) << version;
  }
}

TEST(TlsClientAuth, RequiredAcceptsAVerifiedCertificateAndExtractsTheSubject) {
  auto server_ctx = serverWithClientAuth(config::ListenerTls::ClientAuth::Required);
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    MtlsClient client(sharedPki().cert("client"), sharedPki().key("client"));
    SSL_set_max_proto_version(client.ssl.get(), version);
    SslPtr server(server_ctx->newSsl());
    ASSERT_TRUE(testing::handshake(client.ssl.get(), server.get())) << version;
    EXPECT_EQ(clientSubjectOf(server.get()), kClientSubject);
  }
}

TEST(TlsClientAuth, CertificateFromAnotherCaIsRefused) {
  auto server_ctx = serverWithClientAuth(config::ListenerTls::ClientAuth::Optional);
  // A self-signed client certificate: not issued by client_ca.
  EvpPkeyPtr key = testing::makeEcKey();
  X509Ptr rogue = testing::makeCert("rogue", "", key.get(), nullptr, nullptr, false, 7);
  MtlsClient client("", "");
  SSL_use_certificate(client.ssl.get(), rogue.get());
  SSL_use_PrivateKey(client.ssl.get(), key.get());
  SslPtr server(server_ctx->newSsl());
  EXPECT_FALSE(testing::handshake(client.ssl.get(), server.get()));
  EXPECT_EQ(clientSubjectOf(server.get()), "");
}

TEST(TlsClientAuth, OptionalAllowsAClientWithoutCertificate) {
  auto server_ctx = serverWithClientAuth(config::ListenerTls::ClientAuth::Optional);
  MtlsClient anonymous("", "");
  SslPtr server(server_ctx->newSsl());
  ASSERT_TRUE(testing::handshake(anonymous.ssl.get(), server.get()));
  EXPECT_EQ(clientSubjectOf(server.get()), "");

  MtlsClient named(sharedPki().cert("client"), sharedPki().key("client"));
  SslPtr server2(server_ctx->newSsl());
  ASSERT_TRUE(testing::handshake(named.ssl.get(), server2.get()));
  EXPECT_EQ(clientSubjectOf(server2.get()), kClientSubject);
}

TEST(TlsClientAuth, ResumedSessionKeepsTheSubject) {
  auto server_ctx = serverWithClientAuth(config::ListenerTls::ClientAuth::Required);
  MtlsClient first(sharedPki().cert("client"), sharedPki().key("client"));
  SslPtr server(server_ctx->newSsl());
  ASSERT_TRUE(testing::handshake(first.ssl.get(), server.get()));
  SSL_SESSION* session = SSL_get1_session(first.ssl.get());
  SSL_shutdown(first.ssl.get());
  SSL_shutdown(server.get());

  SslPtr again = testing::makeClient(first.ctx.get(), "a.test");
  SSL_set_session(again.get(), session);
  SSL_SESSION_free(session);
  SslPtr server2(server_ctx->newSsl());
  ASSERT_TRUE(testing::handshake(again.get(), server2.get()));
  EXPECT_TRUE(SSL_session_reused(server2.get()));
  EXPECT_EQ(clientSubjectOf(server2.get()), kClientSubject);
}

TEST(TlsClientAuth, NoneSendsNoCertificateRequest) {
  auto server_ctx = ServerContext::build(testing::listenerTls(sharedPki(), {"a-ec"}));
  MtlsClient client(sharedPki().cert("client"), sharedPki().key("client"));
  SslPtr server(server_ctx->newSsl());
  ASSERT_TRUE(testing::handshake(client.ssl.get(), server.get()));
  EXPECT_EQ(SSL_get0_peer_certificate(server.get()), nullptr);
  EXPECT_EQ(clientSubjectOf(server.get()), "");
}

}  // namespace
}  // namespace portico::tls
