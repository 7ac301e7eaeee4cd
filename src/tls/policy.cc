#include "tls/policy.h"

#include "tls/openssl_error.h"

namespace portico::tls {

bool applyPolicy(SSL_CTX* ctx, std::string_view policy, std::string& error) {
  const bool modern = policy == "modern";
  if (!modern && policy != "intermediate") {
    error = "unknown TLS policy '" + std::string(policy) + "' (expected intermediate or modern)";
    return false;
  }
  const int min_version = modern ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kIntermediateCiphers) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, kTls13Ciphersuites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1 || SSL_CTX_set_dh_auto(ctx, 1) != 1) {
    error = "cannot apply TLS policy " + std::string(policy) + ": " + takeOpensslErrors();
    return false;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  return true;
}

std::string alpnWire(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const std::string& p : protocols) {
    if (p.empty() || p.size() > 255) continue;
    wire.push_back(static_cast<char>(p.size()));
    wire += p;
  }
  return wire;
}

}  // namespace portico::tls
