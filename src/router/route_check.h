#pragma once
// Static checks of a listener's routes for `portico check`: routes that can never match.
//  * shadowed: an earlier route has the same host and path keys and no other conditions, or
//    exactly the same conditions (the router tries routes of equal keys in config order);
//  * contradictory: the route's own conditions cannot all hold, e.g.
//    path_prefix("/a") && path_prefix("/b"), host("a.com") && host("b.com"), x && !x,
//    method("GET") && method("POST"), disjoint country/device sets, `any: []`.
// The analysis is conservative: what it reports can never match; it does not find every
// such route. Thread: config load / check only.
#include <string>
#include <vector>

#include "config/config.h"
#include "router/condition.h"

namespace portico::router {

struct RouteProblem {
  size_t route = 0;     // index in the listener's routes
  std::string message;  // e.g. "can never match: shadowed by routes[0] (t.yaml:5:9), ..."
};

// Problems of one listener's routes, in route order.
std::vector<RouteProblem> findUnreachableRoutes(const std::vector<config::Route>& routes);

// Every listener's problems as "FILE:LINE:COLUMN: listeners[i].routes[j]: MESSAGE" lines.
std::vector<std::string> checkRoutes(const config::Config& config);

// True when `c` can be shown never to hold (see above).
bool neverHolds(const Condition& c);

}  // namespace portico::router
