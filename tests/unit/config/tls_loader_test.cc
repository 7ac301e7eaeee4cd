// The TLS keys of the config: listener tls/hsts/redirect_https/client_cert_header, cluster tls.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config_test_util.h"

namespace portico::config {
namespace {

using portico::config::testing::errorOf;
using portico::config::testing::yamlWith;

TEST(TlsLoader, BasicListenerTls) {
  auto c = loadConfigText(yamlWith("    tls: { certificates: [ { cert: a.pem, key: a.key } ] }\n"),
                          "t.yaml");
  const ListenerTls& t = c->listeners[0].tls;
  EXPECT_TRUE(t.enabled);
  ASSERT_EQ(t.certificates.size(), 1u);
  EXPECT_EQ(t.certificates[0].cert_file, "a.pem");
  EXPECT_EQ(t.certificates[0].key_file, "a.key");
  EXPECT_EQ(t.certificates[0].ocsp_file, "");
  EXPECT_EQ(t.policy, "intermediate");
  EXPECT_EQ(t.alpn, std::vector<std::string>{"http/1.1"});
  EXPECT_TRUE(t.session_tickets);
  EXPECT_EQ(t.ticket_rotation_ms, 3600000u);
  EXPECT_EQ(t.session_cache_size, 20480u);
  EXPECT_EQ(t.client_auth, ListenerTls::ClientAuth::None);
  EXPECT_EQ(t.reload_check_ms, 5000u);
  EXPECT_FALSE(c->listeners[0].hsts.enabled);
  EXPECT_EQ(c->listeners[0].redirect_https_port, 0);
  EXPECT_FALSE(c->clusters[0].tls.enabled);
}

TEST(TlsLoader, NoTlsByDefault) {
  auto c = loadConfigText(yamlWith(""), "t.yaml");
  EXPECT_FALSE(c->listeners[0].tls.enabled);
  EXPECT_TRUE(c->listeners[0].tls.certificates.empty());
}

TEST(TlsLoader, AllListenerKeys) {
  auto c = loadConfigText(yamlWith(R"(    tls:
      certificates:
        - { cert: a-rsa.pem, key: a-rsa.key, ocsp: a-rsa.ocsp }
        - cert: a-ec.pem
          key: a-ec.key
      policy: modern
      alpn: [http/1.1]
      session_tickets: false
      ticket_rotation: 12h
      session_cache_size: 0
      client_auth: optional
      client_ca: clients.pem
      reload_check: 30s
    hsts: { max_age: 63072000, include_subdomains: true, preload: true }
    client_cert_header: X-Subject
)"),
                          "t.yaml");
  const Listener& l = c->listeners[0];
  ASSERT_EQ(l.tls.certificates.size(), 2u);
  EXPECT_EQ(l.tls.certificates[0].ocsp_file, "a-rsa.ocsp");
  EXPECT_EQ(l.tls.certificates[1].cert_file, "a-ec.pem");
  EXPECT_EQ(l.tls.certificates[1].key_file, "a-ec.key");
  EXPECT_EQ(l.tls.policy, "modern");
  EXPECT_EQ(l.tls.alpn, (std::vector<std::string>{"http/1.1"}));
  EXPECT_FALSE(l.tls.session_tickets);
  EXPECT_EQ(l.tls.ticket_rotation_ms, 12u * 3600000);
  EXPECT_EQ(l.tls.session_cache_size, 0u);
  EXPECT_EQ(l.tls.client_auth, ListenerTls::ClientAuth::Optional);
  EXPECT_EQ(l.tls.client_ca_file, "clients.pem");
  EXPECT_EQ(l.tls.reload_check_ms, 30000u);
  EXPECT_TRUE(l.hsts.enabled);
  EXPECT_EQ(l.hsts.max_age_s, 63072000u);
  EXPECT_TRUE(l.hsts.include_subdomains);
  EXPECT_TRUE(l.hsts.preload);
  EXPECT_EQ(l.client_cert_header, "X-Subject");
}

TEST(TlsLoader, HstsShorthandAndRedirect) {
  auto c = loadConfigText(
      yamlWith("    tls: { certificates: [ { cert: a.pem, key: a.key } ] }\n    hsts: true\n"),
      "t.yaml");
  EXPECT_TRUE(c->listeners[0].hsts.enabled);
  EXPECT_EQ(c->listeners[0].hsts.max_age_s, 31536000u);
  EXPECT_FALSE(c->listeners[0].hsts.include_subdomains);
  c = loadConfigText(yamlWith("    redirect_https: 8443\n    hsts: false\n"), "t.yaml");
  EXPECT_EQ(c->listeners[0].redirect_https_port, 8443);
  EXPECT_FALSE(c->listeners[0].hsts.enabled);
}

TEST(TlsLoader, ClusterTls) {
  auto c = loadConfigText(yamlWith("", "    tls: {}\n"), "t.yaml");
  const ClusterTls& t = c->clusters[0].tls;
  EXPECT_TRUE(t.enabled);
  EXPECT_TRUE(t.verify);
  EXPECT_EQ(t.ca_file, "");
  EXPECT_EQ(t.sni, "");
  EXPECT_EQ(t.alpn, std::vector<std::string>{"http/1.1"});

  c = loadConfigText(yamlWith("", R"(    tls:
      sni: API.Example.com
      ca: internal-ca.pem
      cert: client.pem
      key: client.key
      alpn: [http/1.1]
)"),
                     "t.yaml");
  const ClusterTls& u = c->clusters[0].tls;
  EXPECT_EQ(u.sni, "api.example.com");
  EXPECT_EQ(u.ca_file, "internal-ca.pem");
  EXPECT_EQ(u.cert_file, "client.pem");
  EXPECT_EQ(u.key_file, "client.key");
  EXPECT_EQ(u.alpn, (std::vector<std::string>{"http/1.1"}));

  c = loadConfigText(yamlWith("", "    tls: { verify: false }\n"), "t.yaml");
  EXPECT_FALSE(c->clusters[0].tls.verify);
}

constexpr const char* kCert = "      certificates: [ { cert: a.pem, key: a.key } ]\n";

TEST(TlsLoader, ListenerTlsErrorsNamePositionAndKey) {
  EXPECT_EQ(errorOf(yamlWith("    tls: { certificates: [] }\n")),
            "t.yaml:3:26: listeners[0].tls.certificates: a TLS listener needs at least one "
            "certificate");
  EXPECT_EQ(errorOf(yamlWith("    tls: {}\n")),
            "t.yaml:3:10: listeners[0].tls.certificates: missing required key 'certificates'");
  EXPECT_EQ(errorOf(yamlWith("    tls:\n      certificates:\n        - cert: a.pem\n")),
            "t.yaml:5:11: listeners[0].tls.certificates[0].key: missing required key 'key'");
  EXPECT_EQ(errorOf(yamlWith(
                "    tls:\n      certificates:\n        - { cert: a.pem, key: a.key, ocps: x }\n")),
            "t.yaml:5:38: listeners[0].tls.certificates[0].ocps: unknown key 'ocps', did you mean "
            "'ocsp'?");
  EXPECT_EQ(errorOf(yamlWith("    tls:\n      certificates: [ { cert: \"\", key: a.key } ]\n")),
            "t.yaml:4:31: listeners[0].tls.certificates[0].cert: must not be empty");
  EXPECT_EQ(errorOf(yamlWith(std::string("    tls:\n") + kCert + "      policy: moden\n")),
            "t.yaml:5:15: listeners[0].tls.policy: invalid value 'moden', expected one of "
            "intermediate, modern (did you mean 'modern'?)");
  EXPECT_EQ(
      errorOf(yamlWith(std::string("    tls:\n") + kCert + "      alpn: [http/1.1, http/1.0]\n")),
      "t.yaml:5:24: listeners[0].tls.alpn[1]: invalid value 'http/1.0', expected one of "
      "h2, http/1.1 (did you mean 'http/1.1'?)");
  EXPECT_EQ(
      errorOf(yamlWith(std::string("    tls:\n") + kCert + "      alpn: [http/1.1, http/1.1]\n")),
      "t.yaml:5:24: listeners[0].tls.alpn[1]: 'http/1.1' is listed twice");
  EXPECT_EQ(errorOf(yamlWith(std::string("    tls:\n") + kCert + "      alpn: [h2, h2]\n")),
            "t.yaml:5:18: listeners[0].tls.alpn[1]: 'h2' is listed twice");
  EXPECT_EQ(errorOf(yamlWith(std::string("    tls:\n") + kCert + "      ticket_rotation: 10s\n")),
            "t.yaml:5:24: listeners[0].tls.ticket_rotation: must be at least 1m");
  EXPECT_EQ(errorOf(yamlWith(std::string("    tls:\n") + kCert + "      session_tickets: yes\n")),
            "t.yaml:5:24: listeners[0].tls.session_tickets: expected true or false, got 'yes'");
}

TEST(TlsLoader, ClientAuthErrors) {
  EXPECT_EQ(errorOf(yamlWith(std::string("    tls:\n") + kCert + "      client_auth: required\n")),
            "t.yaml:4:7: listeners[0].tls.client_ca: missing required key 'client_ca' "
            "(client_auth required verifies client certificates against these CAs)");
  EXPECT_EQ(errorOf(yamlWith(std::string("    tls:\n") + kCert + "      client_ca: ca.pem\n")),
            "t.yaml:5:7: listeners[0].tls.client_ca: client_ca is only used with client_auth: "
            "optional or required (client_auth is none)");
  EXPECT_EQ(errorOf(yamlWith(std::string("    tls:\n") + kCert + "      client_auth: maybe\n")),
            "t.yaml:5:20: listeners[0].tls.client_auth: invalid value 'maybe', expected one of "
            "none, optional, required");
  EXPECT_EQ(errorOf(yamlWith("    client_cert_header: X-Cert\n")),
            "t.yaml:3:5: listeners[0].client_cert_header: client_cert_header needs "
            "tls.client_auth: optional or required on this listener");
  EXPECT_EQ(errorOf(yamlWith("    tls: { certificates: [ { cert: a.pem, key: a.key } ], "
                             "client_auth: optional, client_ca: ca.pem }\n"
                             "    client_cert_header: \"X Cert\"\n")),
            "t.yaml:4:25: listeners[0].client_cert_header: expected a header name (letters, "
            "digits, -._~ etc.) or \"\" to not send it, got 'X Cert'");
}

TEST(TlsLoader, HstsAndRedirectErrors) {
  EXPECT_EQ(errorOf(yamlWith("    hsts: true\n")),
            "t.yaml:3:5: listeners[0].hsts: hsts needs tls on this listener (browsers ignore "
            "Strict-Transport-Security over plain HTTP, RFC 6797 section 8.1)");
  EXPECT_EQ(errorOf(yamlWith("    redirect_https: 443\n    tls: { certificates: [ { cert: a.pem, "
                             "key: a.key } ] }\n")),
            "t.yaml:3:5: listeners[0].redirect_https: redirect_https is for plain listeners; "
            "this listener already has tls");
  EXPECT_EQ(errorOf(yamlWith("    redirect_https: 0\n")),
            "t.yaml:3:21: listeners[0].redirect_https: must be at least 1");
  EXPECT_EQ(errorOf(yamlWith("    redirect_https: 70000\n")),
            "t.yaml:3:21: listeners[0].redirect_https: value 70000 is too large (maximum 65535)");
  EXPECT_EQ(errorOf(yamlWith("    tls: { certificates: [ { cert: a.pem, key: a.key } ] }\n"
                             "    hsts: { max_age: 100, preload: true }\n")),
            "t.yaml:4:36: listeners[0].hsts.preload: preload needs include_subdomains: true and "
            "max_age of at least 31536000 (one year)");
  EXPECT_EQ(errorOf(yamlWith("    tls: { certificates: [ { cert: a.pem, key: a.key } ] }\n"
                             "    hsts: { maxage: 100 }\n")),
            "t.yaml:4:13: listeners[0].hsts.maxage: unknown key 'maxage', did you mean "
            "'max_age'?");
}

TEST(TlsLoader, ClusterTlsErrors) {
  EXPECT_EQ(errorOf(yamlWith("", "    tls: { sni: 10.0.0.1 }\n")),
            "t.yaml:8:17: clusters[0].tls.sni: invalid sni '10.0.0.1' (expected a host name like "
            "api.example.com; SNI cannot be an IP address)");
  EXPECT_EQ(errorOf(yamlWith("", "    tls: { verify: false, ca: ca.pem }\n")),
            "t.yaml:8:27: clusters[0].tls.ca: ca is unused when verify is false");
  EXPECT_EQ(errorOf(yamlWith("", "    tls: { cert: c.pem }\n")),
            "t.yaml:8:10: clusters[0].tls.key: missing required key 'key' (the private key of "
            "the client certificate)");
  EXPECT_EQ(errorOf(yamlWith("", "    tls: { key: c.key }\n")),
            "t.yaml:8:10: clusters[0].tls.cert: missing required key 'cert' (the client "
            "certificate for this key)");
  EXPECT_EQ(errorOf(yamlWith("", "    tls: { alpn: [h3] }\n")),
            "t.yaml:8:19: clusters[0].tls.alpn[0]: invalid value 'h3', expected one of "
            "h2, http/1.1 (did you mean 'h2'?)");
  EXPECT_EQ(errorOf(yamlWith("", "    tls: { verfiy: false }\n")),
            "t.yaml:8:12: clusters[0].tls.verfiy: unknown key 'verfiy', did you mean 'verify'?");
}

}  // namespace
}  // namespace portico::config
