#include "event/timer_wheel.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace portico::event {
namespace {

constexpr uint64_t kStart = 1'000'000;

// A timer that appends its name to a shared log when it fires.
struct Named {
  std::string name;
  std::vector<std::string>* log;
  Timer timer;
  Named(std::string n, std::vector<std::string>* l) : name(std::move(n)), log(l) {
    timer.setCallback([](void* self) { static_cast<Named*>(self)->fire(); }, this);
  }
  void fire() { log->push_back(name); }
};

TEST(TimerWheel, FiresInDeadlineOrder) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named a("a", &log), b("b", &log), c("c", &log);
  w.arm(a.timer, 30);
  w.arm(b.timer, 10);
  w.arm(c.timer, 20);
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.advance(kStart + 9), 0u);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(w.advance(kStart + 10), 1u);
  EXPECT_EQ(log, (std::vector<std::string>{"b"}));
  EXPECT_FALSE(b.timer.armed());
  EXPECT_EQ(w.advance(kStart + 30), 2u);
  EXPECT_EQ(log, (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.now(), kStart + 30);
}

TEST(TimerWheel, OneAdvanceWithinARevolutionFiresInDeadlineOrder) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named a("300", &log), b("100", &log), c("4000", &log), d("2000", &log), e("4001", &log);
  w.arm(a.timer, 300);
  w.arm(b.timer, 100);
  w.arm(c.timer, 4000);
  w.arm(d.timer, 2000);
  w.arm(e.timer, 4001);
  EXPECT_EQ(w.advance(kStart + 4000), 4u);
  EXPECT_EQ(log, (std::vector<std::string>{"100", "300", "2000", "4000"}));
  EXPECT_TRUE(e.timer.armed());
}

TEST(TimerWheel, DeadlineIsNowPlusDelay) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named a("a", &log);
  w.arm(a.timer, 25);
  EXPECT_TRUE(a.timer.armed());
  EXPECT_EQ(a.timer.deadline(), kStart + 25);
}

TEST(TimerWheel, ZeroDelayFiresOnNextTickNotNow) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named a("a", &log);
  w.arm(a.timer, 0);
  EXPECT_EQ(a.timer.deadline(), kStart + 1);
  EXPECT_EQ(w.advance(kStart), 0u);
  EXPECT_EQ(w.advance(kStart + 1), 1u);
  EXPECT_EQ(log.size(), 1u);
}

TEST(TimerWheel, CancelPreventsFiring) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named a("a", &log), b("b", &log);
  w.arm(a.timer, 5);
  w.arm(b.timer, 5);
  a.timer.cancel();
  EXPECT_FALSE(a.timer.armed());
  EXPECT_EQ(w.size(), 1u);
  a.timer.cancel();  // no-op when not armed
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(w.advance(kStart + 100), 1u);
  EXPECT_EQ(log, (std::vector<std::string>{"b"}));
  b.timer.cancel();  // no-op after firing
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, DestroyingAnArmedTimerCancelsIt) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named keep("keep", &log);
  w.arm(keep.timer, 7);
  {
    Named gone("gone", &log);
    w.arm(gone.timer, 7);  // same slot as `keep`
    EXPECT_EQ(w.size(), 2u);
  }
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(w.advance(kStart + 7), 1u);
  EXPECT_EQ(log, (std::vector<std::string>{"keep"}));
}

TEST(TimerWheel, RearmMovesTheDeadline) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named a("a", &log);
  w.arm(a.timer, 10);
  w.arm(a.timer, 50);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(w.advance(kStart + 49), 0u);
  EXPECT_EQ(w.advance(kStart + 50), 1u);
  // Re-arm to an earlier deadline.
  w.arm(a.timer, 100);
  w.arm(a.timer, 3);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(w.advance(kStart + 53), 1u);
  EXPECT_EQ(log.size(), 2u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, RearmOntoAnotherWheelLeavesTheFirst) {
  TimerWheel w1(kStart), w2(kStart);
  std::vector<std::string> log;
  Named a("a", &log);
  w1.arm(a.timer, 5);
  w2.arm(a.timer, 5);
  EXPECT_EQ(w1.size(), 0u);
  EXPECT_EQ(w2.size(), 1u);
  EXPECT_EQ(w1.advance(kStart + 10), 0u);
  EXPECT_EQ(w2.advance(kStart + 10), 1u);
}

// Two timers in the same slot; whichever fires first destroys the other.
struct Killer {
  Timer timer;
  std::unique_ptr<Killer>* victim = nullptr;
  int* fired;
  explicit Killer(int* f) : fired(f) {
    timer.setCallback(
        [](void* p) {
          auto* self = static_cast<Killer*>(p);
          ++*self->fired;
          if (self->victim) self->victim->reset();
        },
        this);
  }
};

TEST(TimerWheel, CallbackDestroysAnotherTimerInTheSameSlot) {
  TimerWheel w(kStart);
  int fired = 0;
  auto a = std::make_unique<Killer>(&fired);
  auto b = std::make_unique<Killer>(&fired);
  a->victim = &b;
  b->victim = &a;
  w.arm(a->timer, 20);
  w.arm(b->timer, 20);
  EXPECT_EQ(w.advance(kStart + 20), 1u);
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(a == nullptr || b == nullptr);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, CallbackDestroysALaterDueTimer) {
  TimerWheel w(kStart);
  int fired = 0;
  auto a = std::make_unique<Killer>(&fired);
  auto b = std::make_unique<Killer>(&fired);
  a->victim = &b;
  w.arm(a->timer, 5);
  w.arm(b->timer, 8);  // also due in the same advance() call
  EXPECT_EQ(w.advance(kStart + 10), 1u);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(b, nullptr);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, CallbackDestroysItsOwner) {
  TimerWheel w(kStart);
  int fired = 0;
  auto a = std::make_unique<Killer>(&fired);
  a->victim = &a;  // deletes itself
  Killer other(&fired);
  w.arm(a->timer, 4);
  w.arm(other.timer, 4);
  EXPECT_EQ(w.advance(kStart + 4), 2u);
  EXPECT_EQ(a, nullptr);
  EXPECT_EQ(fired, 2);
}

// A periodic timer that re-arms itself from its callback.
struct Periodic {
  TimerWheel* wheel;
  uint64_t period;
  std::vector<uint64_t> fired_at;
  Timer timer;
  Periodic(TimerWheel* w, uint64_t p) : wheel(w), period(p) {
    timer.setCallback(
        [](void* p) {
          auto* self = static_cast<Periodic*>(p);
          self->fired_at.push_back(self->wheel->now());
          self->wheel->arm(self->timer, self->period);
        },
        this);
  }
};

TEST(TimerWheel, CallbackRearmsItself) {
  TimerWheel w(kStart);
  Periodic p(&w, 10);
  w.arm(p.timer, 10);
  for (uint64_t t = kStart + 1; t <= kStart + 35; ++t) w.advance(t);
  EXPECT_EQ(p.fired_at, (std::vector<uint64_t>{kStart + 10, kStart + 20, kStart + 30}));
  EXPECT_TRUE(p.timer.armed());
  EXPECT_EQ(p.timer.deadline(), kStart + 40);
  EXPECT_EQ(w.size(), 1u);
}

TEST(TimerWheel, TimerArmedDuringAdvanceDoesNotFireInTheSameCall) {
  TimerWheel w(kStart);
  Periodic p(&w, 0);  // re-arms with delay 0 (= 1 tick) every time it fires
  w.arm(p.timer, 1);
  // A jump of 100 ms: the timer fires once, re-arms for now+1, and must not loop.
  EXPECT_EQ(w.advance(kStart + 100), 1u);
  EXPECT_EQ(p.fired_at.size(), 1u);
  EXPECT_EQ(p.timer.deadline(), kStart + 101);
  EXPECT_EQ(w.advance(kStart + 101), 1u);
  EXPECT_EQ(p.fired_at.size(), 2u);
}

TEST(TimerWheel, TimerBeyondOneRevolutionFiresOnTimeStepByStep) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named far("far", &log);
  w.arm(far.timer, 5000);  // > 4096: shares a slot with now+904
  for (uint64_t t = kStart + 1; t < kStart + 5000; ++t) {
    w.advance(t);
    ASSERT_TRUE(log.empty()) << "fired early at +" << (t - kStart);
  }
  EXPECT_EQ(w.advance(kStart + 5000), 1u);
  EXPECT_EQ(log.size(), 1u);
}

TEST(TimerWheel, TimerSeveralRevolutionsAwayFiresOnTime) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named far("far", &log);
  const uint64_t delay = 3 * TimerWheel::kSlots + 7;
  w.arm(far.timer, delay);
  // Coarse steps, some larger than a revolution.
  uint64_t t = kStart;
  for (uint64_t step : {1000u, 4096u, 5000u, 2000u}) {
    t += step;
    w.advance(t);
    EXPECT_TRUE(log.empty()) << "fired early at +" << (t - kStart);
  }
  w.advance(kStart + delay - 1);
  EXPECT_TRUE(log.empty());
  w.advance(kStart + delay);
  EXPECT_EQ(log.size(), 1u);
}

TEST(TimerWheel, BigJumpFiresEverythingDue) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  std::vector<std::unique_ptr<Named>> timers;
  for (uint64_t d : {1u, 100u, 4000u, 4095u, 4096u, 4097u, 8000u, 9000u}) {
    timers.push_back(std::make_unique<Named>(std::to_string(d), &log));
    w.arm(timers.back()->timer, d);
  }
  Named later("later", &log);
  w.arm(later.timer, 1'000'001);
  EXPECT_EQ(w.advance(kStart + 1'000'000), 8u);
  EXPECT_EQ(log.size(), 8u);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_TRUE(later.timer.armed());
  EXPECT_EQ(w.advance(kStart + 1'000'001), 1u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, JumpOfExactlyOneRevolutionPlusOne) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named a("a", &log), b("b", &log);
  w.arm(a.timer, 1);
  w.arm(b.timer, TimerWheel::kSlots + 1);
  EXPECT_EQ(w.advance(kStart + TimerWheel::kSlots + 1), 2u);
}

TEST(TimerWheel, AdvanceBackwardsOrStillIsANoOp) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named a("a", &log);
  w.arm(a.timer, 10);
  EXPECT_EQ(w.advance(kStart - 500), 0u);
  EXPECT_EQ(w.now(), kStart);
  EXPECT_EQ(w.advance(kStart), 0u);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(w.advance(kStart + 10), 1u);
}

TEST(TimerWheel, AdvanceWithNothingArmedMovesTime) {
  TimerWheel w(kStart);
  EXPECT_EQ(w.advance(kStart + 12345), 0u);
  EXPECT_EQ(w.now(), kStart + 12345);
  std::vector<std::string> log;
  Named a("a", &log);
  w.arm(a.timer, 5);
  EXPECT_EQ(a.timer.deadline(), kStart + 12350);
}

TEST(TimerWheel, NextTimeoutHorizon) {
  TimerWheel w(kStart);
  EXPECT_EQ(w.nextTimeoutMs(), -1);
  std::vector<std::string> log;
  Named far("far", &log), wrap("wrap", &log), near("near", &log), nearer("nearer", &log);
  w.arm(far.timer, 200);
  EXPECT_EQ(w.nextTimeoutMs(), 128);
  // Lands in slot now+3 one revolution later: must not be reported as due in 3 ms.
  w.arm(wrap.timer, TimerWheel::kSlots + 3);
  EXPECT_EQ(w.nextTimeoutMs(), 128);
  w.arm(near.timer, 50);
  EXPECT_EQ(w.nextTimeoutMs(), 50);
  w.arm(nearer.timer, 10);
  EXPECT_EQ(w.nextTimeoutMs(), 10);
  w.advance(kStart + 4);
  EXPECT_EQ(w.nextTimeoutMs(), 6);
  w.advance(kStart + 10);
  EXPECT_EQ(w.nextTimeoutMs(), 40);
  nearer.timer.cancel();
  near.timer.cancel();
  EXPECT_EQ(w.nextTimeoutMs(), 128);
  far.timer.cancel();
  wrap.timer.cancel();
  EXPECT_EQ(w.nextTimeoutMs(), -1);
}

TEST(TimerWheel, NextTimeoutNeverExceedsHorizon) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  Named a("a", &log);
  for (uint64_t d : {1u, 64u, 127u, 128u, 129u, 1000u, 4095u, 4096u, 4097u, 100000u}) {
    w.arm(a.timer, d);
    const int t = w.nextTimeoutMs();
    EXPECT_GE(t, 1) << d;
    EXPECT_LE(t, 128) << d;
    if (d <= 128) {
      EXPECT_EQ(t, static_cast<int>(d));
    }
  }
}

// nextTimeoutMs() skips empty slots through an occupancy bitmap; it must answer exactly what
// a slot-by-slot scan of the horizon answers, whatever the arms, cancels and advances were.
TEST(TimerWheel, NextTimeoutMatchesASlotScan) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  std::vector<std::unique_ptr<Named>> timers;
  for (int i = 0; i < 64; ++i) timers.push_back(std::make_unique<Named>("t", &log));
  auto reference = [&]() {
    bool any = false;
    int best = 128;
    for (const auto& n : timers) {
      if (!n->timer.armed()) continue;
      any = true;
      const uint64_t d = n->timer.deadline();
      const uint64_t mask = TimerWheel::kSlots - 1;
      uint64_t i = ((d & mask) - (w.now() & mask)) & mask;  // slot distance from now
      if (i == 0) i = TimerWheel::kSlots;
      if (i <= 128 && d <= w.now() + i && static_cast<int>(i) < best) best = static_cast<int>(i);
    }
    return any ? best : -1;
  };
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&]() {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed;
  };
  for (int step = 0; step < 20000; ++step) {
    Named& n = *timers[next() % timers.size()];
    switch (next() % 4) {
      case 0:
      case 1: {
        static const uint64_t kDelays[] = {1, 2, 63, 64, 65, 127, 128, 129, 500, 4095, 4096, 4160};
        const uint64_t d = next() % 3 == 0 ? kDelays[next() % 12] : 1 + next() % 300;
        w.arm(n.timer, d);
        break;
      }
      case 2:
        n.timer.cancel();
        break;
      default:
        w.advance(w.now() + next() % 40);
        break;
    }
    ASSERT_EQ(w.nextTimeoutMs(), reference()) << "step " << step;
  }
}

TEST(TimerWheel, SizeAccounting) {
  TimerWheel w(kStart);
  std::vector<std::string> log;
  std::vector<std::unique_ptr<Named>> timers;
  for (int i = 0; i < 100; ++i) {
    timers.push_back(std::make_unique<Named>(std::to_string(i), &log));
    w.arm(timers.back()->timer, static_cast<uint64_t>(i % 7 + 1));
  }
  EXPECT_EQ(w.size(), 100u);
  for (int i = 0; i < 100; i += 10) w.arm(timers[static_cast<size_t>(i)]->timer, 1000);  // re-arm
  EXPECT_EQ(w.size(), 100u);
  for (int i = 1; i < 100; i += 10) timers[static_cast<size_t>(i)]->timer.cancel();
  EXPECT_EQ(w.size(), 90u);
  timers[2].reset();  // destroyed while armed
  EXPECT_EQ(w.size(), 89u);
  EXPECT_EQ(w.advance(kStart + 7), 79u);
  EXPECT_EQ(w.size(), 10u);
  EXPECT_EQ(w.advance(kStart + 1000), 10u);
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(log.size(), 89u);
}

}  // namespace
}  // namespace portico::event
