#include "proxy/route_vars.h"

#include <re2/re2.h>

#include "router/match/client_address.h"
#include "router/match/request_fields.h"

namespace portico::proxy {

void RouteVars::compute(const config::Route& route, const router::RequestView& view,
                        const router::GeoDatabase* db) {
  count = 0;
  text.clear();
  geo = router::GeoInfo();
  if (route.capture_regex && route.capture_count) {
    const std::string_view path = router::targetPath(view.target);
    re2::StringPiece groups[kMaxCaptures];
    const int n = route.capture_count <= kMaxCaptures ? route.capture_count : kMaxCaptures;
    if (route.capture_regex->Match(re2::StringPiece(path.data(), path.size()), 0, path.size(),
                                   re2::RE2::ANCHOR_BOTH, groups, n)) {
      for (int i = 0; i < n; ++i) {
        offset[i] = static_cast<uint32_t>(text.size());
        length[i] = static_cast<uint32_t>(groups[i].size());
        if (!groups[i].empty()) text.append(groups[i].data(), groups[i].size());
      }
      count = static_cast<uint8_t>(n);
    }
  }
  if (route.geo_vars && db) {
    net::SockAddr scratch;
    geo = db->lookup(router::resolveClientAddress(view, scratch));
  }
}

}  // namespace portico::proxy
