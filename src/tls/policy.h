#pragma once
// Protocol and cipher policies (after Mozilla's server-side TLS recommendations, v5.7) and the
// ALPN wire format. Used when building contexts on the main thread.
#include <openssl/ssl.h>

#include <string>
#include <string_view>
#include <vector>

namespace portico::tls {

// TLS 1.2 cipher list of the "intermediate" policy: forward-secret AEAD suites only, in
// Mozilla's order (ECDSA before RSA, AES-128 before AES-256, ChaCha20 last).
inline constexpr const char* kIntermediateCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

// TLS 1.3 cipher suites of both policies (all three AEADs TLS 1.3 defines for general use).
inline constexpr const char* kTls13Ciphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// Key exchange groups of both policies.
inline constexpr const char* kGroups = "X25519:P-256:P-384";

// Applies `policy` to `ctx`: "intermediate" = TLS 1.2 and 1.3 with the ciphers above (plus
// ffdhe2048 for DHE), "modern" = TLS 1.3 only. Both: client preference for ciphers (every
// offered cipher is strong), no compression, no renegotiation. Returns false with `error` set
// for an unknown policy or when OpenSSL refuses a list.
bool applyPolicy(SSL_CTX* ctx, std::string_view policy, std::string& error);

// `protocols` in ALPN wire format: each id prefixed by its one-byte length.
std::string alpnWire(const std::vector<std::string>& protocols);

}  // namespace portico::tls
