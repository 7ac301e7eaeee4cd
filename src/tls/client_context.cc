#include "tls/client_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls/ca_store.h"
#include "tls/certificate.h"
#include "tls/client_session_cache.h"
#include "tls/openssl_error.h"
#include "tls/policy.h"

namespace portico::tls {
namespace {

// `host` without the brackets of an IPv6 literal ("[::1]" -> "::1").
std::string unbracketed(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

bool isIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

void freeCache(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<ClientSessionCache*>(ptr);
}
void freeName(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::string*>(ptr);
}

// The session cache of a client SSL_CTX (owned by it, so it outlives every SSL made from it).
int cacheIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, freeCache);
  return index;
}
// The name an upstream SSL's sessions are remembered under (owned by the SSL).
int nameIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, freeName);
  return index;
}

// OpenSSL hands over each new session (TLS 1.2 handshake, TLS 1.3 ticket): remember it.
int newSessionCallback(SSL* ssl, SSL_SESSION* session) {
  auto* cache =
      static_cast<ClientSessionCache*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), cacheIndex()));
  const auto* name = static_cast<const std::string*>(SSL_get_ex_data(ssl, nameIndex()));
  if (cache == nullptr || name == nullptr) return 0;
  cache->put(*name, session);
  return 0;  // the cache keeps a copy, not this reference
}

}  // namespace

struct ClientContext::Impl {
  config::ClusterTls cfg;
  SslCtxPtr ctx;
  ClientSessionCache* sessions = nullptr;  // owned by ctx
  std::unique_ptr<CaStore> ca;             // `ca:` file (reloadable); null = system store
};

ClientContext::ClientContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClientContext::~ClientContext() = default;

std::shared_ptr<ClientContext> ClientContext::build(const config::ClusterTls& cfg) {
  auto impl = std::make_unique<Impl>();
  impl->cfg = cfg;
  impl->ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (!impl->ctx) throw config::ConfigError("cannot create a TLS context: " + takeOpensslErrors());
  SSL_CTX* ctx = impl->ctx.get();
  std::string error;
  if (!applyPolicy(ctx, "intermediate", error)) throw config::ConfigError(error);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_ENABLE_PARTIAL_WRITE);
  auto* sessions = new ClientSessionCache;
  if (SSL_CTX_set_ex_data(ctx, cacheIndex(), sessions) != 1) {
    delete sessions;
    throw config::ConfigError("cannot create a TLS context: " + takeOpensslErrors());
  }
  impl->sessions = sessions;
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, newSessionCallback);

  if (cfg.verify) {
    if (cfg.ca_file.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        throw config::ConfigError("cannot load the system CA store: " + takeOpensslErrors());
      }
    } else {
      impl->ca = std::make_unique<CaStore>(cfg.ca_file);  // applied to each SSL in newSsl()
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }

  if (!cfg.cert_file.empty()) {
    X509Ptr leaf;
    X509StackPtr chain;
    if (!loadCertChain(cfg.cert_file, leaf, chain, error)) throw config::ConfigError(error);
    EvpPkeyPtr key = loadPrivateKey(cfg.key_file, error);
    if (!key) throw config::ConfigError(error);
    if (X509_check_private_key(leaf.get(), key.get()) != 1) {
      ERR_clear_error();
      throw config::ConfigError(
          cfg.key_file + ": the private key does not match the certificate in " + cfg.cert_file);
    }
    if (SSL_CTX_use_cert_and_key(ctx, leaf.get(), key.get(), chain.get(), 1) != 1) {
      throw config::ConfigError(cfg.cert_file +
                                ": OpenSSL refuses this certificate: " + takeOpensslErrors());
    }
  }

  const std::string wire = alpnWire(cfg.alpn);
  // SSL_CTX_set_alpn_protos returns 0 on success.
  if (!wire.empty() &&
      SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned int>(wire.size())) != 0) {
    throw config::ConfigError("cannot set ALPN protocols: " + takeOpensslErrors());
  }
  return std::shared_ptr<ClientContext>(new ClientContext(std::move(impl)));
}

SSL* ClientContext::newSsl(const std::string& server_host) const {
  SslPtr ssl(SSL_new(impl_->ctx.get()));
  if (!ssl) {
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_connect_state(ssl.get());
  if (impl_->ca && !impl_->ca->applyTo(ssl.get(), false)) return nullptr;
  const std::string host = unbracketed(server_host);
  const bool ip = isIpLiteral(host);
  const std::string& name = !impl_->cfg.sni.empty() ? impl_->cfg.sni : host;
  if (!impl_->cfg.sni.empty() || !ip) {
    if (SSL_set_tlsext_host_name(ssl.get(), name.c_str()) != 1) {
      ERR_clear_error();
      return nullptr;
    }
  }
  // Sessions are remembered per verified name: one made with a server verified for one name is
  // never offered to a server expected to have another.
  auto* key = new std::string(name);
  if (SSL_set_ex_data(ssl.get(), nameIndex(), key) != 1) {
    delete key;
    ERR_clear_error();
    return nullptr;
  }
  impl_->sessions->offer(*key, ssl.get());
  if (impl_->cfg.verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const bool ok = impl_->cfg.sni.empty() && ip
                        ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1
                        : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size()) == 1;
    if (!ok) {
      ERR_clear_error();
      return nullptr;
    }
  }
  return ssl.release();
}

bool ClientContext::reloadIfChanged(std::string& error) const {
  return !impl_->ca || impl_->ca->reloadIfChanged(error);
}

}  // namespace portico::tls
