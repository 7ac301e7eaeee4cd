#pragma once
// Route table of one listener, compiled from config at load. Matching is allocation-free.
//
// Priority (docs/routing.md):
//  1. host key: an exact host, then wildcard hosts from the longest suffix to the shortest,
//     then routes for any host;
//  2. within one host key, path key: an exact path, then path prefixes from the longest to
//     the shortest;
//  3. among routes with the same host and path keys, the first listed whose other conditions
//     (Route::match.condition) hold.
// The first route found in this order wins; a more specific host whose routes all fail falls
// back to less specific ones. Lookup: host hash map, wildcard-suffix hash map, then per host
// key an exact-path map and a prefix radix tree (router/path_index.h); conditions are only
// evaluated on those candidates.
// Thread: immutable after build; shared by all workers.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "router/condition.h"
#include "router/path_index.h"
#include "router/request_view.h"

namespace portico::router {

struct CompiledRoute {
  enum class HostKind : uint8_t { Any = 0, Wildcard = 1, Exact = 2 };
  HostKind host_kind = HostKind::Any;
  std::string host;  // lower-case; for Wildcard the suffix including the dot (".example.com")
  std::string path_prefix;     // "/" when the route has an exact path
  std::string path_exact;      // non-empty: the route's exact path key
  ConditionPtr condition;      // other conditions; null = none
  uint32_t index = 0;          // position in the listener's routes (config order)
  uint32_t cluster_index = 0;  // index into the snapshot's clusters
  std::string cluster_name;
  bool retry_non_idempotent = false;
  static constexpr uint32_t kNoCluster = UINT32_MAX;  // split / redirect / direct_response
  struct SplitEntry {
    uint32_t cluster_index;
    uint32_t cumulative_weight;  // this entry takes draws below it (and above the previous)
    std::string cluster_name;
  };
  std::vector<SplitEntry> split;  // weighted split; empty = cluster_index
  uint32_t split_total = 0;
  // The split entry for draw `x` (split not empty).
  const SplitEntry& pickSplit(uint64_t x) const {
    const uint32_t v = static_cast<uint32_t>(x % split_total);
    for (const SplitEntry& e : split)
      if (v < e.cumulative_weight) return e;
    return split.back();
  }
  // The `mirror:` shadow cluster's index into the snapshot's clusters; kNoCluster = none.
  uint32_t mirror_cluster_index = kNoCluster;

  const config::Route* config = nullptr;  // actions; lives as long as the snapshot's Config
  bool hsts_override = false;             // the route sets its own HSTS (maybe none)
  std::string hsts_header;                // "Strict-Transport-Security: ...\r\n" or ""
};

class Router {
 public:
  // Builds from config routes; `clusterIndex` maps a cluster name to its index (it may throw
  // config::ConfigError for an unknown name).
  template <typename F>
  static Router build(const std::vector<config::Route>& routes, F clusterIndex) {
    Router r;
    for (const auto& cr : routes) {
      std::vector<uint32_t> split;
      for (const auto& wc : cr.clusters) split.push_back(clusterIndex(wc.name));
      r.add(cr, cr.cluster.empty() ? CompiledRoute::kNoCluster : clusterIndex(cr.cluster), split);
      if (!cr.mirror.cluster.empty())
        r.routes_.back().mirror_cluster_index = clusterIndex(cr.mirror.cluster);
    }
    return r;
  }
  // Returns the route for the request, or nullptr (-> 404). Allocation-free, never throws.
  const CompiledRoute* match(const RequestView& request) const;
  // Same for a request with only a Host (may carry a port) and a target (may carry a query).
  const CompiledRoute* match(std::string_view host, std::string_view target) const;
  size_t size() const { return routes_.size(); }
  // The routes in config order.
  const std::vector<CompiledRoute>& routes() const { return routes_; }

 private:
  void add(const config::Route& r, uint32_t cluster_index,
           const std::vector<uint32_t>& split_indexes = {});
  // Tries the routes of one host key; the winning route or null.
  const CompiledRoute* matchTable(uint32_t table, EvalContext& ctx) const;

  using HostMap = std::unordered_map<std::string, uint32_t, StringViewHash, std::equal_to<>>;
  std::vector<CompiledRoute> routes_;
  std::vector<PathIndex> tables_;   // one per host key
  HostMap exact_hosts_;             // "api.example.com" -> table
  HostMap wildcard_hosts_;          // ".example.com" -> table
  size_t min_wildcard_ = SIZE_MAX;  // shortest wildcard suffix
  size_t max_wildcard_ = 0;         // longest wildcard suffix
  int64_t any_table_ = -1;
};

}  // namespace portico::router
