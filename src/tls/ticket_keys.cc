#include "tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

namespace portico::tls {

bool TicketKeyRing::fill(Key& key) {
  return RAND_bytes(key.name, sizeof(key.name)) == 1 && RAND_bytes(key.aes, sizeof(key.aes)) == 1 &&
         RAND_bytes(key.hmac, sizeof(key.hmac)) == 1;
}

TicketKeyRing::TicketKeyRing() : cipher_(EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr)) {
  auto ring = std::make_shared<Ring>();
  // Without randomness there is no safe key; a process that cannot get any must not serve TLS.
  if (cipher_ == nullptr || !fill(ring->keys[0])) std::abort();
  ring->count = 1;
  ring_.store(std::move(ring), std::memory_order_release);
}

TicketKeyRing::~TicketKeyRing() {
  EVP_CIPHER_free(cipher_);
}

void TicketKeyRing::rotate() {
  const std::shared_ptr<const Ring> old = ring_.load(std::memory_order_acquire);
  auto next = std::make_shared<Ring>();
  if (!fill(next->keys[0])) return;  // keep the current key rather than use a weak one
  for (size_t i = 0; i + 1 < kKeys && i < old->count; ++i) next->keys[i + 1] = old->keys[i];
  next->count = old->count < kKeys ? old->count + 1 : kKeys;
  ring_.store(std::move(next), std::memory_order_release);
}

int TicketKeyRing::handle(unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher_ctx,
                          EVP_MAC_CTX* mac_ctx, int enc) const {
  const std::shared_ptr<const Ring> ring = ring_.load(std::memory_order_acquire);
  const Key* key = nullptr;
  int found = 1;
  if (enc == 1) {
    key = &ring->keys[0];
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(cipher_)) != 1) return -1;
    std::memcpy(name, key->name, sizeof(key->name));
  } else {
    for (size_t i = 0; i < ring->count; ++i) {
      if (std::memcmp(name, ring->keys[i].name, sizeof(ring->keys[i].name)) == 0) {
        key = &ring->keys[i];
        found = i == 0 ? 1 : 2;
        break;
      }
    }
    if (key == nullptr) return 0;
  }
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key->hmac),
                                        sizeof(key->hmac)),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(mac_ctx, params) != 1) return -1;
  const int ok = enc == 1 ? EVP_EncryptInit_ex2(cipher_ctx, cipher_, key->aes, iv, nullptr)
                          : EVP_DecryptInit_ex2(cipher_ctx, cipher_, key->aes, iv, nullptr);
  if (ok != 1) return -1;
  return found;
}

}  // namespace portico::tls
