#include "router/router.h"

#include <algorithm>

namespace portico::router {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower_b[i]) return false;
  return true;
}

std::string_view stripPort(std::string_view host) {
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

}  // namespace

void Router::add(const config::Route& r, uint32_t cluster_index) {
  CompiledRoute c;
  std::string host = r.match.host;
  std::transform(host.begin(), host.end(), host.begin(), lower);
  if (host.empty() || host == "*") {
    c.host_kind = CompiledRoute::HostKind::Any;
  } else if (host.size() > 1 && host[0] == '*' && host[1] == '.') {
    c.host_kind = CompiledRoute::HostKind::Wildcard;
    c.host = host.substr(1);
  } else {
    c.host_kind = CompiledRoute::HostKind::Exact;
    c.host = host;
  }
  c.path_prefix = r.match.path_prefix.empty() ? "/" : r.match.path_prefix;
  c.cluster_index = cluster_index;
  c.cluster_name = r.cluster;
  c.retry_non_idempotent = r.retry_non_idempotent;
  routes_.push_back(std::move(c));
}

const CompiledRoute* Router::match(std::string_view host, std::string_view path) const {
  host = stripPort(host);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  size_t q = path.find_first_of("?#");
  if (q != std::string_view::npos) path = path.substr(0, q);
  const CompiledRoute* best = nullptr;
  int best_kind = -1;
  size_t best_host_len = 0;
  size_t best_prefix = 0;
  for (const auto& r : routes_) {
    if (path.substr(0, r.path_prefix.size()) != r.path_prefix) continue;
    size_t host_len = 0;
    switch (r.host_kind) {
      case CompiledRoute::HostKind::Any:
        break;
      case CompiledRoute::HostKind::Exact:
        if (!iequals(host, r.host)) continue;
        host_len = r.host.size();
        break;
      case CompiledRoute::HostKind::Wildcard:
        // "*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com".
        if (host.size() <= r.host.size() ||
            !iequals(host.substr(host.size() - r.host.size()), r.host))
          continue;
        host_len = r.host.size();
        break;
    }
    int kind = static_cast<int>(r.host_kind);
    bool better =
        kind > best_kind || (kind == best_kind && host_len > best_host_len) ||
        (kind == best_kind && host_len == best_host_len && r.path_prefix.size() > best_prefix);
    if (better) {
      best = &r;
      best_kind = kind;
      best_host_len = host_len;
      best_prefix = r.path_prefix.size();
    }
  }
  return best;
}

}  // namespace portico::router
