#include "router/router.h"

#include <algorithm>

#include "router/match/request_fields.h"

namespace portico::router {

void Router::add(const config::Route& r, uint32_t cluster_index,
                 const std::vector<uint32_t>& split_indexes) {
  CompiledRoute c;
  std::string host = r.match.host;
  std::transform(host.begin(), host.end(), host.begin(), lowerAscii);
  uint32_t* slot = nullptr;
  uint32_t fresh = static_cast<uint32_t>(tables_.size());
  if (host.empty() || host == "*") {
    c.host_kind = CompiledRoute::HostKind::Any;
    if (any_table_ < 0) any_table_ = fresh;
    slot = nullptr;
  } else if (host.size() > 1 && host[0] == '*' && host[1] == '.') {
    c.host_kind = CompiledRoute::HostKind::Wildcard;
    c.host = host.substr(1);
    slot = &wildcard_hosts_.try_emplace(c.host, fresh).first->second;
    min_wildcard_ = std::min(min_wildcard_, c.host.size());
    max_wildcard_ = std::max(max_wildcard_, c.host.size());
  } else {
    c.host_kind = CompiledRoute::HostKind::Exact;
    c.host = host;
    slot = &exact_hosts_.try_emplace(c.host, fresh).first->second;
  }
  const uint32_t table = slot ? *slot : static_cast<uint32_t>(any_table_);
  if (table == fresh) tables_.emplace_back();
  c.path_exact = r.match.path;
  c.path_prefix = r.match.path_prefix.empty() ? "/" : r.match.path_prefix;
  if (!c.path_exact.empty()) c.path_prefix = "/";
  c.condition = r.match.condition;
  c.index = static_cast<uint32_t>(routes_.size());
  c.cluster_index = cluster_index;
  c.cluster_name = r.cluster;
  c.retry_non_idempotent = r.retry_non_idempotent;
  c.config = &r;
  for (size_t i = 0; i < r.clusters.size() && i < split_indexes.size(); ++i) {
    c.split_total += r.clusters[i].weight;
    c.split.push_back({split_indexes[i], c.split_total, r.clusters[i].name});
  }
  c.hsts_override = r.hsts_set;
  if (r.hsts_set) c.hsts_header = config::hstsFieldLine(r.hsts);
  if (!c.path_exact.empty())
    tables_[table].addExact(c.path_exact, c.index);
  else
    tables_[table].addPrefix(c.path_prefix, c.index);
  routes_.push_back(std::move(c));
}

const CompiledRoute* Router::matchTable(uint32_t table, EvalContext& ctx) const {
  const int64_t id = tables_[table].find(ctx.path(), [&](uint32_t i) {
    const ConditionPtr& cond = routes_[i].condition;
    return !cond || cond->evaluate(ctx);
  });
  return id < 0 ? nullptr : &routes_[static_cast<size_t>(id)];
}

const CompiledRoute* Router::match(const RequestView& request) const {
  char buf[kMaxHostLength + 1];
  const std::string_view host = normalizeHost(request.host, buf);
  EvalContext ctx(request, host, targetPath(request.target));
  if (host.size() <= kMaxHostLength) {
    if (!exact_hosts_.empty()) {
      auto it = exact_hosts_.find(host);
      if (it != exact_hosts_.end())
        if (const CompiledRoute* r = matchTable(it->second, ctx)) return r;
    }
    if (!wildcard_hosts_.empty()) {
      // Suffixes ".b.example.com", ".example.com", ".com" of "a.b.example.com": longest first,
      // always leaving at least one byte before the suffix.
      for (size_t dot = host.find('.', 1);
           dot != std::string_view::npos && host.size() - dot >= min_wildcard_;
           dot = host.find('.', dot + 1)) {
        if (host.size() - dot > max_wildcard_) continue;
        auto it = wildcard_hosts_.find(host.substr(dot));
        if (it != wildcard_hosts_.end())
          if (const CompiledRoute* r = matchTable(it->second, ctx)) return r;
      }
    }
  }
  if (any_table_ >= 0) return matchTable(static_cast<uint32_t>(any_table_), ctx);
  return nullptr;
}

const CompiledRoute* Router::match(std::string_view host, std::string_view target) const {
  RequestView v;
  v.host = host;
  v.target = target;
  return match(v);
}

}  // namespace portico::router
