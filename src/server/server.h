#pragma once
// The main thread: owns the config, the listening sockets and the workers; turns signals into
// reload (SIGHUP) and graceful shutdown (SIGTERM/SIGINT). Thread: main thread only.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proxy/snapshot.h"
#include "server/worker.h"

namespace portico::server {

class Server {
 public:
  explicit Server(std::string config_path) : config_path_(std::move(config_path)) {}
  ~Server();
  // Loads the config, opens listeners, starts workers and serves until SIGTERM/SIGINT.
  // Returns the process exit code (0 after a graceful stop, 1 on startup failure).
  int run();

 private:
  // Opens SO_REUSEPORT sockets for listeners that are new in `snap` (one per worker).
  // Returns false with `err` set when one cannot be bound.
  bool openListeners(const proxy::Snapshot& snap,
                     std::vector<std::vector<WorkerSockets>>& per_worker, std::string& err);
  int openAccessLog(const config::Config& cfg);
  void reload();
  void shutdown();

  std::string config_path_;
  std::shared_ptr<const proxy::Snapshot> snap_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::map<std::string, std::string> open_listeners_;  // name -> address
  int access_log_fd_ = -1;
  std::string access_log_path_;
};

}  // namespace portico::server
