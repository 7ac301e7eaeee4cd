#include "router/route_check.h"

#include <algorithm>
#include <unordered_map>

#include "router/condition_factory.h"

namespace portico::router {
namespace {

using Kind = Condition::Kind;
using TK = TextMatcher::Kind;

// The conjuncts of `c` with nested alls flattened.
void flatten(const ConditionPtr& c, std::vector<ConditionPtr>& out) {
  if (c->kind == Kind::All) {
    for (const ConditionPtr& ch : c->children) flatten(ch, out);
  } else {
    out.push_back(c);
  }
}

bool disjoint(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::none_of(a.begin(), a.end(), [&](const std::string& s) {
    return std::find(b.begin(), b.end(), s) != b.end();
  });
}

// True when no text can pass both exact/prefix/suffix tests `a` and `b` (regex: unknown).
bool textsConflict(const TextMatcher& a, const TextMatcher& b) {
  auto conflict = [](const TextMatcher& p, const TextMatcher& q) -> int {
    const std::string &u = p.value(), &v = q.value();
    if (p.kind() == TK::Exact && q.kind() == TK::Exact) return u != v;
    if (p.kind() == TK::Exact && q.kind() == TK::Prefix) return !u.starts_with(v);
    if (p.kind() == TK::Exact && q.kind() == TK::Suffix)
      return !(u.size() > v.size() && u.ends_with(v));
    if (p.kind() == TK::Prefix && q.kind() == TK::Prefix)
      return !u.starts_with(v) && !v.starts_with(u);
    if (p.kind() == TK::Suffix && q.kind() == TK::Suffix) return !u.ends_with(v) && !v.ends_with(u);
    return -1;  // unknown in this order
  };
  int r = conflict(a, b);
  if (r < 0) r = conflict(b, a);
  return r > 0;
}

// True when `a` and `b` (conjuncts of one route) cannot both hold.
bool conflict(const Condition& a, const Condition& b) {
  if (a.kind == Kind::Not && a.children[0]->describe() == b.describe()) return true;
  if (b.kind == Kind::Not && b.children[0]->describe() == a.describe()) return true;
  // !present(x) against any test of x.
  for (const auto& [n, t] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
    if (n->kind != Kind::Not) continue;
    const Condition& inner = *n->children[0];
    if ((inner.kind == Kind::Header || inner.kind == Kind::Cookie || inner.kind == Kind::Query) &&
        inner.text.kind() == TK::Present && t->kind == inner.kind && t->name == inner.name)
      return true;
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::Host:
    case Kind::Path:
    case Kind::Sni:
      return textsConflict(a.text, b.text);
    case Kind::Cookie:
    case Kind::Query:
      return a.name == b.name && textsConflict(a.text, b.text);
    case Kind::Method:
    case Kind::Country:
    case Kind::Continent:
      return disjoint(a.values, b.values);
    case Kind::Device:
      return (a.devices & b.devices) == 0;
    case Kind::Language:
      return a.available == b.available && disjoint(a.values, b.values);
    default:
      return false;
  }
}

// Synthetic conditions for a route's index keys, so they take part in conflict checks.
std::vector<ConditionPtr> keyConditions(const config::RouteMatch& m) {
  std::vector<ConditionPtr> out;
  std::string error;
  if (!m.host.empty() && m.host != "*") {
    if (ConditionPtr c = makeHost(m.host, TextOp::Exact, &error)) out.push_back(c);
  }
  if (!m.path.empty()) {
    if (ConditionPtr c = makePath(m.path, TextOp::Exact, &error)) out.push_back(c);
  } else if (ConditionPtr c =
                 makePath(m.path_prefix.empty() ? "/" : m.path_prefix, TextOp::Prefix, &error)) {
    out.push_back(c);
  }
  return out;
}

bool conjunctionNeverHolds(const std::vector<ConditionPtr>& terms) {
  for (size_t i = 0; i < terms.size(); ++i) {
    if (neverHolds(*terms[i])) return true;
    for (size_t j = i + 1; j < terms.size(); ++j)
      if (conflict(*terms[i], *terms[j])) return true;
  }
  return false;
}

std::string sameKeysText(const config::RouteMatch& m) {
  return m.host.empty() ? "host (any)" : "host " + m.host;
}

}  // namespace

bool neverHolds(const Condition& c) {
  switch (c.kind) {
    case Kind::All: {
      std::vector<ConditionPtr> terms;
      for (const ConditionPtr& ch : c.children) flatten(ch, terms);
      return conjunctionNeverHolds(terms);
    }
    case Kind::Any:
      return std::all_of(c.children.begin(), c.children.end(),
                         [](const ConditionPtr& ch) { return neverHolds(*ch); });
    case Kind::Not: {
      const Condition& in = *c.children[0];
      if (in.kind == Kind::All && in.children.empty()) return true;  // !true
      if (in.kind == Kind::Not) return neverHolds(*in.children[0]);
      return false;
    }
    default:
      return false;
  }
}

std::vector<RouteProblem> findUnreachableRoutes(const std::vector<config::Route>& routes) {
  std::vector<RouteProblem> out;
  std::unordered_map<std::string, std::vector<size_t>> by_keys;  // same index keys, in order
  for (size_t j = 0; j < routes.size(); ++j) {
    const config::Route& r = routes[j];
    std::vector<ConditionPtr> terms = keyConditions(r.match);
    if (r.match.condition) flatten(r.match.condition, terms);
    if (conjunctionNeverHolds(terms)) {
      out.push_back({j, "route can never match: its conditions contradict each other (" +
                            (r.match.condition ? r.match.condition->describe() : "") + ")"});
      continue;
    }
    std::vector<size_t>& same =
        by_keys[r.match.host + '\0' + r.match.path_prefix + '\0' + r.match.path];
    same.push_back(j);
    for (size_t i : same) {
      if (i == j) break;
      const config::Route& e = routes[i];
      const bool plain = !e.match.condition;
      if (!plain &&
          !(r.match.condition && e.match.condition->describe() == r.match.condition->describe()))
        continue;
      out.push_back(
          {j, "route can never match: routes[" + std::to_string(i) + "] (" + e.location +
                  ") has the same " + sameKeysText(r.match) + " and path " +
                  (r.match.path.empty() ? "prefix " + r.match.path_prefix : r.match.path) +
                  (plain ? " and no other condition" : " and the same conditions") +
                  ", and it comes first"});
      break;
    }
  }
  return out;
}

std::vector<std::string> checkRoutes(const config::Config& config) {
  std::vector<std::string> out;
  for (size_t l = 0; l < config.listeners.size(); ++l) {
    const std::vector<config::Route>& routes = config.listeners[l].routes;
    for (const RouteProblem& p : findUnreachableRoutes(routes)) {
      const std::string& where = routes[p.route].location;
      out.push_back((where.empty() ? config.source : where) + ": listeners[" + std::to_string(l) +
                    "].routes[" + std::to_string(p.route) + "]: " + p.message);
    }
  }
  return out;
}

}  // namespace portico::router
