#include "config/units.h"

namespace portico::config {
namespace {

void setError(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

// Splits "123abc" into its leading digits and the rest. Returns false if there are no digits
// or the number overflows uint64_t.
bool splitNumber(std::string_view text, uint64_t* value, std::string_view* suffix) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
    ++i;
  }
  if (i == 0) return false;
  *value = v;
  *suffix = text.substr(i);
  return true;
}

}  // namespace

std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max, std::string* error) {
  uint64_t v = 0;
  std::string_view rest;
  if (!splitNumber(text, &v, &rest) || !rest.empty()) {
    setError(error, "expected a non-negative integer, got '" + std::string(text) + "'");
    return std::nullopt;
  }
  if (v > max) {
    setError(error,
             "value " + std::string(text) + " is too large (maximum " + std::to_string(max) + ")");
    return std::nullopt;
  }
  return v;
}

std::optional<uint32_t> parseDurationMs(std::string_view text, std::string* error) {
  uint64_t v = 0;
  std::string_view unit;
  uint64_t scale = 0;
  if (splitNumber(text, &v, &unit)) {
    if (unit == "ms") {
      scale = 1;
    } else if (unit == "s" || unit.empty()) {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60 * 1000;
    } else if (unit == "h") {
      scale = 60 * 60 * 1000;
    }
  }
  if (scale == 0) {
    setError(error, "invalid duration '" + std::string(text) +
                        "' (expected e.g. 250ms, 5s, 2m, 1h, or a number of seconds)");
    return std::nullopt;
  }
  if (v > UINT32_MAX / scale) {
    setError(error, "duration '" + std::string(text) + "' is too large");
    return std::nullopt;
  }
  return static_cast<uint32_t>(v * scale);
}

std::optional<uint64_t> parseSize(std::string_view text, uint64_t max, std::string* error) {
  uint64_t v = 0;
  std::string_view unit;
  uint64_t scale = 0;
  if (splitNumber(text, &v, &unit)) {
    if (unit.empty()) {
      scale = 1;
    } else if (unit == "k" || unit == "K") {
      scale = uint64_t{1} << 10;
    } else if (unit == "m" || unit == "M") {
      scale = uint64_t{1} << 20;
    } else if (unit == "g" || unit == "G") {
      scale = uint64_t{1} << 30;
    }
  }
  if (scale == 0) {
    setError(error, "invalid size '" + std::string(text) +
                        "' (expected a number of bytes, optionally with suffix k, m or g)");
    return std::nullopt;
  }
  if (v > max / scale) {
    setError(error, "size '" + std::string(text) + "' is too large (maximum " +
                        std::to_string(max) + " bytes)");
    return std::nullopt;
  }
  return v * scale;
}

}  // namespace portico::config
