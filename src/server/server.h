#pragma once
// The main thread: owns the config, the listening sockets, the shared host state and the
// workers; runs its own event loop for signals (SIGHUP reload, SIGTERM/SIGINT graceful stop)
// and the admin API, and applies runtime changes by posting new snapshots to the workers.
// Thread: main thread only.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "admin/cluster_admin.h"
#include "event/loop.h"
#include "proxy/snapshot.h"
#include "server/worker.h"
#include "upstream/health/health_checker.h"
#include "upstream/host_state.h"

namespace portico::server {

class Server : public admin::ClusterAdmin {
 public:
  explicit Server(std::string config_path);
  ~Server() override;
  // Loads the config, opens listeners, starts workers and serves until SIGTERM/SIGINT.
  // Returns the process exit code (0 after a graceful stop, 1 on startup failure).
  int run();

  // admin::ClusterAdmin (main thread).
  std::vector<admin::ClusterStatus> clusters() override;
  std::string addServer(const std::string& cluster, const std::string& address, uint32_t weight,
                        bool backup, int& status) override;
  std::string removeServer(const std::string& cluster, const std::string& address,
                           int& status) override;
  std::string setAdminState(const std::string& cluster, const std::string& address,
                            upstream::AdminState state, int& status) override;
  std::string setWeight(const std::string& cluster, const std::string& address, uint32_t weight,
                        int& status) override;

  void onSignal(int signo);

 private:
  // Makes `cfg` the running config: builds the snapshot, opens new listeners, posts to the
  // workers, updates health checks and the admin listener. Returns "" or the reason it was
  // refused (the running config then stays).
  std::string apply(std::shared_ptr<const config::Config> cfg);
  // Opens SO_REUSEPORT sockets for listeners that are new in `snap` (one per worker).
  // Returns false with `err` set when one cannot be bound.
  bool openListeners(const proxy::Snapshot& snap,
                     std::vector<std::vector<WorkerSockets>>& per_worker, std::string& err);
  int openAccessLog(const config::Config& cfg);
  void updateHealthChecks();
  std::string updateAdmin();
  void reload();
  void shutdown();
  // tls_upkeep.cc: every tick, TLS listeners re-read changed certificate/key/OCSP files and
  // rotate session ticket keys when due. Re-arms itself.
  static void onTlsUpkeep(void* self);
  void tlsUpkeep();
  upstream::HostState* findHost(const std::string& cluster, const std::string& address, int& status,
                                std::string& err);

  std::string config_path_;
  event::Loop loop_;
  upstream::HostRegistry registry_;
  std::shared_ptr<const proxy::Snapshot> snap_;
  proxy::TlsContextCache tls_cache_;  // TLS contexts survive reloads that leave them unchanged
  std::vector<std::unique_ptr<Worker>> workers_;
  std::map<std::string, std::string> open_listeners_;  // name -> address
  int access_log_fd_ = -1;
  std::string access_log_path_;
  std::unique_ptr<admin::AdminServer> admin_;
  std::string admin_address_;
  std::unique_ptr<upstream::health::HealthChecker> health_;
  class SignalWatcher;
  std::unique_ptr<SignalWatcher> signals_;
  int exit_code_ = 0;
  event::Timer tls_timer_;
  uint64_t tls_last_reload_check_ms_ = 0;
  uint64_t tls_last_ca_check_ms_ = 0;
};

}  // namespace portico::server
