#include "net/address.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace portico::net {

bool parseIp(int family, std::string_view text, void* out) {
  char buf[INET6_ADDRSTRLEN + 1];  // inet_pton wants a NUL-terminated string
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return inet_pton(family, buf, out) == 1;
}

std::string Address::ipString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.sa.sa_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
  } else if (ss.sa.sa_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf, sizeof buf);
    } else {
      inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    }
  }
  return buf;
}

std::string Address::toString() const {
  uint16_t port = 0;
  if (ss.sa.sa_family == AF_INET)
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  else if (ss.sa.sa_family == AF_INET6)
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  std::string ip = ipString();
  if (ss.sa.sa_family == AF_INET6 && ip.find(':') != std::string::npos) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(port);
}

bool parseAddress(std::string_view text, Address& out) {
  std::string_view host, port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return false;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    std::string h(host);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, h.c_str(), &a.sin6_addr) != 1) return false;
    unsigned p = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || p == 0 || p > 65535)
      return false;
    a.sin6_port = htons(static_cast<uint16_t>(p));
    std::memset(&out.ss, 0, sizeof out.ss);
    std::memcpy(&out.ss, &a, sizeof a);
    out.len = sizeof a;
    return true;
  }
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  unsigned p = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || p == 0 ||
      p > 65535)
    return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(p));
  if (host.empty() || host == "*") {
    a.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (host == "localhost") {
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else {
    std::string h(host);
    if (inet_pton(AF_INET, h.c_str(), &a.sin_addr) != 1) return false;
  }
  std::memset(&out.ss, 0, sizeof out.ss);
  std::memcpy(&out.ss, &a, sizeof a);
  out.len = sizeof a;
  return true;
}

int listenSocket(const Address& addr, int backlog, std::string& err) {
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (addr.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, addr.sa(), addr.len) != 0 || ::listen(fd, backlog) != 0) {
    err = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

int connectSocket(const Address& addr) {
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, addr.sa(), addr.len) != 0 && errno != EINPROGRESS) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

std::string_view hostOf(std::string_view t) {
  if (!t.empty() && t.front() == '[') {
    size_t close = t.find(']');
    return close == std::string_view::npos ? t.substr(1) : t.substr(1, close - 1);
  }
  size_t colon = t.rfind(':');
  if (colon != std::string_view::npos && t.find(':') == colon) t = t.substr(0, colon);
  return t;
}

}  // namespace portico::net
