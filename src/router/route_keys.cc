#include "router/route_keys.h"

#include "router/condition_factory.h"

namespace portico::router {
namespace {

// Stores `c` into `keys` if it is a liftable host / path test; true when it did.
bool lift(const Condition& c, config::RouteMatch& keys) {
  const TextMatcher::Kind k = c.text.kind();
  if (c.kind == Condition::Kind::Host && keys.host.empty()) {
    if (k == TextMatcher::Kind::Exact) {
      keys.host = c.text.value();
      return true;
    }
    if (k == TextMatcher::Kind::Suffix) {
      keys.host = "*" + c.text.value();
      return true;
    }
  }
  if (c.kind == Condition::Kind::Path && keys.path.empty() &&
      c.text.value().starts_with(keys.path_prefix)) {
    if (k == TextMatcher::Kind::Exact) {
      keys.path = c.text.value();
      return true;
    }
    if (k == TextMatcher::Kind::Prefix) {
      keys.path_prefix = c.text.value();
      return true;
    }
  }
  return false;
}

}  // namespace

ConditionPtr liftIndexKeys(ConditionPtr cond, config::RouteMatch& keys) {
  if (!cond) return cond;
  if (cond->kind != Condition::Kind::All) return lift(*cond, keys) ? nullptr : cond;
  std::vector<ConditionPtr> rest;
  for (const ConditionPtr& c : cond->children)
    if (!lift(*c, keys)) rest.push_back(c);
  if (rest.size() == cond->children.size()) return cond;
  if (rest.empty()) return nullptr;
  return makeAll(std::move(rest));
}

}  // namespace portico::router
