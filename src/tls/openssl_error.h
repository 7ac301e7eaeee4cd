#pragma once
// Reading OpenSSL's per-thread error queue into text for error messages.
#include <string>

namespace portico::tls {

// Empties the calling thread's OpenSSL error queue and returns its entries' reason strings
// joined by "; " (the most useful first), or `fallback` when the queue was empty.
std::string takeOpensslErrors(const std::string& fallback = "unknown OpenSSL error");

}  // namespace portico::tls
