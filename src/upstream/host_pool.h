#pragma once
// Per-worker keep-alive pool of upstream connections to one host (backend server) of one
// cluster.
// Idle connections are kept LIFO (the most recently used is the warmest), at most max_idle,
// each closed after idle_timeout. Thread: owned by one worker.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/address.h"
#include "upstream/cluster_stats.h"

namespace portico::tls {
class ClientContext;
}

namespace portico::buffer {
class BufferPool;
}

namespace portico::upstream {

class UpstreamConnection;
class H2Session;

struct HostPool {
  net::Address address;
  std::string text;
  uint32_t max_idle = 64;
  uint32_t idle_timeout_ms = 4000;
  std::vector<UpstreamConnection*> idle;  // LIFO
  uint64_t active = 0;                    // connections currently serving a request
  ClusterStats* stats = nullptr;          // cluster-wide connection gauge
  // TLS to this host (cluster `tls:`); null = plain TCP. tls_host names the server for SNI and
  // certificate verification (the configured host without its port).
  std::shared_ptr<const tls::ClientContext> tls;
  std::string tls_host;
  // `protocol: h2` clusters: exchanges are streams of one shared session per worker and host.
  bool h2 = false;
  // `protocol: auto`: TLS connections offer h2 and http/1.1; once the server picks h2, h2 is set.
  bool h2_auto = false;
  H2Session* h2_session = nullptr;        // the session taking new streams, if any
  buffer::BufferPool* buffers = nullptr;  // the worker's (for sessions)

  // Removes `c` from the idle list if present.
  void removeIdle(UpstreamConnection* c);
};

}  // namespace portico::upstream
