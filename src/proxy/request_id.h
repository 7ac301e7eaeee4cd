#pragma once
// Request identity for logs and tracing: the X-Request-ID of an exchange (kept from the client
// when allowed and well-formed, else generated as a random UUID) and its W3C Trace Context
// `traceparent` (a valid incoming one is propagated unchanged; otherwise portico starts a new
// trace). Both are fixed-size and live in the worker's pooled heads: no allocation.
// Thread: pure functions, any thread.
#include <cstdint>
#include <string_view>

#include "config/config.h"
#include "http/http1/parser.h"

namespace portico::proxy {

struct RequestIds {
  char request_id[64];
  uint8_t request_id_len = 0;
  char traceparent[55];  // "00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>"
  bool has_traceparent = false;
  bool generated_traceparent = false;  // the client's tracestate (if any) must be dropped

  std::string_view requestId() const { return {request_id, request_id_len}; }
  std::string_view traceParent() const {
    return has_traceparent ? std::string_view(traceparent, sizeof traceparent) : std::string_view();
  }
  // The 32 hex digits of the trace id, or "".
  std::string_view traceId() const { return traceParent().substr(has_traceparent ? 3 : 0, 32); }
};

// True for an id worth keeping: 1..64 characters of [A-Za-z0-9._:-].
bool validRequestId(std::string_view v);
// True for a version-00 traceparent with non-zero trace and parent ids (W3C Trace Context §3.2).
bool validTraceparent(std::string_view v);

// Fills `out` for `req`. `peer_trusted`: the peer is in trusted_proxies. `random` supplies
// randomness (two calls per generated id).
void assignRequestIds(const http1::RequestHead& req, const config::RequestId& policy,
                      bool peer_trusted, uint64_t (*random)(void*), void* random_ctx,
                      RequestIds& out);

}  // namespace portico::proxy
