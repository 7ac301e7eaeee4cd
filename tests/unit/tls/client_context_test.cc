// ClientContext (TLS to upstream servers) against a ServerContext: verification, SNI, client
// certificates, ALPN.
#include "tls/client_context.h"

#include <gtest/gtest.h>

#include "handshake.h"
#include "tls/server_context.h"
#include "tls_test_util.h"

namespace portico::tls {
namespace {

using testing::sharedPki;

config::ClusterTls clusterTls(const std::string& ca_file, bool verify = true) {
  config::ClusterTls cfg;
  cfg.enabled = true;
  cfg.ca_file = ca_file;
  cfg.verify = verify;
  return cfg;
}

// An upstream server: a.test/www.a.test (ECDSA), *.w.test; a.test is the default.
std::shared_ptr<ServerContext> upstreamServer(
    config::ListenerTls::ClientAuth auth = config::ListenerTls::ClientAuth::None) {
  config::ListenerTls cfg = testing::listenerTls(sharedPki(), {"a-ec", "wild-ec"});
  cfg.alpn = {"h2", "http/1.1"};
  cfg.client_auth = auth;
  if (auth != config::ListenerTls::ClientAuth::None) cfg.client_ca_file = sharedPki().ca();
  return ServerContext::build(cfg);
}

struct Result {
  bool ok = false;
  long verify_result = 0;
  std::string sni_seen;  // what the server received as SNI ("(none)" when none)
  std::string alpn;
  std::string client_subject;
};

Result connect(const ClientContext& client_ctx, ServerContext& server_ctx,
               const std::string& host) {
  SslPtr client(client_ctx.newSsl(host));
  EXPECT_TRUE(client);
  SslPtr server(server_ctx.newSsl());
  Result r;
  r.ok = testing::handshake(client.get(), server.get());
  r.verify_result = SSL_get_verify_result(client.get());
  const char* sni = SSL_get_servername(server.get(), TLSEXT_NAMETYPE_host_name);
  r.sni_seen = sni != nullptr ? sni : "(none)";
  r.alpn = std::string(alpnOf(client.get()));
  r.client_subject = clientSubjectOf(server.get());
  return r;
}

TEST(TlsClientContext, VerifiesAGoodServerAndSendsSni) {
  auto server = upstreamServer();
  auto client = ClientContext::build(clusterTls(sharedPki().ca()));
  Result r = connect(*client, *server, "www.a.test");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.verify_result, X509_V_OK);
  EXPECT_EQ(r.sni_seen, "www.a.test");
  EXPECT_EQ(r.alpn, "http/1.1");  // the default cluster ALPN list
  // A wildcard certificate covers one label.
  EXPECT_TRUE(connect(*client, *server, "api.w.test").ok);
}

TEST(TlsClientContext, RefusesAWrongName) {
  auto server = upstreamServer();
  auto client = ClientContext::build(clusterTls(sharedPki().ca()));
  Result r = connect(*client, *server, "b.test");  // served the default a.test certificate
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.verify_result, X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_FALSE(connect(*client, *server, "x.y.w.test").ok);  // no partial/multi-label wildcard
}

TEST(TlsClientContext, RefusesAnUnknownCa) {
  auto server = upstreamServer();
  auto client = ClientContext::build(clusterTls(sharedPki().path("other-ca.pem")));
  Result r = connect(*client, *server, "a.test");
  EXPECT_FALSE(r.ok);
  // The served chain ends in the test CA, which this client does not trust.
  EXPECT_EQ(r.verify_result, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
}

TEST(TlsClientContext, SystemStoreDoesNotKnowTheTestCa) {
  auto server = upstreamServer();
  auto client = ClientContext::build(clusterTls(""));
  EXPECT_FALSE(connect(*client, *server, "a.test").ok);
}

TEST(TlsClientContext, VerifyOffAcceptsAnyCertificate) {
  auto server = upstreamServer();
  auto client = ClientContext::build(clusterTls("", /*verify=*/false));
  EXPECT_TRUE(connect(*client, *server, "b.test").ok);
  EXPECT_TRUE(connect(*client, *server, "127.0.0.1").ok);
}

TEST(TlsClientContext, NoSniForIpLiterals) {
  auto server = upstreamServer();
  auto client = ClientContext::build(clusterTls("", /*verify=*/false));
  EXPECT_EQ(connect(*client, *server, "127.0.0.1").sni_seen, "(none)");
  EXPECT_EQ(connect(*client, *server, "::1").sni_seen, "(none)");
  EXPECT_EQ(connect(*client, *server, "[::1]").sni_seen, "(none)");
  EXPECT_EQ(connect(*client, *server, "localhost").sni_seen, "localhost");

  // With verification, an IP literal is checked against IP subjectAltNames (none here).
  auto verifying = ClientContext::build(clusterTls(sharedPki().ca()));
  Result r = connect(*verifying, *server, "127.0.0.1");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.verify_result, X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST(TlsClientContext, ConfiguredSniIsSentAndVerified) {
  auto server = upstreamServer();
  config::ClusterTls cfg = clusterTls(sharedPki().ca());
  cfg.sni = "www.a.test";
  auto client = ClientContext::build(cfg);
  Result r = connect(*client, *server, "10.0.0.7");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.sni_seen, "www.a.test");
}

TEST(TlsClientContext, ClientCertificateForMtls) {
  auto server = upstreamServer(config::ListenerTls::ClientAuth::Required);
  auto anonymous = ClientContext::build(clusterTls(sharedPki().ca()));
  EXPECT_FALSE(connect(*anonymous, *server, "a.test").ok);

  config::ClusterTls cfg = clusterTls(sharedPki().ca());
  cfg.cert_file = sharedPki().cert("client");
  cfg.key_file = sharedPki().key("client");
  auto client = ClientContext::build(cfg);
  Result r = connect(*client, *server, "a.test");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.client_subject, "CN=client one,O=portico test");
}

TEST(TlsClientContext, AlpnOffersH2) {
  auto server = upstreamServer();
  config::ClusterTls cfg = clusterTls(sharedPki().ca());
  cfg.alpn = {"h2", "http/1.1"};
  auto client = ClientContext::build(cfg);
  EXPECT_EQ(connect(*client, *server, "a.test").alpn, "h2");
}

std::string buildError(const config::ClusterTls& cfg) {
  try {
    ClientContext::build(cfg);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TlsClientContext, BuildErrorsNameTheFile) {
  EXPECT_EQ(buildError(clusterTls("/nonexistent/ca.pem")),
            "/nonexistent/ca.pem: cannot read: No such file or directory");
  config::ClusterTls cfg = clusterTls(sharedPki().ca());
  cfg.cert_file = sharedPki().cert("client");
  cfg.key_file = sharedPki().key("a-ec");
  EXPECT_EQ(buildError(cfg), sharedPki().key("a-ec") +
                                 ": the private key does not match the certificate in " +
                                 sharedPki().cert("client"));
  cfg.key_file = "/nonexistent/client.key";
  EXPECT_EQ(buildError(cfg), "/nonexistent/client.key: cannot read: No such file or directory");
}

}  // namespace
}  // namespace portico::tls

namespace portico::tls {
namespace {

// Whether a connection from `client_ctx` to `host` resumed. Frees both SSLs without a shutdown,
// as after a reset connection.
bool resumed(const ClientContext& client_ctx, ServerContext& server_ctx, const std::string& host) {
  SslPtr client(client_ctx.newSsl(host));
  SslPtr server(server_ctx.newSsl());
  EXPECT_TRUE(testing::handshake(client.get(), server.get()));
  return SSL_session_reused(client.get()) == 1;
}

TEST(TlsClientContext, ResumesSessionsPerServerName) {
  auto server = upstreamServer();
  auto client = ClientContext::build(clusterTls(sharedPki().ca()));
  EXPECT_FALSE(resumed(*client, *server, "a.test"));
  EXPECT_TRUE(resumed(*client, *server, "a.test"));
  EXPECT_TRUE(resumed(*client, *server, "a.test"));
  // Another name has its own session.
  EXPECT_FALSE(resumed(*client, *server, "www.a.test"));
  EXPECT_TRUE(resumed(*client, *server, "www.a.test"));
  EXPECT_TRUE(resumed(*client, *server, "a.test"));
  // Another cluster's context shares nothing.
  auto other = ClientContext::build(clusterTls(sharedPki().ca()));
  EXPECT_FALSE(resumed(*other, *server, "a.test"));
}

TEST(TlsClientContext, ResumesOverTls12Too) {
  config::ListenerTls cfg = testing::listenerTls(sharedPki(), {"a-ec"});
  cfg.policy = "intermediate";
  auto server = ServerContext::build(cfg);
  auto client = ClientContext::build(clusterTls(sharedPki().ca()));
  for (int i = 0; i < 3; ++i) {
    SslPtr c(client->newSsl("a.test"));
    SSL_set_max_proto_version(c.get(), TLS1_2_VERSION);
    SslPtr s(server->newSsl());
    ASSERT_TRUE(testing::handshake(c.get(), s.get()));
    EXPECT_EQ(SSL_session_reused(c.get()) == 1, i > 0) << i;
  }
}

}  // namespace
}  // namespace portico::tls
