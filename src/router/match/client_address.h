#pragma once
// The real client address of a request: the peer, or, when the peer is a trusted proxy, the
// nearest address in X-Forwarded-For (right to left) that is not itself trusted. Malformed
// entries stop the walk (the last good hop is used). No allocation. Pure, any thread.
#include "net/address.h"
#include "router/request_view.h"

namespace portico::router {

// Returns the client address of `v`, written into `scratch` when it comes from a header;
// null when the view has no peer.
const sockaddr* resolveClientAddress(const RequestView& v, net::SockAddr& scratch);

// Parses an IPv4 or IPv6 literal (optionally "[v6]" or with ":port" after IPv4) into `out`.
bool parseIpLiteral(std::string_view text, net::SockAddr& out);

}  // namespace portico::router
