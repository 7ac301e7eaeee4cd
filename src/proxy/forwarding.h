#pragma once
// Builds the heads portico forwards (RFC 9110 §7.6): hop-by-hop fields removed (including every
// field named in Connection), Via added, X-Forwarded-For/-Proto/-Host and Forwarded set or
// appended depending on whether the peer is a trusted proxy, framing re-declared.
// Thread: pure functions, any thread.
#include <string>
#include <string_view>

#include "config/config.h"
#include "http/http1/parser.h"

namespace portico::proxy {

// A bounded output area; writes past the end are dropped and flagged.
struct HeadWriter {
  char* p;
  char* end;
  bool overflow = false;
  void put(std::string_view s);
  void putUint(uint64_t v);
  size_t written(const char* start) const { return static_cast<size_t>(p - start); }
};

struct RouteVars;  // proxy/route_vars.h

// Values of the ${...} variables in configured header values.
struct HeaderVars {
  std::string_view client_ip, host, path, request_id;
  // ${capture.N}, ${geo.country}, ${geo.continent}; null: they expand to "".
  const RouteVars* route = nullptr;
};

// Writes the fields of `ops` (set, then add) with variables expanded. Skips nothing.
void putHeaderOps(HeadWriter& w, const config::HeaderOps& ops, const HeaderVars& vars);
// True when `ops` removes or replaces the field `name`.
bool headerOpsDrop(const config::HeaderOps& ops, std::string_view name);

struct RequestForwardInfo {
  std::string_view client_ip;      // "1.2.3.4" or "::1"
  bool peer_trusted = false;       // peer address is in trusted_proxies
  std::string_view via_name;       // pseudonym for Via
  std::string_view host_override;  // non-empty: send this Host (rewrite_host)
  bool forward_upgrade = false;    // keep Upgrade: websocket + Connection: upgrade
  bool tls = false;                // the client connected over TLS: proto is https
  // Non-empty: any client header of this name is dropped, and when client_cert_subject is
  // non-empty it is sent under this name (the verified client certificate's subject).
  std::string_view client_cert_header;
  std::string_view client_cert_subject;
  // Non-empty: the exchange's id is sent in `request_id_header` (replacing the client's).
  std::string_view request_id_header;
  std::string_view request_id;
  // Non-empty: sent as traceparent (replacing the client's); drop_tracestate removes the
  // client's tracestate (it belongs to a trace portico did not continue).
  std::string_view traceparent;
  bool drop_tracestate = false;
  // Route actions: header changes, and a path prefix replaced (strip_prefix -> new_prefix).
  const config::HeaderOps* ops = nullptr;
  const HeaderVars* vars = nullptr;
  std::string_view strip_prefix;
  std::string_view new_prefix;
  std::string_view target_override;  // non-empty: sent instead of the request's target
};

// A route's `rewrite: { regex, substitution }`: replaces the first match of `re` in the path of
// `target` (the part before the first '?'; the query is never searched) with `substitution`
// (\0 = the match, \1..\9 its captures, as RE2::Replace). On a match `out` becomes the new path
// followed by the query exactly as received (from '?', even when empty) and the result is
// true; with no match the result is false (use `target` unchanged) and `out` is unspecified.
bool rewriteTargetPath(const re2::RE2& re, std::string_view substitution, std::string_view target,
                       std::string& out);

// Writes the upstream request head for `req` (always HTTP/1.1, origin-form target).
void writeUpstreamRequestHead(const http1::RequestHead& req, const RequestForwardInfo& info,
                              HeadWriter& w);

struct ResponseForwardInfo {
  std::string_view via_name;
  bool client_http10 = false;  // downstream spoke HTTP/1.0
  bool keep_alive = false;     // downstream connection stays open after this response
  bool dechunk = false;        // body is chunked upstream but sent close-delimited downstream
  std::string_view extra;      // header lines added verbatim (each ending CRLF), e.g. Set-Cookie
  const config::HeaderOps* ops = nullptr;  // route's response_headers
  const HeaderVars* vars = nullptr;
  // Non-empty: the body is compressed with this coding and sent chunked: Content-Length,
  // Accept-Ranges and any Content-Encoding go, ETag becomes weak, Vary gets Accept-Encoding.
  std::string_view content_encoding;
};

// Writes the downstream response head for `resp` (status line HTTP/1.1).
void writeDownstreamResponseHead(const http1::ResponseHead& resp, const ResponseForwardInfo& info,
                                 HeadWriter& w);

// The origin form of a request target: an absolute-form target ("http://host/p?q") without
// its scheme and authority ("/p?q", "/" when it has no path); any other target as it is.
std::string_view originForm(std::string_view target);

// True when `name` is listed as a token in any Connection field of `head`.
bool namedInConnection(const http1::MessageHead& head, std::string_view name);

}  // namespace portico::proxy
