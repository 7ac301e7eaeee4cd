#pragma once
// Helpers shared by the config loader tests.
#include <string>

#include "config/config.h"

namespace portico::config::testing {

// The ConfigError message for `yaml` loaded as "t.yaml", or "(no error)" when it loads.
inline std::string errorOf(const std::string& yaml) {
  try {
    loadConfigText(yaml, "t.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

// A listener (line 2) whose extra keys are `listener_keys` (indented 4), then a cluster "web"
// (with `cluster_keys`, indented 4): what the TLS and HTTP/2 key tests vary.
inline std::string yamlWith(const std::string& listener_keys,
                            const std::string& cluster_keys = "") {
  return "listeners:\n"
         "  - address: 127.0.0.1:8443\n" +
         listener_keys +
         "    routes:\n"
         "      - cluster: web\n"
         "clusters:\n"
         "  - name: web\n"
         "    servers: [127.0.0.1:9001]\n" +
         cluster_keys;
}

}  // namespace portico::config::testing
