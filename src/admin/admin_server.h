#pragma once
// The admin HTTP listener: a small HTTP/1.1 server (keep-alive, pipelining, Content-Length
// bodies only) on its own address, serving the JSON API of admin_routes.h. It runs on the main
// thread's event loop and never blocks it: sockets are non-blocking and every request is
// answered from ClusterAdmin's in-memory state. Thread: the loop's thread (construction may
// happen on another thread before the loop runs).
#include <cstdint>
#include <unordered_set>

#include "admin/admin_routes.h"
#include "admin/cluster_admin.h"
#include "event/loop.h"
#include "net/address.h"

namespace portico::admin {

struct AdminServerOptions {
  uint32_t idle_timeout_ms = 10000;  // a connection with no traffic for this long is closed
  uint32_t max_connections = 64;     // further connections are accepted and closed at once
};

class AdminConnection;
class AdminListener;

class AdminServer {
 public:
  // Binds `address` and serves on `loop` (main thread). Throws std::runtime_error with a
  // readable message (naming the address) if it cannot bind or register the socket. `api` must
  // outlive this object.
  AdminServer(event::Loop& loop, const net::Address& address, ClusterAdmin& api,
              AdminServerOptions options = {});
  // Closes the listener and every open admin connection at once (in-flight replies are dropped).
  // Must run on the loop's thread (or while the loop is not running), before the loop is
  // destroyed.
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The bound port (useful when `address` had port 0).
  uint16_t port() const { return port_; }
  // Number of open admin connections.
  size_t connectionCount() const { return conns_.size(); }

 private:
  friend class AdminConnection;
  friend class AdminListener;
  // Accepts every pending connection on the listener.
  void acceptAll();
  // Logs a socket error at most once a second (a full fd table would otherwise flood the log).
  void warnRateLimited(const char* what, int err);
  // Forgets `c` (it has closed its socket and scheduled its own deletion).
  void forget(AdminConnection* c) { conns_.erase(c); }

  event::Loop& loop_;
  ClusterAdmin& api_;
  AdminServerOptions options_;
  int fd_ = -1;
  uint16_t port_ = 0;
  uint64_t last_warn_ms_ = 0;
  AdminListener* listener_ = nullptr;  // owned through loop_.deleteLater
  std::unordered_set<AdminConnection*> conns_;
};

}  // namespace portico::admin
