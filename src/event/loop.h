#pragma once
// Edge-triggered epoll event loop with a timer wheel and a cross-thread post queue.
// Each fd is registered once (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET) for its whole life, so no
// epoll_ctl happens per request. Thread: owned by the thread that calls run(); only post() and
// stop() may be called from other threads.
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "event/timer_wheel.h"

namespace portico::event {

// Receives readiness for one fd. `events` is the epoll mask.
class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual void onEvents(uint32_t events) = 0;
};

// Work postponed to the end of the current loop iteration (see Loop::defer).
class Deferred {
 public:
  virtual void runDeferred() = 0;

 protected:
  ~Deferred() = default;
};

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Registers fd for edge-triggered read+write readiness. Returns false (errno set) on failure.
  bool add(int fd, IoHandler* handler);
  // Registers fd for level-triggered read readiness only (listeners, signalfd, eventfd).
  bool addReadLevel(int fd, IoHandler* handler);
  // Removes fd (call before closing it when other fds may still report events this round).
  void remove(int fd);
  // Sends fd's future readiness (same mask as add()) to `handler` instead: a connection handed
  // from one protocol handler to another (HTTP/1 to HTTP/2).
  bool rebind(int fd, IoHandler* handler);

  // Runs until stop(). Each iteration: epoll_wait, dispatch, advance timers, run posted tasks,
  // then end-of-iteration hooks.
  void run();
  // Thread-safe: makes run() return after the current iteration.
  void stop();
  // Thread-safe: queues `task` to run on the loop thread.
  void post(std::function<void()> task);

  TimerWheel& timers() { return timers_; }
  // Monotonic milliseconds, sampled once per loop iteration (no syscall: vDSO coarse clock).
  uint64_t nowMs() const { return now_ms_; }
  // Wall clock seconds, sampled once per loop iteration.
  int64_t wallSeconds() const { return wall_s_; }
  // Registers a hook run at the end of every iteration (e.g. to flush batched output).
  void onIterationEnd(std::function<void()> hook) { end_hooks_.push_back(std::move(hook)); }

  // Deletes `h` at the end of the current iteration, after every event of this round was
  // dispatched. The handler must ignore events once it has closed its fd.
  void deleteLater(IoHandler* h) { dead_.push_back(h); }
  // Calls d->runDeferred() once at the end of this iteration, before deleteLater() handlers are
  // deleted (so `d` may be one of them: it must then notice that it has closed). Used to batch
  // output produced by several events into one write.
  void defer(Deferred* d) { deferred_.push_back(d); }

 private:
  class Waker;
  void updateClock();
  void runPosted();
  void reapDead();

  int epfd_;
  int wakefd_;
  TimerWheel timers_;
  uint64_t now_ms_ = 0;
  int64_t wall_s_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> has_posted_{false};
  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_;
  std::vector<std::function<void()>> running_;
  std::vector<std::function<void()>> end_hooks_;
  std::vector<IoHandler*> dead_;
  std::vector<IoHandler*> reaping_;  // reapDead()'s batch
  std::vector<Deferred*> deferred_;
  std::vector<Deferred*> deferred_running_;
  Waker* waker_;
};

// Current monotonic time in milliseconds (coarse clock).
uint64_t monotonicMs();

}  // namespace portico::event
