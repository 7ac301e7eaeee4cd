#include "proxy/cors.h"

namespace portico::proxy {

namespace {
void appendList(std::string& out, const std::vector<std::string>& items) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.append(", ");
    out.append(items[i]);
  }
}

bool anyOrigin(const config::Cors& cors) {
  for (const std::string& o : cors.allow_origins)
    if (o == "*") return true;
  return false;
}
}  // namespace

bool corsOriginAllowed(const config::Cors& cors, std::string_view origin) {
  if (origin.empty()) return false;
  for (const std::string& o : cors.allow_origins)
    if (o == "*" || o == origin) return true;
  return false;
}

void appendCorsResponseFields(const config::Cors& cors, std::string_view origin, std::string& out) {
  // "*" cannot carry credentials: the origin is echoed then, with Vary so caches keep apart.
  const bool star = anyOrigin(cors) && !cors.allow_credentials;
  out.append("Access-Control-Allow-Origin: ").append(star ? std::string_view("*") : origin);
  out.append("\r\n");
  if (!star) out.append("Vary: Origin\r\n");
  if (cors.allow_credentials) out.append("Access-Control-Allow-Credentials: true\r\n");
  if (!cors.expose_headers.empty()) {
    out.append("Access-Control-Expose-Headers: ");
    appendList(out, cors.expose_headers);
    out.append("\r\n");
  }
}

void appendCorsPreflightFields(const config::Cors& cors, std::string_view origin,
                               std::string_view requested_headers, std::string& out) {
  appendCorsResponseFields(cors, origin, out);
  out.append("Access-Control-Allow-Methods: ");
  appendList(out, cors.allow_methods);
  out.append("\r\n");
  if (!cors.allow_headers.empty()) {
    out.append("Access-Control-Allow-Headers: ");
    appendList(out, cors.allow_headers);
    out.append("\r\n");
  } else if (!requested_headers.empty()) {
    out.append("Access-Control-Allow-Headers: ").append(requested_headers).append("\r\n");
  }
  out.append("Access-Control-Max-Age: ").append(std::to_string(cors.max_age_s)).append("\r\n");
}

}  // namespace portico::proxy
