#pragma once
// Content-coding negotiation and eligibility for response compression (RFC 9110 §8.4, §12.5.3).
// Thread: pure functions, any thread.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portico::filters::compress {

enum class Coding : uint8_t { Identity, Gzip, Brotli, Zstd };

// "gzip", "br", "zstd" or "identity".
std::string_view codingName(Coding c);
// The coding named `name` (case-insensitive; "x-gzip" is gzip); false when unknown.
bool parseCoding(std::string_view name, Coding& out);

// Picks the coding for a response to a request with this Accept-Encoding value: the acceptable
// coding (q > 0, given by name or by "*") with the highest q among `enabled`; ties go to the
// earlier one in `enabled` (the server's preference). Identity when none is acceptable, when
// the header is absent (empty) or malformed parts leave nothing.
Coding negotiate(std::string_view accept_encoding, std::span<const Coding> enabled);

// True when `content_type` (parameters ignored, case-insensitive) matches one of `types`:
// exact "text/html" or a "text/*" prefix.
bool typeMatches(std::string_view content_type, const std::vector<std::string>& types);

}  // namespace portico::filters::compress
