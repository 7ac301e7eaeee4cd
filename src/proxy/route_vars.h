#pragma once
// Values of the header variables that depend on the route and cost something to compute: the
// captures of the route's match.path_regex (${capture.N}) and the client's country and
// continent (${geo.country}, ${geo.continent}). Computed once per exchange, right after
// routing, and only for routes whose header values use them (config::Route::capture_count,
// geo_vars); kept with the exchange's parsed heads (server::ParsedHeads), so the storage is
// reused from one exchange to the next. Thread: owned by one exchange.
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "router/match/geo_database.h"
#include "router/request_view.h"

namespace portico::proxy {

struct RouteVars {
  static constexpr uint8_t kMaxCaptures = 10;  // ${capture.0} (whole path) .. ${capture.9}

  // Capture `i` of the route's path_regex on this request's path; "" when it did not take part
  // in the match, or when the route has no such capture.
  std::string_view capture(size_t i) const {
    return i < count ? std::string_view(text).substr(offset[i], length[i]) : std::string_view();
  }
  // Two-letter codes; "" when unknown (no database, private address, not in the database).
  std::string_view country() const { return geo.countryCode(); }
  std::string_view continent() const { return geo.continentCode(); }

  // Recomputes the values `route` uses for the request `view` (its target and client address,
  // with trusted_proxies honoured as the router does); the others become "". `geo` is the
  // config's database (may be null). Costs nothing for a route that uses none. Allocates only
  // to grow `text` beyond what earlier exchanges needed.
  void compute(const config::Route& route, const router::RequestView& view,
               const router::GeoDatabase* geo);

  std::string text;  // the captures, copied: the request head may be gone when they are used
  uint32_t offset[kMaxCaptures] = {};
  uint32_t length[kMaxCaptures] = {};
  uint8_t count = 0;
  router::GeoInfo geo;
};

}  // namespace portico::proxy
