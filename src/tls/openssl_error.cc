#include "tls/openssl_error.h"

#include <openssl/err.h>

namespace portico::tls {

std::string takeOpensslErrors(const std::string& fallback) {
  std::string out;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    const char* reason = ERR_reason_error_string(code);
    std::string text = reason != nullptr ? reason : "error " + std::to_string(code);
    if (out.find(text) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? fallback : out;
}

}  // namespace portico::tls
