#pragma once
// "host:port" address syntax shared by listener and server addresses, with readable reasons for
// config errors. net/address.h turns the same syntax into socket addresses.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portico::config {

struct HostPort {
  enum class Kind { Any, IPv4, IPv6, Localhost };
  Kind kind = Kind::Any;
  std::string host;  // as written, without brackets; "" for Kind::Any
  uint16_t port = 0;
};

// Parses "HOST:PORT" where HOST is an IPv4 literal, a bracketed IPv6 literal ("[::1]"),
// "localhost" or empty (":8080", any address), and PORT is 1-65535. No DNS is
// involved. Returns nullopt with a reason in *error (if non-null) for anything else.
std::optional<HostPort> parseHostPort(std::string_view text, std::string* error = nullptr);

}  // namespace portico::config
