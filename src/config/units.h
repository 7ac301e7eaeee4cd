#pragma once
// Parsing of the duration and size notations used in the config file.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portico::config {

// Parses a duration: an unsigned decimal integer followed by "ms", "s", "m" or "h", or a bare
// integer meaning seconds ("250ms", "5s", "2m", "1h", "30"). Returns the value in milliseconds,
// or nullopt with a human-readable reason in *error (if non-null) when the text is malformed or
// the result does not fit in uint32_t milliseconds (~49 days).
std::optional<uint32_t> parseDurationMs(std::string_view text, std::string* error = nullptr);

// Parses a size: an unsigned decimal integer of bytes, optionally followed by "k", "m" or "g"
// (case-insensitive; KiB/MiB/GiB multiples, so "16k" = 16384). Returns bytes, or nullopt with a
// reason in *error (if non-null) when malformed or above `max`.
std::optional<uint64_t> parseSize(std::string_view text, uint64_t max = UINT64_MAX,
                                  std::string* error = nullptr);

// Parses a plain unsigned decimal integer (digits only, no sign, no suffix) not above `max`.
// Returns nullopt with a reason in *error (if non-null) otherwise.
std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max = UINT64_MAX,
                                      std::string* error = nullptr);

}  // namespace portico::config
