#pragma once
// HTTP status codes: reason phrases. Thread: pure functions, any thread.
#include <cstdint>
#include <string_view>

namespace portico::http {

// Standard reason phrase for `status` ("Unknown" when not listed).
std::string_view reasonPhrase(uint16_t status);

}  // namespace portico::http
