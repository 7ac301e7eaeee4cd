#include "config/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "config/units.h"
#include "net/address.h"

namespace portico::config {
namespace {

void setError(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

}  // namespace

std::optional<HostPort> parseHostPort(std::string_view text, std::string* error) {
  const std::string quoted = "'" + std::string(text) + "'";
  HostPort hp;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      setError(error, "invalid address " + quoted + ": missing ']'");
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      setError(error, "invalid address " + quoted + ": expected ':PORT' after ']'");
      return std::nullopt;
    }
    port = rest.substr(1);
    in6_addr a6;
    if (!net::parseIp(AF_INET6, host, &a6)) {
      setError(error, "invalid address " + quoted + ": '" + std::string(host) +
                          "' is not an IPv6 address");
      return std::nullopt;
    }
    hp.kind = HostPort::Kind::IPv6;
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      setError(error, "invalid address " + quoted + ": expected HOST:PORT, e.g. 127.0.0.1:8080");
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    in_addr a4;
    if (host.find(':') != std::string_view::npos) {
      setError(error, "invalid address " + quoted +
                          ": IPv6 addresses must be in brackets, e.g. [::1]:8080");
      return std::nullopt;
    } else if (host.empty()) {
      hp.kind = HostPort::Kind::Any;
    } else if (host == "localhost") {
      hp.kind = HostPort::Kind::Localhost;
    } else if (net::parseIp(AF_INET, host, &a4)) {
      hp.kind = HostPort::Kind::IPv4;
    } else {
      setError(error, "invalid address " + quoted + ": host '" + std::string(host) +
                          "' must be an IPv4 literal, a bracketed IPv6 literal or localhost "
                          "(host names are not resolved)");
      return std::nullopt;
    }
  }
  const std::optional<uint64_t> p = parseUnsigned(port, 65535);
  if (!p || *p == 0) {
    setError(error, "invalid address " + quoted + ": port must be a number from 1 to 65535");
    return std::nullopt;
  }
  hp.host = std::string(host);
  hp.port = static_cast<uint16_t>(*p);
  return hp;
}

}  // namespace portico::config
