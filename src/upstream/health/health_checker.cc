#include "upstream/health/health_checker.h"

#include <pthread.h>

#include <map>
#include <random>
#include <utility>

#include "core/log.h"
#include "event/loop.h"
#include "upstream/health/probe.h"

namespace portico::upstream::health {
namespace {

// Counters stop here instead of wrapping (they only need to reach rise/fall).
constexpr uint32_t kCounterCap = 1u << 30;

}  // namespace

// Everything below runs on the checker's loop thread, except construction, and shutdown() when
// the thread never started.
class HealthChecker::Impl {
 public:
  Impl() : rng_(std::random_device{}()) {}

  // Replaces the checked targets (see HealthChecker::setTargets).
  void apply(std::vector<Target> targets);
  // Drops every target and frees every probe; call once the loop no longer runs.
  void shutdown();

  event::Loop& loop() { return loop_; }

 private:
  // The checks of one target: a timer that starts a probe every interval.
  class Checker final : public ProbeOwner {
   public:
    Checker(Impl& impl, Target target)
        : impl_(impl), target_(std::move(target)), timer_(&Checker::onTimer, this) {}
    ~Checker() override {
      if (probe_ != nullptr) probe_->abandon();
    }

    // Runs the first check after `delay_ms`.
    void schedule(uint64_t delay_ms) { impl_.loop_.timers().arm(timer_, delay_ms); }
    // New settings for the same (cluster, address).
    void update(Target target) { target_ = std::move(target); }
    const Target& target() const { return target_; }
    // Shutdown: forget the running probe (the caller frees every probe).
    void forgetProbe() { probe_ = nullptr; }

    void onProbeDone(bool ok, const std::string& reason) override;

   private:
    static void onTimer(void* ctx);

    Impl& impl_;
    Target target_;
    event::Timer timer_;
    Probe* probe_ = nullptr;
  };

  // Random delay in [0, jitter_ms].
  uint64_t jitter(uint32_t jitter_ms) {
    if (jitter_ms == 0) return 0;
    return std::uniform_int_distribution<uint64_t>(0, jitter_ms)(rng_);
  }

  // Declared first so it outlives the loop (which may still free probes).
  ProbeSet live_;
  event::Loop loop_;
  std::mt19937_64 rng_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Checker>> checkers_;
};

void HealthChecker::Impl::Checker::onTimer(void* ctx) {
  auto* self = static_cast<Checker*>(ctx);
  const config::HealthCheck& hc = self->target_.check;
  self->impl_.loop_.timers().arm(self->timer_, hc.interval_ms + self->impl_.jitter(hc.jitter_ms));
  if (self->probe_ != nullptr) return;  // previous check still running (timeout >= interval)
  self->probe_ = Probe::create(self->impl_.loop_, self->impl_.live_, self, self->target_);
  if (self->probe_ != nullptr) self->probe_->start();  // may report (and clear probe_) at once
}

void HealthChecker::Impl::Checker::onProbeDone(bool ok, const std::string& reason) {
  probe_ = nullptr;
  HostState& s = *target_.state;
  const config::HealthCheck& hc = target_.check;
  const bool healthy = s.healthy.load(std::memory_order_relaxed);
  if (ok) {
    s.check_failures = 0;
    s.check_successes = std::min(s.check_successes + 1, kCounterCap);
    if (!healthy && s.check_successes >= hc.rise) {
      s.available_since_ms.store(event::monotonicMs(), std::memory_order_relaxed);
      s.healthy.store(true, std::memory_order_relaxed);
      log::info("cluster {} server {} is UP", target_.cluster, target_.address_text);
    }
    return;
  }
  s.check_successes = 0;
  s.check_failures = std::min(s.check_failures + 1, kCounterCap);
  log::debug("cluster {} server {} health check failed: {}", target_.cluster, target_.address_text,
             reason);
  if (healthy && s.check_failures >= hc.fall) {
    s.healthy.store(false, std::memory_order_relaxed);
    log::warn("cluster {} server {} is DOWN ({})", target_.cluster, target_.address_text, reason);
  }
}

void HealthChecker::Impl::apply(std::vector<Target> targets) {
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Checker>> next;
  for (Target& t : targets) {
    if (t.check.type == config::HealthCheck::Type::None || !t.state) continue;
    auto key = std::make_pair(t.cluster, t.address_text);
    if (next.count(key) != 0) continue;  // duplicate: the first one wins
    auto old = checkers_.find(key);
    if (old != checkers_.end()) {
      old->second->update(std::move(t));
      next.emplace(key, std::move(old->second));
      checkers_.erase(old);
      continue;
    }
    t.state->check_successes = 0;
    t.state->check_failures = 0;
    const uint32_t jitter_ms = t.check.jitter_ms;
    auto checker = std::make_unique<Checker>(*this, std::move(t));
    checker->schedule(jitter(jitter_ms));
    next.emplace(key, std::move(checker));
  }
  // Targets no longer checked: a host without an active check counts as healthy.
  for (auto& [key, checker] : checkers_) {
    HostState& s = *checker->target().state;
    s.check_successes = 0;
    s.check_failures = 0;
    if (!s.healthy.load(std::memory_order_relaxed)) {
      s.available_since_ms.store(event::monotonicMs(), std::memory_order_relaxed);
      s.healthy.store(true, std::memory_order_relaxed);
      log::info("cluster {} server {} is UP (no longer health checked)", key.first, key.second);
    }
  }
  checkers_ = std::move(next);  // destroys the removed checkers, abandoning their probes
}

void HealthChecker::Impl::shutdown() {
  // The loop no longer runs, so nothing may be left to its deleteLater(): free probes here.
  for (auto& [key, checker] : checkers_) checker->forgetProbe();
  while (!live_.empty()) {
    Probe* p = *live_.begin();
    p->forceClose();  // closes sockets, kills and reaps scripts
    delete p;         // erases itself from live_
  }
  checkers_.clear();
}

HealthChecker::HealthChecker() : impl_(std::make_unique<Impl>()) {}

HealthChecker::~HealthChecker() {
  stop();
}

void HealthChecker::setTargets(std::vector<Target> targets) {
  if (stopped_) return;
  auto shared = std::make_shared<std::vector<Target>>(std::move(targets));
  Impl* impl = impl_.get();
  impl->loop().post([impl, shared] { impl->apply(std::move(*shared)); });
}

void HealthChecker::start() {
  if (started_ || stopped_) return;
  started_ = true;
  Impl* impl = impl_.get();
  thread_ = std::thread([impl] {
    impl->loop().run();
    impl->shutdown();
  });
  pthread_setname_np(thread_.native_handle(), "portico-health");
}

void HealthChecker::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (started_) {
    impl_->loop().stop();
    thread_.join();
  } else {
    impl_->shutdown();
  }
}

}  // namespace portico::upstream::health
