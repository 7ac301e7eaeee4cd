#include "config/config.h"

namespace portico::config {

const Cluster* Config::findCluster(const std::string& name) const {
  for (const Cluster& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace portico::config
