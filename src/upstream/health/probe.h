#pragma once
// One run of one health check (internal to the health checker). A probe is created on the
// checker's loop thread, runs asynchronously in that loop and reports its verdict once to its
// owner. Probes free themselves (event::Loop::deleteLater) when they are done with their
// resources; a ProbeSet lists the live ones so the checker can force them down at shutdown.
// Thread: the checker's loop thread only.
#include <string>
#include <unordered_set>

#include "event/loop.h"
#include "upstream/health/health_checker.h"

namespace portico::upstream::health {

// Receives a probe's verdict.
class ProbeOwner {
 public:
  virtual ~ProbeOwner() = default;
  // Called at most once per probe with the verdict and, for failures, a short reason for logs
  // ("http status 500", "connect failed: Connection refused"). The probe may still be alive (a
  // killed script awaiting its reaping) but never calls its owner again.
  virtual void onProbeDone(bool ok, const std::string& reason) = 0;
};

class Probe;
using ProbeSet = std::unordered_set<Probe*>;

class Probe : public event::IoHandler {
 public:
  // Creates the probe for `target.check.type` (http, tcp or script), registered in `live`;
  // returns nullptr for type None. Call start() next.
  static Probe* create(event::Loop& loop, ProbeSet& live, ProbeOwner* owner, const Target& target);

  // Unregisters the probe from its ProbeSet.
  ~Probe() override;

  // Starts the check. The verdict reaches the owner later, or before start() returns when the
  // check fails at once (e.g. no socket could be created).
  virtual void start() = 0;
  // The owner no longer wants the verdict (target removed): the owner is never called again and
  // the probe frees itself (a running script is killed first and reaped in the loop).
  virtual void abandon() = 0;
  // Shutdown after the loop stopped: releases everything now (closes fds, kills a running script
  // and reaps it, waiting at most briefly). The caller deletes the probe afterwards.
  virtual void forceClose() = 0;

 protected:
  // Copies what the check needs from `target` and registers the probe in `live`.
  Probe(event::Loop& loop, ProbeSet& live, ProbeOwner* owner, const Target& target);

  // Delivers the verdict to the owner if there still is one (at most once).
  void deliver(bool ok, const std::string& reason);

  event::Loop& loop_;
  ProbeSet& live_;
  ProbeOwner* owner_;
  // Copies: the target may change (setTargets) while the probe runs.
  config::HealthCheck check_;
  net::Address address_;
  std::string address_text_;
  std::shared_ptr<const tls::ClientContext> tls_;  // null: plain TCP
  std::string tls_host_;
  config::Cluster::Protocol protocol_;
};

}  // namespace portico::upstream::health
