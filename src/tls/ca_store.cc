#include "tls/ca_store.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

#include "config/config.h"
#include "tls/certificate.h"

namespace portico::tls {

struct CaStore::Loaded {
  X509_STORE* store = nullptr;
  STACK_OF(X509_NAME) * names = nullptr;
  unsigned char sid_ctx[32] = {};
  unsigned sid_len = 0;
  ~Loaded() {
    if (store) X509_STORE_free(store);
    if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
  }
};

namespace {
std::string opensslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}
}  // namespace

CaStore::CaStore(std::string path, std::string session_context)
    : path_(std::move(path)), session_context_(std::move(session_context)) {
  std::string error;
  seen_ = stampOf(path_);
  std::shared_ptr<const Loaded> l = load(error);
  if (!l) throw config::ConfigError(error);
  current_.store(std::move(l));
}

CaStore::~CaStore() = default;

std::shared_ptr<const CaStore::Loaded> CaStore::load(std::string& error) const {
  error = checkCaFile(path_);
  if (!error.empty()) return nullptr;
  auto l = std::make_shared<Loaded>();
  std::string pem;
  if (!readWholeFile(path_, pem, error)) {
    error = path_ + ": " + error;
    return nullptr;
  }
  if (!session_context_.empty()) {
    std::string material = session_context_ + "/" + pem;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_Digest(material.data(), material.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
      error = "cannot digest " + path_ + ": " + opensslErrors();
      return nullptr;
    }
    l->sid_len = len < 32 ? len : 32;
    std::memcpy(l->sid_ctx, digest, l->sid_len);
  }
  l->store = X509_STORE_new();
  if (!l->store || X509_STORE_load_file(l->store, path_.c_str()) != 1) {
    error = path_ + ": no usable CA certificate (PEM): " + opensslErrors();
    return nullptr;
  }
  l->names = SSL_load_client_CA_file(path_.c_str());
  if (!l->names) {
    error = path_ + ": no usable CA certificate (PEM): " + opensslErrors();
    return nullptr;
  }
  return l;
}

bool CaStore::reloadIfChanged(std::string& error) {
  FileStamp now = stampOf(path_);
  if (now == seen_) return true;
  seen_ = now;
  std::shared_ptr<const Loaded> l = load(error);
  if (!l) return false;
  current_.store(std::move(l));
  return true;
}

bool CaStore::applyTo(SSL* ssl, bool client_ca_names) const {
  std::shared_ptr<const Loaded> l = current_.load();
  if (SSL_set1_verify_cert_store(ssl, l->store) != 1) {
    ERR_clear_error();
    return false;
  }
  if (l->sid_len && SSL_set_session_id_context(ssl, l->sid_ctx, l->sid_len) != 1) {
    ERR_clear_error();
    return false;
  }
  if (client_ca_names) {
    STACK_OF(X509_NAME)* names = SSL_dup_CA_list(l->names);
    if (!names) {
      ERR_clear_error();
      return false;
    }
    SSL_set_client_CA_list(ssl, names);
  }
  return true;
}

}  // namespace portico::tls
