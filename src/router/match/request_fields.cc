#include "router/match/request_fields.h"

#include "router/match/text_matcher.h"

namespace portico::router {

std::string_view normalizeHost(std::string_view host, char (&buf)[kMaxHostLength + 1]) {
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else {
    size_t colon = host.rfind(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.size() > kMaxHostLength) return host;
  for (size_t i = 0; i < host.size(); ++i) buf[i] = lowerAscii(host[i]);
  return std::string_view(buf, host.size());
}

std::string_view targetPath(std::string_view target) {
  if (!target.empty() && target[0] != '/') {
    size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      size_t slash = target.find_first_of("/?#", scheme + 3);
      if (slash == std::string_view::npos || target[slash] != '/') return "/";
      target = target.substr(slash);
    }
  }
  size_t q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

std::string_view targetQuery(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view qs = target.substr(q + 1);
  size_t hash = qs.find('#');
  return hash == std::string_view::npos ? qs : qs.substr(0, hash);
}

bool findHeader(const RequestView& v, std::string_view name, std::string_view* value) {
  return forEachHeader(v, name, [&](std::string_view val) {
    *value = val;
    return true;
  });
}

bool findCookie(const RequestView& v, std::string_view name, std::string_view* value) {
  return forEachHeader(v, "cookie", [&](std::string_view list) {
    while (!list.empty()) {
      size_t semi = list.find(';');
      std::string_view pair = list.substr(0, semi);
      while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        std::string_view val = pair.substr(eq + 1);
        while (!val.empty() && (val.back() == ' ' || val.back() == '\t')) val.remove_suffix(1);
        *value = val;
        return true;
      }
      if (semi == std::string_view::npos) break;
      list.remove_prefix(semi + 1);
    }
    return false;
  });
}

bool findQueryParam(std::string_view query, std::string_view name, std::string_view* value) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      *value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      return true;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace portico::router
