#include "event/loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace portico::event {

uint64_t monotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

class Loop::Waker : public IoHandler {
 public:
  explicit Waker(Loop& loop) : loop_(loop) {}
  void onEvents(uint32_t) override {
    uint64_t v;
    while (::read(loop_.wakefd_, &v, sizeof v) > 0) {
    }
  }

 private:
  Loop& loop_;
};

Loop::Loop() : timers_(monotonicMs()) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || wakefd_ < 0) throw std::runtime_error("epoll/eventfd creation failed");
  waker_ = new Waker(*this);
  addReadLevel(wakefd_, waker_);
  updateClock();
}

Loop::~Loop() {
  reapDead();
  ::close(wakefd_);
  ::close(epfd_);
  delete waker_;
}

bool Loop::add(int fd, IoHandler* handler) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool Loop::addReadLevel(int fd, IoHandler* handler) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool Loop::rebind(int fd, IoHandler* handler) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void Loop::remove(int fd) {
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

void Loop::updateClock() {
  now_ms_ = monotonicMs();
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  wall_s_ = ts.tv_sec;
}

void Loop::stop() {
  stopping_.store(true);
  uint64_t one = 1;
  ssize_t rc = ::write(wakefd_, &one, sizeof one);
  (void)rc;
}

void Loop::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> g(post_mu_);
    posted_.push_back(std::move(task));
    has_posted_.store(true, std::memory_order_release);
  }
  uint64_t one = 1;
  ssize_t rc = ::write(wakefd_, &one, sizeof one);
  (void)rc;
}

void Loop::runPosted() {
  if (!has_posted_.load(std::memory_order_acquire)) return;
  {
    std::lock_guard<std::mutex> g(post_mu_);
    running_.swap(posted_);
    has_posted_.store(false, std::memory_order_relaxed);
  }
  for (auto& t : running_) t();
  running_.clear();
}

void Loop::reapDead() {
  while (!dead_.empty()) {
    reaping_.swap(dead_);  // both vectors keep their capacity: no allocation per close
    for (IoHandler* h : reaping_) delete h;
    reaping_.clear();
  }
}

void Loop::run() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  for (;;) {
    if (stopping_.load(std::memory_order_relaxed)) break;
    int timeout = timers_.nextTimeoutMs();
    int n = epoll_wait(epfd_, events, kMaxEvents, timeout);
    updateClock();
    // Bring the wheel to now before dispatching, so timers armed by handlers count from now.
    timers_.advance(now_ms_);
    for (int i = 0; i < n; ++i) {
      static_cast<IoHandler*>(events[i].data.ptr)->onEvents(events[i].events);
    }
    timers_.advance(now_ms_);
    runPosted();
    for (auto& hook : end_hooks_) hook();
    while (!deferred_.empty()) {
      deferred_running_.swap(deferred_);
      for (Deferred* d : deferred_running_) d->runDeferred();
      deferred_running_.clear();
    }
    reapDead();
  }
}

}  // namespace portico::event
