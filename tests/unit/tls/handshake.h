#pragma once
// In-memory TLS handshakes for tests: a client SSL and a server SSL joined by a BIO pair,
// pumped non-blocking until both finish or one fails.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

#include "tls/openssl_ptr.h"

namespace portico::tls::testing {

// A client context: TLS 1.2-1.3, verifying against `ca_file` when given.
inline SslCtxPtr makeClientCtx(const std::string& ca_file = "") {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (!ca_file.empty()) {
    SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  return ctx;
}

// A client SSL from `ctx` sending `sni` ("" = none).
inline SslPtr makeClient(SSL_CTX* ctx, const std::string& sni = "") {
  SslPtr ssl(SSL_new(ctx));
  SSL_set_connect_state(ssl.get());
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl.get(), sni.c_str());
  return ssl;
}

// Joins `client` and `server` (each takes its end of a fresh BIO pair).
inline void join(SSL* client, SSL* server) {
  BIO* c = nullptr;
  BIO* s = nullptr;
  BIO_new_bio_pair(&c, 0, &s, 0);
  SSL_set_bio(client, c, c);
  SSL_set_bio(server, s, s);
}

// True when `rc` from an SSL call on `ssl` means "call again later".
inline bool wouldBlock(SSL* ssl, int rc) {
  const int err = SSL_get_error(ssl, rc);
  return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
}

// Joins and pumps both sides until both handshakes complete (true) or one fails (false). Then
// lets the client read what the server sent after its handshake (TLS 1.3 session tickets).
inline bool handshake(SSL* client, SSL* server) {
  join(client, server);
  bool client_done = false, server_done = false;
  for (int i = 0; i < 100 && !(client_done && server_done); ++i) {
    if (!client_done) {
      const int rc = SSL_do_handshake(client);
      if (rc == 1) {
        client_done = true;
      } else if (!wouldBlock(client, rc)) {
        ERR_clear_error();
        // Let the server read the client's alert, so its error is visible too.
        SSL_do_handshake(server);
        ERR_clear_error();
        return false;
      }
    }
    if (!server_done) {
      const int rc = SSL_do_handshake(server);
      if (rc == 1) {
        server_done = true;
      } else if (!wouldBlock(server, rc)) {
        ERR_clear_error();
        SSL_do_handshake(client);
        ERR_clear_error();
        return false;
      }
    }
  }
  if (!(client_done && server_done)) return false;
  char byte;
  SSL_read(client, &byte, 1);  // processes NewSessionTicket; returns "want read"
  ERR_clear_error();
  return true;
}

// The SNI-selected leaf the client received: its subject CN.
inline std::string peerCn(SSL* client) {
  X509* peer = SSL_get0_peer_certificate(client);
  if (peer == nullptr) return "";
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof(buf));
  return buf;
}

// The base id of the server key the client saw (EVP_PKEY_RSA, EVP_PKEY_EC, ...).
inline int peerKeyType(SSL* client) {
  X509* peer = SSL_get0_peer_certificate(client);
  return peer == nullptr ? 0 : EVP_PKEY_get_base_id(X509_get0_pubkey(peer));
}

}  // namespace portico::tls::testing
