#pragma once
// Active health checks. A HealthChecker owns one thread with its own event::Loop (never a worker
// thread) and, for every target (a server of a cluster with a `health_check`), runs a check every
// interval (+ a random delay in [0, jitter]) bounded by the check's timeout:
//   http    non-blocking connect, "METHOD PATH HTTP/1.1" with Host, Connection: close and
//           User-Agent: portico-health; healthy when the status is in an expect_status range and
//           the body contains body_contains (if set).
//   tcp     connect; with send/expect: send the bytes, then read until `expect` is seen.
//   script  fork+exec of the command with PORTICO_HOST/PORTICO_PORT in the environment, killed at
//           the timeout; exit status 0 = healthy. Children are reaped through a pidfd (or by
//           polling waitpid(WNOHANG)) in the checker's loop; nothing blocks.
// `fall` consecutive failures mark a healthy host down, `rise` consecutive successes bring it
// back. Verdicts go to the shared HostState (healthy, available_since_ms, check_successes,
// check_failures); each transition is logged once.
// Thread: setTargets(), start(), stop() and the destructor may be called from any one thread
// (typically the main thread); everything else runs on the checker's own thread.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "net/address.h"
#include "tls/client_context.h"
#include "upstream/host_state.h"

namespace portico::upstream::health {

// One server to check.
struct Target {
  std::string cluster;               // cluster name (for logs and identity)
  net::Address address;              // where to connect
  std::string address_text;          // the server address as configured, e.g. "127.0.0.1:9001"
  config::HealthCheck check;         // type None = not checked (the target is ignored)
  std::shared_ptr<HostState> state;  // shared verdict, read by the workers
  // Cluster `tls:`: http and tcp checks run over TLS with the cluster's client context
  // (verification, SNI = tls_host, client certificate), as the proxied traffic does.
  std::shared_ptr<const tls::ClientContext> tls;
  std::string tls_host;
  // Cluster `protocol:`: http checks speak HTTP/2 to h2 clusters (h2c with prior knowledge, or
  // h2 by ALPN with tls) and, for auto, to servers that pick h2 by ALPN; HTTP/1.1 otherwise.
  config::Cluster::Protocol protocol = config::Cluster::Protocol::Http1;
};

class HealthChecker {
 public:
  // Creates the checker with no targets and no thread; call start() to run it.
  HealthChecker();
  // Stops the thread (if running) and joins it; kills any check script still running.
  ~HealthChecker();
  // Not copyable (owns a thread).
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Thread-safe: replaces the set of checks (applied on the checker's thread, in call order).
  // Targets are identified by (cluster, address_text). A target already being checked keeps its
  // counters, verdict and schedule and takes the new check settings and state pointer. A new
  // target starts with its state as given (HostState starts healthy, so traffic flows at startup)
  // and zeroed counters; its first check runs within [0, jitter] ms. A target that disappears
  // stops being checked, its running check is abandoned, and its state is marked healthy again
  // (a host without an active check counts as healthy). May be called before start().
  void setTargets(std::vector<Target> targets);

  // Starts the checker's thread. Call at most once.
  void start();
  // Stops checking and joins the thread; running checks are abandoned and scripts killed.
  // Idempotent; the checker cannot be restarted.
  void stop();

  class Impl;  // the loop-thread side (health_checker.cc)

 private:
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace portico::upstream::health
