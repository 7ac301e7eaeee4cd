#pragma once
// Well-known HTTP header names, interned to a small integer so hot-path code compares ids,
// not strings. Thread: pure functions, any thread.
#include <cstdint>
#include <string_view>

namespace portico::http {

enum class HeaderId : uint8_t {
  Other = 0,
  Host,
  ContentLength,
  TransferEncoding,
  Connection,
  KeepAlive,
  ProxyConnection,
  Te,
  Trailer,
  Upgrade,
  Expect,
  ProxyAuthenticate,
  ProxyAuthorization,
  Via,
  XForwardedFor,
  XForwardedProto,
  XForwardedHost,
  Forwarded,
  Server,
  Date,
  Http2Settings,
  Count
};

// Returns the id of a header name (case-insensitive), HeaderId::Other when not well known.
HeaderId lookupHeaderId(std::string_view name);

// Returns the canonical lower-case spelling of a well-known id ("" for Other).
std::string_view headerName(HeaderId id);

// ASCII case-insensitive equality.
bool equalsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace portico::http
