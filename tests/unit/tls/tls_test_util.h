#pragma once
// Shared fixtures for the TLS tests: one PKI per test binary and ListenerTls builders.
#include <string>
#include <vector>

#include "config/config.h"
#include "test_pki.h"

namespace portico::tls::testing {

// The PKI shared by tests that do not change its files (generated once: RSA keys are slow).
// Destroyed (its directory removed) at exit, before OpenSSL's own cleanup.
inline const TestPki& sharedPki() {
  static const TestPki pki;
  return pki;
}

// A listener TLS config serving the named leaves of `pki` (the first is the default).
inline config::ListenerTls listenerTls(const TestPki& pki, const std::vector<std::string>& leaves) {
  config::ListenerTls cfg;
  cfg.enabled = true;
  for (const std::string& leaf : leaves) {
    config::TlsCertificate c;
    c.cert_file = pki.cert(leaf);
    c.key_file = pki.key(leaf);
    cfg.certificates.push_back(c);
  }
  return cfg;
}

}  // namespace portico::tls::testing
