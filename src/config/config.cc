#include "config/config.h"

namespace portico::config {

const Cluster* Config::findCluster(const std::string& name) const {
  for (const Cluster& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string hstsFieldLine(const Hsts& h) {
  if (!h.enabled) return "";
  return "Strict-Transport-Security: max-age=" + std::to_string(h.max_age_s) +
         (h.include_subdomains ? "; includeSubDomains" : "") + (h.preload ? "; preload" : "") +
         "\r\n";
}

}  // namespace portico::config
