#include "event/loop.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace portico::event {
namespace {

// Stops `loop` (and flags the test) if it is still running after `ms`: a broken loop fails the
// test instead of hanging it.
struct Watchdog {
  Loop& loop;
  bool tripped = false;
  Timer timer;
  Watchdog(Loop& l, uint64_t ms) : loop(l) {
    timer.setCallback(
        [](void* p) {
          auto* self = static_cast<Watchdog*>(p);
          self->tripped = true;
          self->loop.stop();
        },
        this);
    loop.timers().arm(timer, ms);
  }
};

struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0);
  }
  ~SocketPair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void closePeer() {
    ::close(fd[1]);
    fd[1] = -1;
  }
  void write(const char* s) { ASSERT_EQ(::write(fd[1], s, strlen(s)), (ssize_t)strlen(s)); }
};

TEST(EventLoop, PostFromAnotherThreadRunsOnTheLoopThread) {
  Loop loop;
  Watchdog dog(loop, 2000);
  std::thread::id loop_thread, ran_on;
  std::thread t([&] {
    loop_thread = std::this_thread::get_id();
    loop.run();
  });
  loop.post([&] {
    ran_on = std::this_thread::get_id();
    loop.stop();
  });
  t.join();
  EXPECT_FALSE(dog.tripped);
  EXPECT_EQ(ran_on, loop_thread);
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(EventLoop, PostsFromManyThreadsAllRunInOrderPerThread) {
  Loop loop;
  Watchdog dog(loop, 2000);
  constexpr int kThreads = 4, kPosts = 500;
  std::vector<std::vector<int>> seen(kThreads);  // touched only on the loop thread
  int total = 0;
  std::thread runner([&] { loop.run(); });
  std::vector<std::thread> posters;
  for (int p = 0; p < kThreads; ++p) {
    posters.emplace_back([&, p] {
      for (int i = 0; i < kPosts; ++i) {
        loop.post([&, p, i] {
          seen[static_cast<size_t>(p)].push_back(i);
          if (++total == kThreads * kPosts) loop.stop();
        });
      }
    });
  }
  for (auto& t : posters) t.join();
  runner.join();
  EXPECT_FALSE(dog.tripped);
  EXPECT_EQ(total, kThreads * kPosts);
  for (const auto& s : seen) {
    ASSERT_EQ(s.size(), static_cast<size_t>(kPosts));
    for (int i = 0; i < kPosts; ++i) EXPECT_EQ(s[static_cast<size_t>(i)], i);
  }
}

TEST(EventLoop, StopFromAnotherThread) {
  Loop loop;
  Watchdog dog(loop, 2000);
  std::atomic<bool> running{false};
  std::thread t([&] {
    loop.post([&] { running.store(true); });
    loop.run();
  });
  while (!running.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  loop.stop();
  t.join();
  EXPECT_FALSE(dog.tripped);
}

TEST(EventLoop, StopBeforeRunReturnsImmediately) {
  Loop loop;
  Watchdog dog(loop, 2000);
  loop.stop();
  loop.run();
  EXPECT_FALSE(dog.tripped);
}

TEST(EventLoop, TimersFireThroughRun) {
  Loop loop;
  Watchdog dog(loop, 2000);
  struct Tick {
    Loop* loop;
    int count = 0;
    uint64_t first_ms = 0, last_ms = 0;
    Timer timer;
  } tick{&loop};
  tick.timer.setCallback(
      [](void* p) {
        auto* t = static_cast<Tick*>(p);
        if (++t->count == 1) t->first_ms = monotonicMs();
        t->last_ms = monotonicMs();
        if (t->count == 3)
          t->loop->stop();
        else
          t->loop->timers().arm(t->timer, 10);
      },
      &tick);
  const uint64_t start = monotonicMs();
  loop.timers().arm(tick.timer, 20);
  loop.run();
  EXPECT_FALSE(dog.tripped);
  EXPECT_EQ(tick.count, 3);
  // The coarse clock ticks every few ms: allow one tick of slack below.
  EXPECT_GE(tick.first_ms - start, 15u);
  EXPECT_GE(tick.last_ms - start, 35u);
  EXPECT_LT(tick.last_ms - start, 1000u);
}

TEST(EventLoop, NowAdvancesWithIterations) {
  Loop loop;
  Watchdog dog(loop, 2000);
  const uint64_t before = loop.nowMs();
  struct Ctx {
    Loop* loop;
    uint64_t seen = 0;
    Timer timer;
  } ctx{&loop};
  ctx.timer.setCallback(
      [](void* p) {
        auto* c = static_cast<Ctx*>(p);
        c->seen = c->loop->nowMs();
        c->loop->stop();
      },
      &ctx);
  loop.timers().arm(ctx.timer, 30);
  loop.run();
  EXPECT_GE(ctx.seen, before + 25);
  EXPECT_GT(loop.wallSeconds(), 1'600'000'000);
}

// A handler that records every epoll mask it gets.
struct Recorder : IoHandler {
  std::vector<uint32_t> events;
  void onEvents(uint32_t e) override { events.push_back(e); }
  int count(uint32_t bit) const {
    int n = 0;
    for (uint32_t e : events)
      if (e & bit) ++n;
    return n;
  }
};

TEST(EventLoop, IoHandlerGetsEdgeTriggeredEvents) {
  Loop loop;
  Watchdog dog(loop, 2000);
  SocketPair sp;
  Recorder rec;
  ASSERT_TRUE(loop.add(sp.fd[0], &rec));
  int step = 0;
  bool failed = false;
  auto check = [&](bool ok, const char* what) {
    if (!ok) {
      ADD_FAILURE() << "step " << step << ": " << what;
      failed = true;
      loop.stop();
    }
  };
  // Scripted at the end of each iteration; every step leaves the loop a reason to wake up.
  loop.onIterationEnd([&] {
    if (failed) return;
    switch (step) {
      case 0:  // registration: writable at once, nothing to read
        check(rec.count(EPOLLOUT) == 1 && rec.count(EPOLLIN) == 0, "initial EPOLLOUT only");
        sp.write("x");
        step = 1;
        break;
      case 1:  // one readable edge
        check(rec.count(EPOLLIN) == 1, "one EPOLLIN after a write");
        loop.post([] {});  // wake up again without touching the socket
        step = 2;
        break;
      case 2:  // edge-triggered: the unread byte does not report again
        check(rec.count(EPOLLIN) == 1, "no repeated EPOLLIN for unread data");
        sp.write("y");
        step = 3;
        break;
      case 3:  // a new write is a new edge
        check(rec.count(EPOLLIN) == 2, "second EPOLLIN after a second write");
        check(rec.count(EPOLLRDHUP) == 0, "no RDHUP yet");
        sp.closePeer();
        step = 4;
        break;
      case 4:
        check(rec.count(EPOLLRDHUP) == 1, "EPOLLRDHUP after the peer closed");
        step = 5;
        loop.stop();
        break;
    }
  });
  loop.run();
  loop.remove(sp.fd[0]);
  EXPECT_FALSE(dog.tripped);
  EXPECT_EQ(step, 5);
}

TEST(EventLoop, LevelTriggeredReadHandlerRepeatsUntilDrained) {
  Loop loop;
  Watchdog dog(loop, 2000);
  SocketPair sp;
  Recorder rec;
  ASSERT_TRUE(loop.addReadLevel(sp.fd[0], &rec));
  sp.write("abc");
  int iterations = 0;
  loop.onIterationEnd([&] {
    ++iterations;
    if (iterations == 3) {
      char buf[8];
      EXPECT_EQ(::read(sp.fd[0], buf, sizeof buf), 3);
    }
    if (iterations >= 3) loop.post([] {});  // keep iterating without the fd
    if (iterations == 5) loop.stop();
  });
  loop.run();
  loop.remove(sp.fd[0]);
  EXPECT_EQ(rec.count(EPOLLIN), 3);  // reported each iteration until read, then never
  EXPECT_EQ(rec.count(EPOLLOUT), 0);
}

struct Tracked : IoHandler {
  bool* deleted;
  explicit Tracked(bool* d) : deleted(d) {}
  ~Tracked() override { *deleted = true; }
  void onEvents(uint32_t) override {}
};

TEST(EventLoop, DeleteLaterDeletesAfterTheIteration) {
  Loop loop;
  Watchdog dog(loop, 2000);
  bool deleted = false;
  bool alive_at_end_hook = false;
  bool checked_next_iteration = false;
  int iteration = 0;
  loop.post([&] { loop.deleteLater(new Tracked(&deleted)); });
  loop.onIterationEnd([&] {
    ++iteration;
    if (iteration == 1) {
      alive_at_end_hook = !deleted;  // hooks run before the reap
      loop.post([&] {
        checked_next_iteration = deleted;
        loop.stop();
      });
    }
  });
  loop.run();
  EXPECT_FALSE(dog.tripped);
  EXPECT_TRUE(alive_at_end_hook);
  EXPECT_TRUE(checked_next_iteration);
}

// A handler that, once readable, deletes itself and a second handler whose fd is ready in the
// same round. The second one must still be a valid object when its event is dispatched.
struct SelfDeleting : IoHandler {
  Loop& loop;
  int fd;
  int* dispatched;
  bool* deleted;
  SelfDeleting* other = nullptr;
  bool closed = false;
  SelfDeleting(Loop& l, int f, int* d, bool* del) : loop(l), fd(f), dispatched(d), deleted(del) {}
  ~SelfDeleting() override { *deleted = true; }
  void onEvents(uint32_t e) override {
    if (closed || !(e & EPOLLIN)) return;
    ++*dispatched;
    closed = true;
    loop.deleteLater(this);
    if (other && !other->closed) {
      other->closed = true;
      loop.deleteLater(other);
    }
  }
};

TEST(EventLoop, DeleteLaterKeepsHandlersValidForTheRestOfTheRound) {
  Loop loop;
  Watchdog dog(loop, 2000);
  SocketPair a, b;
  int dispatched = 0;
  bool a_deleted = false, b_deleted = false;
  auto* ha = new SelfDeleting(loop, a.fd[0], &dispatched, &a_deleted);
  auto* hb = new SelfDeleting(loop, b.fd[0], &dispatched, &b_deleted);
  ha->other = hb;
  hb->other = ha;
  ASSERT_TRUE(loop.add(a.fd[0], ha));
  ASSERT_TRUE(loop.add(b.fd[0], hb));
  int iteration = 0;
  loop.onIterationEnd([&] {
    if (++iteration == 1) {
      // Both fds become readable in the same round.
      a.write("1");
      b.write("2");
    } else if (iteration == 2) {
      EXPECT_EQ(dispatched, 1);  // the other one saw `closed` and ignored its event
      EXPECT_FALSE(a_deleted);
      EXPECT_FALSE(b_deleted);
      loop.remove(a.fd[0]);
      loop.remove(b.fd[0]);
      loop.post([&] { loop.stop(); });
    }
  });
  loop.run();
  EXPECT_FALSE(dog.tripped);
  EXPECT_TRUE(a_deleted);
  EXPECT_TRUE(b_deleted);
}

TEST(EventLoop, DestructorDeletesPendingDeleteLater) {
  bool deleted = false;
  {
    Loop loop;
    loop.deleteLater(new Tracked(&deleted));
  }
  EXPECT_TRUE(deleted);
}

// Re-arms a timer from an I/O event after the loop slept: the delay counts from the event, not
// from the last time the loop woke up.
struct ArmOnRead : IoHandler {
  Loop& loop;
  uint64_t armed_at = 0, fired_at = 0;
  Timer timer;
  explicit ArmOnRead(Loop& l) : loop(l) {
    timer.setCallback(
        [](void* p) {
          auto* self = static_cast<ArmOnRead*>(p);
          self->fired_at = monotonicMs();
          self->loop.stop();
        },
        this);
  }
  void onEvents(uint32_t e) override {
    if (!(e & EPOLLIN) || armed_at) return;
    armed_at = monotonicMs();
    loop.timers().arm(timer, 50);
  }
};

TEST(EventLoop, TimerArmedFromAnIoEventCountsFromNow) {
  Loop loop;
  Watchdog dog(loop, 2000);
  SocketPair sp;
  ArmOnRead h(loop);
  ASSERT_TRUE(loop.add(sp.fd[0], &h));
  // The loop sleeps in epoll_wait (no timer due within 128 ms except the watchdog's horizon
  // wakeups) while this thread waits 100 ms, then makes the socket readable.
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sp.write("x");
  });
  loop.run();
  writer.join();
  loop.remove(sp.fd[0]);
  EXPECT_FALSE(dog.tripped);
  ASSERT_NE(h.armed_at, 0u);
  ASSERT_NE(h.fired_at, 0u);
  // One coarse-clock tick (<= 10 ms) of slack.
  EXPECT_GE(h.fired_at - h.armed_at, 40u)
      << "a 50 ms timer armed from onEvents fired after " << (h.fired_at - h.armed_at) << " ms";
}

}  // namespace
}  // namespace portico::event
