#include "tls/server_context.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "tls/ca_store.h"
#include "tls/cert_set.h"
#include "tls/certificate.h"
#include "tls/openssl_error.h"
#include "tls/policy.h"
#include "tls/ticket_keys.h"

namespace portico::tls {
namespace {

constexpr long kMinSessionTimeoutS = 300;
constexpr long kMaxSessionTimeoutS = 7 * 86400;  // TLS 1.3 ticket lifetime limit (RFC 8446)

// What the OpenSSL callbacks of one listener read. Owned by its SSL_CTX (ex_data) so it lives
// as long as any SSL made from it, even past the ServerContext.
struct ServerState {
  std::atomic<std::shared_ptr<const CertSet>> certs;
  std::shared_ptr<TicketKeyRing> tickets;  // shared with the listener's next context
  std::string alpn_wire;                   // the configured ALPN list, in server preference order
};

void freeState(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<ServerState*>(ptr);
}

int stateIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, freeState);
  return index;
}

ServerState* stateOf(SSL* ssl) {
  return static_cast<ServerState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), stateIndex()));
}

// Installs the certificates for the client's SNI on `ssl` (one per key type; OpenSSL then
// picks by the client's signature algorithms). Runs during each full handshake.
int certCallback(SSL* ssl, void* arg) {
  const auto* state = static_cast<const ServerState*>(arg);
  const std::shared_ptr<const CertSet> certs = state->certs.load(std::memory_order_acquire);
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  for (const Certificate* c : certs->select(sni != nullptr ? sni : "")) {
    if (SSL_use_cert_and_key(ssl, c->leaf.get(), c->key.get(), c->chain.get(), 1) != 1) return 0;
  }
  return 1;
}

// Server preference: the first configured protocol the client offers. No overlap is a fatal
// no_application_protocol alert (RFC 7301 section 3.2).
int alpnCallback(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                 unsigned int inlen, void* arg) {
  const std::string& ours = static_cast<const ServerState*>(arg)->alpn_wire;
  for (size_t i = 0; i < ours.size(); i += 1 + static_cast<unsigned char>(ours[i])) {
    const unsigned char len = static_cast<unsigned char>(ours[i]);
    for (unsigned int j = 0; j < inlen; j += 1u + in[j]) {
      if (in[j] == len && j + 1u + len <= inlen &&
          std::equal(in + j + 1, in + j + 1 + len, ours.data() + i + 1)) {
        *out = in + j + 1;
        *outlen = len;
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// Staples the OCSP response of the certificate OpenSSL chose, when the client asked for one.
int statusCallback(SSL* ssl, void* arg) {
  const auto* state = static_cast<const ServerState*>(arg);
  const std::shared_ptr<const CertSet> certs = state->certs.load(std::memory_order_acquire);
  const std::string* der = certs->ocspFor(SSL_get_certificate(ssl));
  if (der == nullptr) return SSL_TLSEXT_ERR_NOACK;
  void* copy = OPENSSL_memdup(der->data(), der->size());
  if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;
  SSL_set_tlsext_status_ocsp_resp(ssl, static_cast<unsigned char*>(copy),
                                  static_cast<long>(der->size()));
  return SSL_TLSEXT_ERR_OK;
}

int ticketCallback(SSL* ssl, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                   EVP_CIPHER_CTX* cipher_ctx, EVP_MAC_CTX* mac_ctx, int enc) {
  const ServerState* state = stateOf(ssl);
  if (state == nullptr) return -1;
  return state->tickets->handle(name, iv, cipher_ctx, mac_ctx, enc);
}

// Loads every certificate of `cfg` and checks OpenSSL accepts each (security level, key type).
// Returns nullptr with `error` naming the file otherwise.
std::shared_ptr<const CertSet> loadCertSet(const config::ListenerTls& cfg, std::string& error) {
  std::vector<std::shared_ptr<const Certificate>> certs;
  SslCtxPtr trial(SSL_CTX_new(TLS_server_method()));
  if (!trial) {
    error = "cannot create an OpenSSL context: " + takeOpensslErrors();
    return nullptr;
  }
  for (const config::TlsCertificate& files : cfg.certificates) {
    std::shared_ptr<const Certificate> c = loadCertificate(files, error);
    if (!c) return nullptr;
    if (SSL_CTX_use_cert_and_key(trial.get(), c->leaf.get(), c->key.get(), c->chain.get(), 1) !=
        1) {
      error = files.cert_file + ": OpenSSL refuses this certificate: " + takeOpensslErrors();
      return nullptr;
    }
    certs.push_back(std::move(c));
  }
  if (certs.empty()) {
    error = "a TLS listener needs at least one certificate";
    return nullptr;
  }
  return std::make_shared<const CertSet>(std::move(certs));
}

// The stamps of every file of `cfg`, in a fixed order (cert, key, ocsp per certificate).
std::vector<FileStamp> stampsOf(const config::ListenerTls& cfg) {
  std::vector<FileStamp> out;
  for (const config::TlsCertificate& files : cfg.certificates) {
    out.push_back(stampOf(files.cert_file));
    out.push_back(stampOf(files.key_file));
    out.push_back(files.ocsp_file.empty() ? FileStamp{} : stampOf(files.ocsp_file));
  }
  return out;
}

std::vector<FileStamp> stampsOf(const CertSet& set) {
  std::vector<FileStamp> out;
  for (const auto& c : set.certificates()) {
    out.push_back(c->cert_stamp);
    out.push_back(c->key_stamp);
    out.push_back(c->ocsp_stamp);
  }
  return out;
}

// Sessions only resume under the client certificate rules they were made with: the session ID
// context is a digest of the client_auth mode and the CA file's contents. (Tickets can outlive a
// config reload, see build(cfg, previous).)
void setSessionIdContext(SSL_CTX* ctx, const config::ListenerTls& cfg, const std::string& ca_pem) {
  std::string material = "portico/client_auth=";
  material += std::to_string(static_cast<int>(cfg.client_auth)) + "/" + ca_pem;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(material.data(), material.size(), digest, &len, EVP_sha256(), nullptr) != 1 ||
      SSL_CTX_set_session_id_context(ctx, digest, std::min(len, 32u)) != 1) {
    throw config::ConfigError("cannot set the TLS session context: " + takeOpensslErrors());
  }
}

// Client certificates: the CAs come from a CaStore applied to each new SSL (newSsl), so the
// file can be reloaded; the context only holds the verification mode.
std::unique_ptr<CaStore> configureClientAuth(SSL_CTX* ctx, const config::ListenerTls& cfg) {
  std::string text;
  if (cfg.client_auth == config::ListenerTls::ClientAuth::None) {
    setSessionIdContext(ctx, cfg, text);
    return nullptr;
  }
  // Sessions resume only under the client_auth mode and CA file contents they were made with.
  auto store = std::make_unique<CaStore>(
      cfg.client_ca_file,
      "portico/client_auth=" + std::to_string(static_cast<int>(cfg.client_auth)));
  setSessionIdContext(ctx, cfg, text);
  int mode = SSL_VERIFY_PEER;
  if (cfg.client_auth == config::ListenerTls::ClientAuth::Required) {
    mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return store;
}

void configureSessions(SSL_CTX* ctx, const config::ListenerTls& cfg) {
  const long rotation_s = static_cast<long>(cfg.ticket_rotation_ms / 1000);
  SSL_CTX_set_timeout(ctx, std::clamp(2 * rotation_s, kMinSessionTimeoutS, kMaxSessionTimeoutS));
  if (cfg.session_cache_size > 0) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, static_cast<long>(cfg.session_cache_size));
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  if (cfg.session_tickets) {
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticketCallback);
    SSL_CTX_set_num_tickets(ctx, 1);
  } else {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, cfg.session_cache_size > 0 ? 1 : 0);
  }
}

}  // namespace

struct ServerContext::Impl {
  config::ListenerTls cfg;
  SslCtxPtr ctx;
  ServerState* state = nullptr;        // owned by ctx
  std::vector<FileStamp> seen;         // file stamps at the last load attempt
  std::unique_ptr<CaStore> client_ca;  // client_auth: the CAs client certificates chain to
  bool rotation_started = false;
  uint64_t last_rotation_ms = 0;
};

ServerContext::ServerContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ServerContext::~ServerContext() = default;

std::shared_ptr<ServerContext> ServerContext::build(const config::ListenerTls& cfg) {
  return std::shared_ptr<ServerContext>(
      new ServerContext(buildImpl(cfg, std::make_shared<TicketKeyRing>())));
}

std::shared_ptr<ServerContext> ServerContext::build(const config::ListenerTls& cfg,
                                                    const ServerContext& previous) {
  std::unique_ptr<Impl> impl = buildImpl(cfg, previous.impl_->state->tickets);
  // The rotation schedule goes on where the previous context left it.
  impl->rotation_started = previous.impl_->rotation_started;
  impl->last_rotation_ms = previous.impl_->last_rotation_ms;
  return std::shared_ptr<ServerContext>(new ServerContext(std::move(impl)));
}

std::unique_ptr<ServerContext::Impl> ServerContext::buildImpl(
    const config::ListenerTls& cfg, std::shared_ptr<TicketKeyRing> tickets) {
  auto impl = std::make_unique<Impl>();
  impl->cfg = cfg;
  impl->ctx.reset(SSL_CTX_new(TLS_server_method()));
  if (!impl->ctx) throw config::ConfigError("cannot create a TLS context: " + takeOpensslErrors());
  SSL_CTX* ctx = impl->ctx.get();
  auto* state = new ServerState;
  if (SSL_CTX_set_ex_data(ctx, stateIndex(), state) != 1) {
    delete state;
    throw config::ConfigError("cannot create a TLS context: " + takeOpensslErrors());
  }
  impl->state = state;
  state->tickets = std::move(tickets);

  std::string error;
  if (!applyPolicy(ctx, cfg.policy, error)) throw config::ConfigError(error);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_NO_AUTO_CHAIN);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Read ahead: one read(2) takes every record the socket holds, instead of a header and then
  // a body per record (a TLS 1.3 handshake made ~13 reads, an HTTP/2 burst one per record).
  // Safe because readers always read until WANT_READ or come back without waiting for epoll.
  SSL_CTX_set_read_ahead(ctx, 1);
  configureSessions(ctx, cfg);
  impl->client_ca = configureClientAuth(ctx, cfg);

  state->alpn_wire = alpnWire(cfg.alpn);
  if (!state->alpn_wire.empty()) SSL_CTX_set_alpn_select_cb(ctx, alpnCallback, state);

  std::shared_ptr<const CertSet> certs = loadCertSet(cfg, error);
  if (!certs) throw config::ConfigError(error);
  impl->seen = stampsOf(*certs);
  state->certs.store(std::move(certs), std::memory_order_release);
  SSL_CTX_set_cert_cb(ctx, certCallback, state);
  const bool any_ocsp = std::any_of(cfg.certificates.begin(), cfg.certificates.end(),
                                    [](const auto& c) { return !c.ocsp_file.empty(); });
  if (any_ocsp) {
    SSL_CTX_set_tlsext_status_cb(ctx, statusCallback);
    SSL_CTX_set_tlsext_status_arg(ctx, state);
  }
  return impl;
}

SSL* ServerContext::newSsl() const {
  SSL* ssl = SSL_new(impl_->ctx.get());
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  if (impl_->client_ca && !impl_->client_ca->applyTo(ssl, true)) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

bool ServerContext::reloadIfChanged(std::string& error) {
  if (impl_->client_ca && !impl_->client_ca->reloadIfChanged(error)) return false;
  std::vector<FileStamp> now = stampsOf(impl_->cfg);
  if (now == impl_->seen) return true;
  impl_->seen = std::move(now);
  std::shared_ptr<const CertSet> certs = loadCertSet(impl_->cfg, error);
  if (!certs) return false;  // the previous certificates stay in use
  // What was actually read (a file may have changed again since the stat above).
  impl_->seen = stampsOf(*certs);
  impl_->state->certs.store(std::move(certs), std::memory_order_release);
  return true;
}

void ServerContext::rotateTicketKeyIfDue(uint64_t now_ms) {
  if (!impl_->rotation_started) {
    impl_->rotation_started = true;
    impl_->last_rotation_ms = now_ms;
    return;
  }
  if (now_ms - impl_->last_rotation_ms < impl_->cfg.ticket_rotation_ms) return;
  impl_->state->tickets->rotate();
  impl_->last_rotation_ms = now_ms;
}

std::string_view alpnOf(const SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &data, &len);
  if (data == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(data), len);
}

std::string clientSubjectOf(const SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  return nameText(X509_get_subject_name(peer));
}

}  // namespace portico::tls
