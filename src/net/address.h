#pragma once
// Socket addresses and the few socket calls portico makes. Thread: any.
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <string_view>

namespace portico::net {

// IPv4 or IPv6 socket address in 28 bytes (a sockaddr_storage would take 128 in every
// connection object).
union SockAddr {
  sockaddr sa;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

struct Address {
  SockAddr ss{};
  socklen_t len = 0;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
  int family() const { return ss.sa.sa_family; }
  // "1.2.3.4:80" or "[::1]:80".
  std::string toString() const;
  // The IP part only ("1.2.3.4", "::1"; v4-mapped v6 shown as v4).
  std::string ipString() const;
};

// Parses an IP literal of `family` (AF_INET: "1.2.3.4", AF_INET6: "::1", no brackets) into
// `out` (an in_addr or in6_addr). False when `text` is not one.
bool parseIp(int family, std::string_view text, void* out);

// Parses "host:port" where host is an IPv4 literal, "[v6]", "localhost" or empty (0.0.0.0).
// Returns false when it does not parse or the port is not 1-65535.
bool parseAddress(std::string_view text, Address& out);

// Creates a non-blocking listening socket bound to `addr` with SO_REUSEADDR and SO_REUSEPORT.
// Returns the fd or -1 with `err` set to a readable reason.
int listenSocket(const Address& addr, int backlog, std::string& err);

// Starts a non-blocking connect to `addr` (TCP_NODELAY set). Returns the fd (connect may be in
// progress) or -1 with errno set.
int connectSocket(const Address& addr);

// The host of a configured "host:port" address, without the port or IPv6 brackets:
// "[::1]:443" -> "::1", "api.local:8443" -> "api.local", "localhost" -> "localhost".
std::string_view hostOf(std::string_view address_text);

}  // namespace portico::net
