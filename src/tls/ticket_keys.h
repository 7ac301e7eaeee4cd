#pragma once
// Session ticket keys of one listener, shared by all its workers through one SSL_CTX. The
// current key encrypts new tickets; it and the two keys before it decrypt, so a ticket stays
// usable for two to three rotation periods. Tickets under an older key are re-issued under the
// current one when they resume a session.
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <memory>

namespace portico::tls {

class TicketKeyRing {
 public:
  // Number of keys that decrypt: the current one and two previous ones.
  static constexpr size_t kKeys = 3;

  // Creates the first key from the system's random source.
  TicketKeyRing();
  ~TicketKeyRing();
  TicketKeyRing(const TicketKeyRing&) = delete;
  TicketKeyRing& operator=(const TicketKeyRing&) = delete;

  // Main thread: a new random current key; the oldest of the three stops decrypting. Workers
  // handshaking meanwhile see either the old or the new ring, never a mix.
  void rotate();

  // The SSL_CTX_set_tlsext_ticket_key_evp_cb contract, any thread, lock-free apart from the
  // shared_ptr load: enc = 1 fills `name` and `iv` and sets up encryption under the current key
  // (returns 1, or -1 on failure); enc = 0 looks `name` up and sets up decryption (returns 1 for
  // the current key, 2 = "valid, please renew" for an older one, 0 when unknown).
  int handle(unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher_ctx,
             EVP_MAC_CTX* mac_ctx, int enc) const;

 private:
  struct Key {
    unsigned char name[16];
    unsigned char aes[32];   // AES-256-CBC
    unsigned char hmac[32];  // HMAC-SHA256
  };
  struct Ring {
    std::array<Key, kKeys> keys{};  // [0] = current
    size_t count = 0;
  };
  static bool fill(Key& key);

  std::atomic<std::shared_ptr<const Ring>> ring_;
  EVP_CIPHER* cipher_ = nullptr;  // fetched once; read-only and thread-safe afterwards
};

}  // namespace portico::tls
