#pragma once
// CORS (Fetch standard) for routes with `cors:`: answers preflight requests itself and adds the
// Access-Control-* fields to responses for allowed origins. Thread: pure functions, any thread.
#include <string>
#include <string_view>

#include "config/config.h"

namespace portico::proxy {

// True when `origin` (the request's Origin field) may read responses under `cors`.
bool corsOriginAllowed(const config::Cors& cors, std::string_view origin);

// Appends (CRLF-terminated) the fields of a response to an actual CORS request from an allowed
// `origin`: Access-Control-Allow-Origin, -Allow-Credentials, -Expose-Headers, Vary: Origin.
void appendCorsResponseFields(const config::Cors& cors, std::string_view origin, std::string& out);

// Appends the fields of a successful preflight answer: the response fields plus
// Access-Control-Allow-Methods, -Allow-Headers (configured, else the requested ones) and
// -Max-Age.
void appendCorsPreflightFields(const config::Cors& cors, std::string_view origin,
                               std::string_view requested_headers, std::string& out);

}  // namespace portico::proxy
