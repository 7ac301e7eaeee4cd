#pragma once
// Responses portico generates itself (400, 404, 408, 413, 414, 431, 502, 503, 504, ...):
// a short text body naming the status only; never a backend address.
// Thread: pure functions, any thread.
#include <cstdint>
#include <string_view>

#include "http/status.h"
#include "proxy/forwarding.h"

namespace portico::proxy {

using http::reasonPhrase;

// Writes a complete response. `close` adds Connection: close; `head_only` omits the body
// (HEAD requests); `server_header` adds "Server: portico".
// `extra` is inserted verbatim as header lines (each ending CRLF), e.g. Retry-After.
void writeErrorResponse(uint16_t status, bool close, bool head_only, bool server_header,
                        HeadWriter& w, std::string_view extra = {});

// Writes a complete response with this content type and body (a route's direct_response).
// 204 and 304 carry no body and no Content-Type/Length.
void writeLocalResponse(uint16_t status, bool close, bool head_only, bool server_header,
                        std::string_view content_type, std::string_view body, HeadWriter& w,
                        std::string_view extra = {});

}  // namespace portico::proxy
