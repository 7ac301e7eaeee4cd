#pragma once
// gRPC awareness of the exchange path: recognising gRPC requests, their deadline
// (grpc-timeout), and answering local errors the way gRPC clients understand (a trailers-only
// response with grpc-status, per gRPC's HTTP/2 protocol and status-code mapping documents).
// Thread: pure functions, any thread.
#include <cstdint>
#include <string>
#include <string_view>

#include "http/http1/parser.h"

namespace portico::proxy::grpc {

// True when the request's content-type is application/grpc or application/grpc+FORMAT.
bool isGrpcRequest(const http1::RequestHead& req);

// The grpc-timeout value ("1-8 digits" then H, M, S, m, u or n) in milliseconds, rounded up;
// 0 when absent or malformed.
uint64_t timeoutMs(std::string_view value);

// The gRPC status code for a response portico answers itself with HTTP `status`:
// 504/408 -> DEADLINE_EXCEEDED (4), 502/503/429 -> UNAVAILABLE (14), 404 -> UNIMPLEMENTED (12),
// 401 -> UNAUTHENTICATED (16), 403 -> PERMISSION_DENIED (7), 413 -> RESOURCE_EXHAUSTED (8),
// other 4xx -> INTERNAL (13), anything else -> UNKNOWN (2).
uint32_t statusFor(uint16_t http_status);

// Header lines (each ending CRLF) carrying a local error as gRPC status and message.
std::string errorFields(uint16_t http_status);

}  // namespace portico::proxy::grpc
