// ServerContext and its files: load errors naming the file, OCSP stapling, reloadIfChanged.
#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include <fstream>

#include "handshake.h"
#include "tls/server_context.h"
#include "tls_test_util.h"

namespace portico::tls {
namespace {

using testing::TestPki;

// The ConfigError message of building `cfg`, or "(no error)".
std::string buildError(const config::ListenerTls& cfg) {
  try {
    ServerContext::build(cfg);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

config::ListenerTls oneCert(const std::string& cert, const std::string& key) {
  config::ListenerTls cfg;
  cfg.enabled = true;
  cfg.certificates.push_back(config::TlsCertificate{cert, key, ""});
  return cfg;
}

TEST(TlsServerFiles, MissingCertificateFileIsNamed) {
  const TestPki& pki = testing::sharedPki();
  EXPECT_EQ(buildError(oneCert(pki.path("nope.pem"), pki.key("a-ec"))),
            pki.path("nope.pem") + ": cannot read: No such file or directory");
  EXPECT_EQ(buildError(oneCert(pki.cert("a-ec"), pki.path("nope.key"))),
            pki.path("nope.key") + ": cannot read: No such file or directory");
}

TEST(TlsServerFiles, BadCertificateOrKeyIsNamed) {
  const TestPki& pki = testing::sharedPki();
  // A key where the certificate should be, and the other way round.
  EXPECT_EQ(buildError(oneCert(pki.key("a-ec"), pki.key("a-ec"))),
            pki.key("a-ec") + ": no PEM certificate found (expected -----BEGIN CERTIFICATE-----)");
  EXPECT_EQ(buildError(oneCert(pki.cert("a-ec"), pki.cert("a-ec"))),
            pki.cert("a-ec") + ": no PEM private key found (expected -----BEGIN PRIVATE KEY-----)");
  // A key of another certificate.
  EXPECT_EQ(
      buildError(oneCert(pki.cert("a-ec"), pki.key("b-rsa"))),
      pki.key("b-rsa") + ": the private key does not match the certificate in " + pki.cert("a-ec"));
}

TEST(TlsServerFiles, EncryptedKeyAndWeakKeyAreExplained) {
  TestPki pki;
  // An encrypted key.
  {
    BioPtr bio(BIO_new_file(pki.path("enc.key").c_str(), "w"));
    EvpPkeyPtr key = testing::makeEcKey();
    PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_128_cbc(), nullptr, 0, nullptr,
                                  const_cast<char*>("secret"));
  }
  EXPECT_NE(buildError(oneCert(pki.cert("a-ec"), pki.path("enc.key"))).find("is encrypted"),
            std::string::npos);
  // A 1024-bit RSA key: refused by OpenSSL's security level.
  EvpPkeyPtr weak(EVP_RSA_gen(1024));
  pki.addLeaf("weak", "weak.test", "DNS:weak.test", weak.get());
  const std::string error = buildError(oneCert(pki.cert("weak"), pki.key("weak")));
  EXPECT_TRUE(error.starts_with(pki.cert("weak") + ": OpenSSL refuses this certificate: "))
      << error;
}

TEST(TlsServerFiles, ClientCaErrorsAreNamed) {
  config::ListenerTls cfg = testing::listenerTls(testing::sharedPki(), {"a-ec"});
  cfg.client_auth = config::ListenerTls::ClientAuth::Required;
  cfg.client_ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(buildError(cfg), "/nonexistent/ca.pem: cannot read: No such file or directory");
  cfg.client_ca_file = testing::sharedPki().key("a-ec");
  EXPECT_EQ(buildError(cfg), cfg.client_ca_file +
                                 ": no PEM CA certificate found (expected -----BEGIN "
                                 "CERTIFICATE-----)");
  // A CA that expired yesterday.
  TestPki pki;
  EvpPkeyPtr key = testing::makeEcKey();
  X509Ptr expired =
      testing::makeCert("old CA", "", key.get(), nullptr, nullptr, true, 3, -10 * 86400, 9 * 86400);
  testing::writeFile(pki.path("expired-ca.pem"), testing::pemOf(expired.get()));
  cfg.client_ca_file = pki.path("expired-ca.pem");
  const std::string error = buildError(cfg);
  EXPECT_TRUE(
      error.starts_with(cfg.client_ca_file + ": every CA certificate in the file has expired (on "))
      << error;
  // Together with a valid one, it is fine.
  testing::writeFile(pki.path("expired-ca.pem"),
                     testing::pemOf(expired.get()) + testing::pemOf(pki.caCert()));
  EXPECT_EQ(buildError(cfg), "(no error)");
}

TEST(TlsServerFiles, ExpiredCertificateLoadsWithAWarning) {
  TestPki pki;
  EvpPkeyPtr key = testing::makeEcKey();
  // Self-signed is fine here: only loading is tested.
  X509Ptr leaf = testing::makeCert("old.test", "DNS:old.test", key.get(), nullptr, nullptr, false,
                                   9, -10 * 86400, 86400);
  testing::writeFile(pki.path("old.pem"), testing::pemOf(leaf.get()));
  testing::writeFile(pki.path("old.key"), testing::pemOf(key.get()));
  // Refusing it would take the whole listener down at a restart; clients refuse it instead.
  EXPECT_EQ(buildError(oneCert(pki.path("old.pem"), pki.path("old.key"))), "(no error)");
}

// The OCSP response a client asking for one gets ("" = none).
std::string stapleFor(ServerContext& server_ctx, const std::string& ca, bool ask) {
  SslCtxPtr client_ctx = testing::makeClientCtx(ca);
  SslPtr client = testing::makeClient(client_ctx.get(), "a.test");
  if (ask) SSL_set_tlsext_status_type(client.get(), TLSEXT_STATUSTYPE_ocsp);
  SslPtr server(server_ctx.newSsl());
  EXPECT_TRUE(testing::handshake(client.get(), server.get()));
  const unsigned char* der = nullptr;
  const long n = SSL_get_tlsext_status_ocsp_resp(client.get(), &der);
  return n > 0 ? std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(n)) : "";
}

std::string fileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(TlsServerFiles, OcspStapledWhenAskedAndRefreshedWhenTheFileChanges) {
  TestPki pki;
  X509* leaf = pki.addLeaf("s", "a.test", "DNS:a.test", nullptr);
  config::ListenerTls cfg = testing::listenerTls(pki, {"s"});
  cfg.certificates[0].ocsp_file = pki.writeOcsp("s", leaf);
  auto server_ctx = ServerContext::build(cfg);
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version);
    const std::string staple = stapleFor(*server_ctx, pki.ca(), true);
    EXPECT_EQ(staple, fileText(cfg.certificates[0].ocsp_file));
    const unsigned char* p = reinterpret_cast<const unsigned char*>(staple.data());
    OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(staple.size()));
    ASSERT_NE(resp, nullptr);
    EXPECT_EQ(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    OCSP_RESPONSE_free(resp);
  }
  EXPECT_EQ(stapleFor(*server_ctx, pki.ca(), false), "");

  // A new response (a later nextUpdate) replaces the file: the next handshake staples it.
  const std::string before = fileText(cfg.certificates[0].ocsp_file);
  pki.writeOcsp("s", leaf, 2 * 86400);
  const std::string after = fileText(cfg.certificates[0].ocsp_file);
  ASSERT_NE(before, after);
  std::string error;
  EXPECT_TRUE(server_ctx->reloadIfChanged(error)) << error;
  EXPECT_EQ(stapleFor(*server_ctx, pki.ca(), true), after);
}

TEST(TlsServerFiles, OcspResponseForAnotherCertificateIsAnError) {
  TestPki pki;
  pki.addLeaf("s", "a.test", "DNS:a.test", nullptr);
  X509* other = pki.addLeaf("t", "b.test", "DNS:b.test", nullptr);
  config::ListenerTls cfg = testing::listenerTls(pki, {"s"});
  cfg.certificates[0].ocsp_file = pki.writeOcsp("t", other);
  EXPECT_EQ(buildError(cfg),
            cfg.certificates[0].ocsp_file + ": the OCSP response is not about this certificate");
  testing::writeFile(cfg.certificates[0].ocsp_file, "garbage");
  EXPECT_EQ(buildError(cfg), cfg.certificates[0].ocsp_file + ": not a DER OCSP response");
}

// The CN of the certificate served for "a.test" ("" when the handshake fails).
std::string servedCn(ServerContext& server_ctx, const TestPki& pki) {
  SslCtxPtr client_ctx = testing::makeClientCtx(pki.ca());
  SslPtr client = testing::makeClient(client_ctx.get(), "a.test");
  SslPtr server(server_ctx.newSsl());
  if (!testing::handshake(client.get(), server.get())) return "";
  return testing::peerCn(client.get());
}

TEST(TlsServerFiles, ReloadPicksUpANewCertificateAndSurvivesABrokenOne) {
  TestPki pki;
  pki.addLeaf("s", "a.test v1", "DNS:a.test", nullptr);
  config::ListenerTls cfg = testing::listenerTls(pki, {"s"});
  auto server_ctx = ServerContext::build(cfg);
  std::string error;
  EXPECT_TRUE(server_ctx->reloadIfChanged(error));  // nothing changed
  EXPECT_EQ(servedCn(*server_ctx, pki), "a.test v1");

  // A connection established before the reload keeps working afterwards.
  SslCtxPtr client_ctx = testing::makeClientCtx(pki.ca());
  SslPtr old_client = testing::makeClient(client_ctx.get(), "a.test");
  SslPtr old_server(server_ctx->newSsl());
  ASSERT_TRUE(testing::handshake(old_client.get(), old_server.get()));

  pki.addLeaf("s", "a.test v2", "DNS:a.test", nullptr);  // new cert and key, new inodes
  EXPECT_TRUE(server_ctx->reloadIfChanged(error)) << error;
  EXPECT_EQ(servedCn(*server_ctx, pki), "a.test v2");
  EXPECT_EQ(testing::peerCn(old_client.get()), "a.test v1");
  ASSERT_EQ(SSL_write(old_server.get(), "still here", 10), 10);
  char buf[16] = {};
  EXPECT_EQ(SSL_read(old_client.get(), buf, sizeof(buf)), 10);

  // A broken key: the error names it, and v2 stays in use.
  testing::writeFile(pki.key("s"), "-----BEGIN PRIVATE KEY-----\nbroken\n");
  EXPECT_FALSE(server_ctx->reloadIfChanged(error));
  EXPECT_TRUE(error.starts_with(pki.key("s") + ": ")) << error;
  EXPECT_EQ(servedCn(*server_ctx, pki), "a.test v2");
  // Not retried (nor reported again) until a file changes again.
  EXPECT_TRUE(server_ctx->reloadIfChanged(error));

  // A key that does not match the certificate: also kept out.
  EvpPkeyPtr other = testing::makeEcKey();
  testing::writeFile(pki.key("s"), testing::pemOf(other.get()));
  EXPECT_FALSE(server_ctx->reloadIfChanged(error));
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;
  EXPECT_EQ(servedCn(*server_ctx, pki), "a.test v2");

  // A deleted certificate file.
  std::remove(pki.cert("s").c_str());
  EXPECT_FALSE(server_ctx->reloadIfChanged(error));
  EXPECT_EQ(error, pki.cert("s") + ": cannot read: No such file or directory");
  EXPECT_EQ(servedCn(*server_ctx, pki), "a.test v2");

  // Fixed: v3 is served.
  pki.addLeaf("s", "a.test v3", "DNS:a.test", nullptr);
  EXPECT_TRUE(server_ctx->reloadIfChanged(error)) << error;
  EXPECT_EQ(servedCn(*server_ctx, pki), "a.test v3");
}

TEST(TlsServerFiles, ContextOutlivedByItsConnections) {
  auto server_ctx = ServerContext::build(testing::listenerTls(testing::sharedPki(), {"a-ec"}));
  SslPtr server(server_ctx->newSsl());
  server_ctx.reset();  // e.g. a reload dropped the listener while a handshake is in progress
  SslCtxPtr client_ctx = testing::makeClientCtx(testing::sharedPki().ca());
  SslPtr client = testing::makeClient(client_ctx.get(), "a.test");
  EXPECT_TRUE(testing::handshake(client.get(), server.get()));
  EXPECT_EQ(testing::peerCn(client.get()), "a.test");
}

}  // namespace
}  // namespace portico::tls
