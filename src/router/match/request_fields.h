#pragma once
// Allocation-free lookups of request pieces for the matchers: the normalised host, path and
// query of a target, header values, cookies and query parameters. Pure functions, any thread.
#include <cstddef>
#include <string_view>

#include "router/match/text_matcher.h"
#include "router/request_view.h"

namespace portico::router {

// Longest host name we index (DNS names are at most 253 characters).
inline constexpr size_t kMaxHostLength = 255;

// Lower-cases `host` into `buf` after removing a port and one trailing dot. Returns the result,
// or the unmodified (port-stripped) host when it does not fit in `buf`.
std::string_view normalizeHost(std::string_view host, char (&buf)[kMaxHostLength + 1]);

// The path of a request target without query and fragment; for absolute-form
// ("http://h/p?q") the path after the authority ("/" when absent).
std::string_view targetPath(std::string_view target);
// The query of a request target without '?' and fragment; "" when absent.
std::string_view targetQuery(std::string_view target);

// Calls `fn(value)` for each field named `name` (ASCII case-insensitive, `name` lower-case)
// until fn returns true. Returns true if fn did.
template <typename Fn>
bool forEachHeader(const RequestView& v, std::string_view name, Fn fn);

// Finds the first field named `name` (lower-case). Returns false when absent.
bool findHeader(const RequestView& v, std::string_view name, std::string_view* value);
// Finds cookie `name` (case-sensitive) in the Cookie fields. Returns false when absent.
bool findCookie(const RequestView& v, std::string_view name, std::string_view* value);
// Finds query parameter `name` (raw, not percent-decoded; "a" in "?a" has value "").
bool findQueryParam(std::string_view query, std::string_view name, std::string_view* value);

template <typename Fn>
bool forEachHeader(const RequestView& v, std::string_view name, Fn fn) {
  const size_t n = headerCount(v);
  std::string_view field, value;
  for (size_t i = 0; i < n; ++i) {
    headerAt(v, i, &field, &value);
    if (field.size() == name.size() && equalsLower(field, name) && fn(value)) return true;
  }
  return false;
}

}  // namespace portico::router
