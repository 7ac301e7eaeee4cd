#include "proxy/redirect.h"

#include "proxy/forwarding.h"

namespace portico::proxy {

bool redirectLocation(const config::RouteRedirect& d, std::string_view matched_prefix,
                      std::string_view matched_exact, std::string_view target,
                      std::string_view host, bool tls, std::string& location) {
  if (!d.host.empty()) host = d.host;
  if (host.empty() || host.front() == ':') return false;      // no host to send the client back to
  target = originForm(target);                                // absolute form: its path
  if (target.empty() || target.front() != '/') target = "/";  // asterisk form
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query =
      q == std::string_view::npos ? std::string_view() : target.substr(q);
  const std::string_view scheme =
      d.scheme.empty() ? std::string_view(tls ? "https" : "http") : std::string_view(d.scheme);
  location.append(scheme).append("://");
  if (d.port) {
    // The host without its port, then the configured port (unless the scheme's default).
    size_t end = host.size();
    if (host.front() == '[')
      end = host.find(']') == std::string_view::npos ? host.size() : host.find(']') + 1;
    else if (size_t c = host.find(':'); c != std::string_view::npos)
      end = c;
    location.append(host.substr(0, end));
    const bool https = scheme == "https";
    if (!((https && d.port == 443) || (!https && d.port == 80)))
      location.append(":").append(std::to_string(d.port));
  } else {
    location.append(host);
  }
  if (!d.path.empty()) {
    location.append(d.path);
  } else if (!d.prefix_rewrite.empty() && matched_exact.empty() &&
             path.substr(0, matched_prefix.size()) == matched_prefix) {
    const std::string_view rest = path.substr(matched_prefix.size());
    std::string_view np = d.prefix_rewrite;
    if (np.back() == '/' && !rest.empty() && rest.front() == '/') np.remove_suffix(1);
    location.append(np).append(rest);
  } else if (!d.prefix_rewrite.empty() && !matched_exact.empty()) {
    location.append(d.prefix_rewrite);
  } else {
    location.append(path.empty() ? std::string_view("/") : path);
  }
  if (!d.strip_query) location.append(query);
  return true;
}

}  // namespace portico::proxy
