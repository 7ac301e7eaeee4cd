#include "upstream/host_pool.h"

#include <algorithm>

namespace portico::upstream {

void HostPool::removeIdle(UpstreamConnection* c) {
  auto it = std::find(idle.begin(), idle.end(), c);
  if (it != idle.end()) idle.erase(it);
}

}  // namespace portico::upstream
