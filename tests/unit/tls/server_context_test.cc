// ServerContext: certificates by SNI, key type by client capability, protocol policy, ALPN.
#include "tls/server_context.h"

#include <gtest/gtest.h>

#include "handshake.h"
#include "tls_test_util.h"

namespace portico::tls {
namespace {

using testing::handshake;
using testing::listenerTls;
using testing::makeClient;
using testing::makeClientCtx;
using testing::peerCn;
using testing::peerKeyType;
using testing::sharedPki;

TEST(TlsServerContext, OneCertificateHandshakeWithAlpn) {
  auto server_ctx = ServerContext::build(listenerTls(sharedPki(), {"a-ec"}));
  SslCtxPtr client_ctx = makeClientCtx(sharedPki().ca());
  const unsigned char alpn[] = "\x02h2\x08http/1.1";
  SSL_CTX_set_alpn_protos(client_ctx.get(), alpn, sizeof(alpn) - 1);
  SslPtr client = makeClient(client_ctx.get(), "a.test");
  SslPtr server(server_ctx->newSsl());
  ASSERT_TRUE(server);
  ASSERT_TRUE(handshake(client.get(), server.get()));
  EXPECT_EQ(SSL_get_verify_result(client.get()), X509_V_OK);
  EXPECT_EQ(peerCn(client.get()), "a.test");
  EXPECT_EQ(alpnOf(server.get()), "http/1.1");  // h2 is not configured
  EXPECT_EQ(SSL_version(server.get()), TLS1_3_VERSION);
  EXPECT_EQ(clientSubjectOf(server.get()), "");

  // Data flows both ways.
  ASSERT_EQ(SSL_write(client.get(), "ping", 4), 4);
  char buf[8] = {};
  ASSERT_EQ(SSL_read(server.get(), buf, sizeof(buf)), 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
}

}  // namespace
}  // namespace portico::tls

namespace portico::tls {
namespace {

// a-rsa and a-ec serve a.test/www.a.test (a-rsa first: the default), wild-ec *.w.test,
// b-rsa b.test.
std::shared_ptr<ServerContext> fourCertificates() {
  return ServerContext::build(
      testing::listenerTls(testing::sharedPki(), {"a-rsa", "a-ec", "wild-ec", "b-rsa"}));
}

// The CN of the certificate a client sending `sni` gets (verifying against the test CA);
// "" when the handshake fails.
std::string cnFor(ServerContext& server_ctx, const std::string& sni) {
  SslCtxPtr client_ctx = testing::makeClientCtx(testing::sharedPki().ca());
  SslPtr client = testing::makeClient(client_ctx.get(), sni);
  SslPtr server(server_ctx.newSsl());
  if (!testing::handshake(client.get(), server.get())) return "";
  return testing::peerCn(client.get());
}

TEST(TlsServerContext, SniExactName) {
  auto ctx = fourCertificates();
  EXPECT_EQ(cnFor(*ctx, "b.test"), "b.test");
  EXPECT_EQ(cnFor(*ctx, "B.Test"), "b.test");  // names are case-insensitive
  EXPECT_EQ(cnFor(*ctx, "www.a.test"), "a.test");
}

TEST(TlsServerContext, SniWildcardMatchesOneLabel) {
  auto ctx = fourCertificates();
  EXPECT_EQ(cnFor(*ctx, "x.w.test"), "*.w.test");
  EXPECT_EQ(cnFor(*ctx, "api.w.test"), "*.w.test");
  // "*.w.test" covers one label only: these get the default.
  EXPECT_EQ(cnFor(*ctx, "a.b.w.test"), "a.test");
  EXPECT_EQ(cnFor(*ctx, "w.test"), "a.test");
}

TEST(TlsServerContext, UnknownOrMissingSniGetsTheDefault) {
  auto ctx = fourCertificates();
  EXPECT_EQ(cnFor(*ctx, "unknown.example"), "a.test");
  EXPECT_EQ(cnFor(*ctx, ""), "a.test");
}

// Which key type a client offering only `sigalgs` gets, at TLS version `version`.
int keyTypeFor(ServerContext& server_ctx, const std::string& sni, const char* sigalgs,
               int version) {
  SslCtxPtr client_ctx = testing::makeClientCtx(testing::sharedPki().ca());
  SSL_CTX_set_max_proto_version(client_ctx.get(), version);
  SslPtr client = testing::makeClient(client_ctx.get(), sni);
  EXPECT_EQ(SSL_set1_sigalgs_list(client.get(), sigalgs), 1);
  SslPtr server(server_ctx.newSsl());
  if (!testing::handshake(client.get(), server.get())) return 0;
  EXPECT_EQ(SSL_version(client.get()), version);
  return testing::peerKeyType(client.get());
}

TEST(TlsServerContext, RsaOrEcdsaByClientSignatureAlgorithms) {
  auto ctx = fourCertificates();
  const char* rsa_only = "rsa_pss_rsae_sha256:rsa_pkcs1_sha256";
  const char* ecdsa_only = "ecdsa_secp256r1_sha256";
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version);
    EXPECT_EQ(keyTypeFor(*ctx, "a.test", rsa_only, version), EVP_PKEY_RSA);
    EXPECT_EQ(keyTypeFor(*ctx, "a.test", ecdsa_only, version), EVP_PKEY_EC);
    // The default (no SNI) has both key types too.
    EXPECT_EQ(keyTypeFor(*ctx, "", ecdsa_only, version), EVP_PKEY_EC);
    EXPECT_EQ(keyTypeFor(*ctx, "", rsa_only, version), EVP_PKEY_RSA);
    // b.test has only RSA: an ECDSA-only client cannot connect to it.
    EXPECT_EQ(keyTypeFor(*ctx, "b.test", rsa_only, version), EVP_PKEY_RSA);
    EXPECT_EQ(keyTypeFor(*ctx, "b.test", ecdsa_only, version), 0);
    // A client supporting both (OpenSSL's defaults, like browsers, list ECDSA first).
    EXPECT_EQ(keyTypeFor(*ctx, "a.test", "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256", version),
              EVP_PKEY_EC);
  }
}

// Whether a client limited to [min, max] versions (and seclevel 0, so old versions are
// possible at all) completes a handshake with `server_ctx`; `version` gets the result.
bool handshakeWithVersions(ServerContext& server_ctx, int min, int max, int* version = nullptr) {
  SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_security_level(client_ctx.get(), 0);
  SSL_CTX_set_cipher_list(client_ctx.get(), "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(client_ctx.get(), min);
  SSL_CTX_set_max_proto_version(client_ctx.get(), max);
  SslPtr client = testing::makeClient(client_ctx.get(), "a.test");
  SslPtr server(server_ctx.newSsl());
  const bool ok = testing::handshake(client.get(), server.get());
  if (ok && version != nullptr) *version = SSL_version(server.get());
  return ok;
}

TEST(TlsServerContext, IntermediatePolicyAcceptsTls12And13Only) {
  auto ctx = fourCertificates();
  EXPECT_FALSE(handshakeWithVersions(*ctx, TLS1_VERSION, TLS1_VERSION));
  EXPECT_FALSE(handshakeWithVersions(*ctx, TLS1_1_VERSION, TLS1_1_VERSION));
  int version = 0;
  EXPECT_TRUE(handshakeWithVersions(*ctx, TLS1_2_VERSION, TLS1_2_VERSION, &version));
  EXPECT_EQ(version, TLS1_2_VERSION);
  EXPECT_TRUE(handshakeWithVersions(*ctx, TLS1_VERSION, TLS1_3_VERSION, &version));
  EXPECT_EQ(version, TLS1_3_VERSION);
}

TEST(TlsServerContext, ModernPolicyAcceptsTls13Only) {
  config::ListenerTls cfg = testing::listenerTls(testing::sharedPki(), {"a-ec"});
  cfg.policy = "modern";
  auto ctx = ServerContext::build(cfg);
  EXPECT_FALSE(handshakeWithVersions(*ctx, TLS1_2_VERSION, TLS1_2_VERSION));
  int version = 0;
  EXPECT_TRUE(handshakeWithVersions(*ctx, TLS1_2_VERSION, TLS1_3_VERSION, &version));
  EXPECT_EQ(version, TLS1_3_VERSION);
}

// The TLS 1.2 cipher negotiated for a client offering only `ciphers`; "" = refused.
std::string tls12CipherFor(ServerContext& server_ctx, const char* ciphers) {
  SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_security_level(client_ctx.get(), 0);
  SSL_CTX_set_max_proto_version(client_ctx.get(), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_set_cipher_list(client_ctx.get(), ciphers), 1);
  SslPtr client = testing::makeClient(client_ctx.get(), "a.test");
  SslPtr server(server_ctx.newSsl());
  if (!testing::handshake(client.get(), server.get())) return "";
  return SSL_get_cipher_name(client.get());
}

TEST(TlsServerContext, IntermediateTls12CiphersAreForwardSecretAead) {
  auto ctx = fourCertificates();
  EXPECT_EQ(tls12CipherFor(*ctx, "ECDHE-ECDSA-AES128-GCM-SHA256"), "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(tls12CipherFor(*ctx, "ECDHE-RSA-CHACHA20-POLY1305"), "ECDHE-RSA-CHACHA20-POLY1305");
  EXPECT_EQ(tls12CipherFor(*ctx, "DHE-RSA-AES256-GCM-SHA384"), "DHE-RSA-AES256-GCM-SHA384");
  // Not forward secret, CBC mode, or both: refused.
  EXPECT_EQ(tls12CipherFor(*ctx, "AES128-GCM-SHA256"), "");
  EXPECT_EQ(tls12CipherFor(*ctx, "ECDHE-RSA-AES128-SHA"), "");
  EXPECT_EQ(tls12CipherFor(*ctx, "AES256-SHA"), "");
}

// The protocol the server selects when the server has `server_alpn` and the client offers
// `client_wire` (ALPN wire format; "" = no ALPN extension). "!" when the handshake fails.
std::string alpnFor(const std::vector<std::string>& server_alpn, const std::string& client_wire) {
  config::ListenerTls cfg = testing::listenerTls(testing::sharedPki(), {"a-ec"});
  cfg.alpn = server_alpn;
  auto server_ctx = ServerContext::build(cfg);
  SslCtxPtr client_ctx = testing::makeClientCtx();
  SslPtr client = testing::makeClient(client_ctx.get(), "a.test");
  if (!client_wire.empty()) {
    SSL_set_alpn_protos(client.get(), reinterpret_cast<const unsigned char*>(client_wire.data()),
                        static_cast<unsigned>(client_wire.size()));
  }
  SslPtr server(server_ctx->newSsl());
  if (!testing::handshake(client.get(), server.get())) return "!";
  const unsigned char* data = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(client.get(), &data, &len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(data), len), alpnOf(server.get()));
  return std::string(alpnOf(server.get()));
}

TEST(TlsServerContext, AlpnServerPreference) {
  const std::string h2_then_h1("\x02h2\x08http/1.1", 12);
  const std::string h1_then_h2("\x08http/1.1\x02h2", 12);
  const std::string only_h2("\x02h2", 3);
  const std::string only_h1("\x08http/1.1", 9);
  EXPECT_EQ(alpnFor({"h2", "http/1.1"}, h2_then_h1), "h2");
  EXPECT_EQ(alpnFor({"h2", "http/1.1"}, h1_then_h2), "h2");
  EXPECT_EQ(alpnFor({"http/1.1", "h2"}, h2_then_h1), "http/1.1");
  EXPECT_EQ(alpnFor({"h2", "http/1.1"}, only_h1), "http/1.1");
  EXPECT_EQ(alpnFor({"http/1.1"}, h2_then_h1), "http/1.1");
  // No common protocol: no_application_protocol alert (RFC 7301).
  EXPECT_EQ(alpnFor({"http/1.1"}, only_h2), "!");
  // A client without ALPN is served; the caller treats "" as HTTP/1.1.
  EXPECT_EQ(alpnFor({"h2", "http/1.1"}, ""), "");
}

TEST(TlsServerContext, NewSslObjectsAreIndependent) {
  auto ctx = fourCertificates();
  SslPtr a(ctx->newSsl());
  SslPtr b(ctx->newSsl());
  ASSERT_TRUE(a && b);
  EXPECT_NE(a.get(), b.get());
  EXPECT_TRUE(SSL_is_server(a.get()));
}

}  // namespace
}  // namespace portico::tls
