#include "router/match/client_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "router/match/request_fields.h"

namespace portico::router {

bool parseIpLiteral(std::string_view text, net::SockAddr& out) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    text = text.substr(0, text.find(':'));  // IPv4 with a port
  }
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = 0;
  std::memset(&out, 0, sizeof(out));
  if (inet_pton(AF_INET, buf, &out.v4.sin_addr) == 1) {
    out.v4.sin_family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, buf, &out.v6.sin6_addr) == 1) {
    out.v6.sin6_family = AF_INET6;
    return true;
  }
  return false;
}

const sockaddr* resolveClientAddress(const RequestView& v, net::SockAddr& scratch) {
  if (!v.peer) return nullptr;
  if (!v.trusted_proxies || v.trusted_proxies->empty() || !v.trusted_proxies->contains(v.peer))
    return v.peer;
  const sockaddr* client = v.peer;
  // Walk X-Forwarded-For fields last to first, each list right to left.
  std::string_view name, list;
  for (size_t i = headerCount(v); i-- > 0;) {
    headerAt(v, i, &name, &list);
    if (!equalsLower(name, "x-forwarded-for")) continue;
    while (!list.empty()) {
      size_t comma = list.rfind(',');
      std::string_view item = comma == std::string_view::npos ? list : list.substr(comma + 1);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
      net::SockAddr addr;
      if (!parseIpLiteral(item, addr)) return client;
      scratch = addr;
      client = &scratch.sa;
      if (!v.trusted_proxies->contains(client)) return client;
    }
  }
  return client;
}

}  // namespace portico::router
