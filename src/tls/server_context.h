#pragma once
// The TLS side of one listener: OpenSSL contexts for its certificates (chosen by SNI), the
// protocol/cipher policy, ALPN, session resumption, OCSP stapling and client certificate
// verification. Built on the main thread from config; immutable for workers afterwards (the
// main thread may swap certificates when their files change, see reloadIfChanged). Workers
// only call newSsl() and the accessors below, which are thread-safe.
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"

namespace portico::tls {

class TicketKeyRing;

class ServerContext {
 public:
  // Loads every certificate and key of `cfg`. Throws config::ConfigError naming the file and
  // what is wrong with it (unreadable, not PEM, key does not match, expired CA file, ...).
  static std::shared_ptr<ServerContext> build(const config::ListenerTls& cfg);
  // Same, but shares the session ticket keys and their rotation schedule with `previous` (this
  // listener's context in the config being replaced), so tickets issued before a config reload
  // still resume afterwards. Main thread; call rotateTicketKeyIfDue on the new context only.
  static std::shared_ptr<ServerContext> build(const config::ListenerTls& cfg,
                                              const ServerContext& previous);
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  // A new server-side SSL object (accept state) for one downstream connection; the caller owns
  // it (SSL_free). SNI picks the certificate during the handshake. nullptr when out of memory.
  // Modes: partial writes and moving write buffers allowed, buffers released while idle; an EOF
  // without close_notify reads as a clean close. Call SSL_shutdown (or set SSL_SENT_SHUTDOWN)
  // before SSL_free, else OpenSSL drops the session from the session cache. Any thread.
  SSL* newSsl() const;

  // Main thread: re-reads certificate, key and OCSP files whose modification time changed and
  // installs them for new handshakes (existing connections keep theirs). A file that fails to
  // load keeps the old certificate and returns false with `error` set.
  // Details: a change is a new mtime, size or inode of any of the listener's files; then all of
  // them are loaded and installed together, or none. Returns true when nothing changed or all
  // loaded. After a failure the files are not retried until one of them changes again.
  bool reloadIfChanged(std::string& error);

  // Main thread: rotates the session ticket key when ticket_rotation_ms has passed.
  // The first call only starts the clock (`now_ms` on any monotonic millisecond clock). After a
  // rotation the two previous keys still decrypt (their tickets resume and are renewed).
  void rotateTicketKeyIfDue(uint64_t now_ms);

  struct Impl;

 private:
  explicit ServerContext(std::unique_ptr<Impl> impl);
  static std::unique_ptr<Impl> buildImpl(const config::ListenerTls& cfg,
                                         std::shared_ptr<TicketKeyRing> tickets);
  std::unique_ptr<Impl> impl_;
};

// The protocol ALPN selected on `ssl` ("" when none).
std::string_view alpnOf(const SSL* ssl);
// The verified client certificate's subject as an RFC 2253 string; "" when the client sent
// none (or it was not verified).
std::string clientSubjectOf(const SSL* ssl);

}  // namespace portico::tls
