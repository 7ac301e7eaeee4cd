#pragma once
// Route table of one listener, compiled from config. Matching is allocation-free.
// Rule: among routes whose host and path prefix both match, the most specific host wins
// (exact > longest wildcard suffix > any host), then the longest path prefix; ties go to the
// route listed first. Thread: immutable after build; shared by all workers.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace portico::router {

struct CompiledRoute {
  enum class HostKind : uint8_t { Any = 0, Wildcard = 1, Exact = 2 };
  HostKind host_kind = HostKind::Any;
  std::string host;  // lower-case; for Wildcard the suffix including the dot (".example.com")
  std::string path_prefix;
  uint32_t cluster_index = 0;  // index into the snapshot's clusters
  std::string cluster_name;
  bool retry_non_idempotent = false;
};

class Router {
 public:
  // Builds from config routes; `clusterIndex` maps a cluster name to its index.
  template <typename F>
  static Router build(const std::vector<config::Route>& routes, F clusterIndex) {
    Router r;
    for (const auto& cr : routes) r.add(cr, clusterIndex(cr.cluster));
    return r;
  }
  // Returns the best route for (host, path) or nullptr (-> 404). `host` may carry a port,
  // which is ignored; `path` may carry a query, which is ignored.
  const CompiledRoute* match(std::string_view host, std::string_view path) const;
  size_t size() const { return routes_.size(); }

 private:
  void add(const config::Route& r, uint32_t cluster_index);
  std::vector<CompiledRoute> routes_;
};

}  // namespace portico::router
