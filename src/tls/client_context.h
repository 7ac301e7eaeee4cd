#pragma once
// The TLS side of one cluster's upstream connections: verification against a CA bundle (the
// system store by default), an optional client certificate, SNI and ALPN. Built on the main
// thread from config; thread-safe for workers afterwards (only the CA file is reloaded, by the
// main thread, see reloadIfChanged).
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "config/config.h"

namespace portico::tls {

class ClientContext {
 public:
  // Throws config::ConfigError naming the file when a CA, certificate or key cannot be loaded.
  static std::shared_ptr<ClientContext> build(const config::ClusterTls& cfg);
  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  // A new client-side SSL object (connect state) for a connection to `server_host` (a host
  // name or an IP literal): SNI is cfg.sni or the host name (never an IP), and the peer's
  // certificate is verified against that name when verify is on. The caller owns it.
  // Details: an IP literal (brackets allowed) without cfg.sni gets no SNI and is verified
  // against the certificate's IP addresses. TLS 1.2-1.3, "intermediate" ciphers, cfg.alpn
  // offered. Partial writes and moving write buffers allowed; an EOF without close_notify is an
  // error (a response delimited by the close must not be truncated silently). nullptr when out
  // of memory. Any thread.
  SSL* newSsl(const std::string& server_host) const;

  // Main thread: re-reads the `ca:` file when it changed; new connections verify against the
  // new CAs. A file that cannot be used keeps the previous CAs (false, `error` says why).
  bool reloadIfChanged(std::string& error) const;

  struct Impl;

 private:
  explicit ClientContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace portico::tls
