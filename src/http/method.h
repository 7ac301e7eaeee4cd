#pragma once
// Request methods known to portico. Thread: pure functions, any thread.
#include <cstdint>
#include <string_view>

namespace portico::http {

enum class Method : uint8_t { Other, Get, Head, Post, Put, Delete, Connect, Options, Trace, Patch };

// Returns the Method for a token (case-sensitive, as RFC 9110 requires); Other if unknown.
Method lookupMethod(std::string_view token);

// True for methods RFC 9110 §9.2.2 calls idempotent (GET HEAD PUT DELETE OPTIONS TRACE).
bool isIdempotent(Method m);

}  // namespace portico::http
