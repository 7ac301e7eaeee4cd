#pragma once
// Typed portico configuration, produced by the YAML loader (config/loader.h) and validated
// there. Once loaded a Config is immutable and shared by every worker through
// std::shared_ptr<const Config>. Durations are milliseconds, sizes bytes.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace portico::config {

struct RouteMatch {
  std::string host;               // "" = any; "api.example.com" exact; "*.example.com" suffix
  std::string path_prefix = "/";  // longest prefix wins
};

struct Route {
  RouteMatch match;
  std::string cluster;  // must name a cluster
};

struct Listener {
  std::string name;
  std::string address;  // "127.0.0.1:8080", "[::1]:8080", ":8080" (= 0.0.0.0)
  std::vector<Route> routes;
};

struct Server {
  std::string address;  // "host:port" (numeric IPv4/IPv6 or "localhost")
  uint32_t weight = 1;
};

struct Cluster {
  std::string name;
  std::vector<Server> servers;
  uint32_t connect_timeout_ms = 5000;    // upstream connect -> 504 when exceeded
  uint32_t response_timeout_ms = 60000;  // wait for response head / between reads -> 504
  uint32_t max_idle = 64;                // idle keep-alive upstream connections per server/worker
  uint32_t idle_timeout_ms = 4000;       // below nginx (75s)/Apache (5s) keep-alive defaults
  bool rewrite_host = false;             // true: send Host: <server address> instead of client's
};

struct AccessLog {
  enum class Format { Combined, Json };
  std::string path;  // "" = off, "stdout", "stderr" or a file path
  Format format = Format::Combined;
};

struct Limits {
  uint32_t max_request_line = 8192;   // -> 414
  uint32_t max_header_bytes = 16384;  // -> 431
  uint32_t max_header_count = 100;    // -> 431
  uint64_t max_body_bytes = 0;        // 0 = unlimited; larger -> 413
};

struct Timeouts {
  uint32_t client_header_ms = 10000;  // whole request head must arrive -> 408 and close
  uint32_t client_idle_ms = 60000;    // idle keep-alive downstream connection closed
  uint32_t client_body_ms = 60000;    // gap between body reads -> 408 and close
  uint32_t shutdown_ms = 10000;       // graceful stop budget for in-flight requests
};

struct Config {
  std::string source;    // file the config came from
  unsigned workers = 0;  // 0 = auto (one per CPU)
  std::vector<Listener> listeners;
  std::vector<Cluster> clusters;
  AccessLog access_log;
  std::string error_log_level = "info";  // debug, info, warn, error
  Limits limits;
  Timeouts timeouts;
  std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-*/Forwarded are kept
  bool server_header = true;                 // false hides "Server: portico" on our responses
  std::string via_name = "portico";          // pseudonym used in Via

  // Returns the cluster with this name, or nullptr.
  const Cluster* findCluster(const std::string& name) const;
};

// A config error. what() reads "FILE:LINE:COLUMN: KEY: MESSAGE" (with a "did you mean" hint
// when a key looks like a typo of a valid one).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads, parses and validates a YAML config file. Throws ConfigError on any problem: unknown
// keys, wrong types, bad addresses/durations/CIDRs, duplicate names, routes to missing clusters.
std::shared_ptr<const Config> loadConfigFile(const std::string& path);

// Same, from text; `source` names the file in error messages.
std::shared_ptr<const Config> loadConfigText(const std::string& text, const std::string& source);

}  // namespace portico::config
