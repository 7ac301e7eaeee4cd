#pragma once
// Moving index keys out of a `when:` expression, so expression routes are indexed and ranked
// like `match:` routes. Thread: config load only.
#include "config/config.h"
#include "router/condition.h"

namespace portico::router {

// Takes from the top-level conjunction of `cond` the first exact/wildcard host test (when
// `keys.host` is empty) and the first exact path or path-prefix test that narrows
// `keys.path_prefix` (when `keys.path` is empty), stores them in `keys`, and returns what is
// left (null when nothing). The result matches exactly the same requests.
ConditionPtr liftIndexKeys(ConditionPtr cond, config::RouteMatch& keys);

}  // namespace portico::router
