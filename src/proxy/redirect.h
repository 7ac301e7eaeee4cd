#pragma once
// The Location of a route's `redirect:` (and of a listener's redirect_https).
// Thread: pure function, any thread.
#include <string>
#include <string_view>

#include "config/config.h"

namespace portico::proxy {

// Appends to `location` the URL `scheme://authority/path?query` a request is redirected to, and
// returns true; returns false (nothing useful appended) when there is no host to name — `d.host`
// is empty and the request's `host` is empty or only a port — and the caller answers 400.
//   scheme: d.scheme, else "https" when `tls`, else "http".
//   authority: d.host, else the request's `host`. When d.port is set, any port in that host is
//     removed (an IPv6 literal keeps its brackets) and ":d.port" is added unless it is the
//     scheme's default (80 for http, 443 for https); without d.port the host is kept as is.
//   path: d.path when set; else, with d.prefix_rewrite set, for a route with an exact path
//     (`matched_exact` non-empty) d.prefix_rewrite, for a prefix route whose `matched_prefix`
//     starts the path d.prefix_rewrite + the rest of the path (one '/' dropped when
//     d.prefix_rewrite ends with '/' and the rest starts with one); else the request's path.
//   query: the request's (from '?', exactly as received, even when empty) unless d.strip_query.
// `target` is the request target; an absolute-form one counts by its path and query (as in
// routing and forwarding), the asterisk form as "/". Inputs free of CR and LF give an output
// free of them: nothing is decoded or added beyond the pieces above.
bool redirectLocation(const config::RouteRedirect& d, std::string_view matched_prefix,
                      std::string_view matched_exact, std::string_view target,
                      std::string_view host, bool tls, std::string& location);

}  // namespace portico::proxy
