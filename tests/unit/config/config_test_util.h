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

}  // namespace portico::config::testing
