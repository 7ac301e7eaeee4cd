#pragma once
// What the router may look at in one request: views into the parsed head and the connection,
// valid for the duration of Router::match. Building one copies nothing and allocates nothing.
// Protocol-neutral: an HTTP/2 or TLS front end fills the same fields. Thread: the worker
// that owns the exchange.
#include <sys/socket.h>

#include <cstdint>
#include <string_view>

#include "http/http1/parser.h"
#include "http/message.h"
#include "net/cidr.h"

namespace portico::router {

struct RequestView {
  std::string_view host;    // Host / :authority as received; may carry a port
  std::string_view target;  // request target: origin-form path[?query], or absolute-form
  std::string_view method;  // method token, case-sensitive
  // Request header fields in arrival order: an HTTP/1 head's array, or (when non-null) a
  // protocol-neutral HeaderList, which then takes precedence.
  const http1::Header* headers = nullptr;
  uint32_t header_count = 0;
  const http::HeaderList* header_list = nullptr;
  // The connection's peer; with `trusted_proxies` containing it, client_ip/geo conditions use
  // the nearest untrusted X-Forwarded-For address instead (resolved lazily, only when needed).
  const sockaddr* peer = nullptr;
  const net::CidrSet* trusted_proxies = nullptr;
  std::string_view sni;      // TLS server name sent by the client; "" = none / plain TCP
  bool client_cert = false;  // TLS client presented a verified certificate
};

// A view of an HTTP/1 request head and its connection (sni/client_cert left empty).
inline RequestView viewOf(const http1::RequestHead& req, const sockaddr* peer,
                          const net::CidrSet* trusted_proxies) {
  RequestView v;
  v.host = req.host;
  v.target = req.target;
  v.method = req.method;
  v.headers = req.headers;
  v.header_count = req.header_count;
  v.peer = peer;
  v.trusted_proxies = trusted_proxies;
  return v;
}

// A view of a protocol-neutral request head (HTTP/2, HTTP/3) and its connection.
inline RequestView viewOf(const http::RequestHead& req, const sockaddr* peer,
                          const net::CidrSet* trusted_proxies) {
  RequestView v;
  v.host = req.authority;
  v.target = req.path;
  v.method = req.method;
  v.header_list = &req.headers;
  v.peer = peer;
  v.trusted_proxies = trusted_proxies;
  return v;
}

// Number of header fields of `v`.
inline size_t headerCount(const RequestView& v) {
  return v.header_list ? v.header_list->size() : v.header_count;
}

// Name and value of field `i` (< headerCount(v)) of `v`.
inline void headerAt(const RequestView& v, size_t i, std::string_view* name,
                     std::string_view* value) {
  if (v.header_list) {
    const http::HeaderField f = (*v.header_list)[i];
    *name = f.name;
    *value = f.value;
  } else {
    *name = v.headers[i].name;
    *value = v.headers[i].value;
  }
}

}  // namespace portico::router
