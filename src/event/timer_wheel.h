#pragma once
// Hashed timer wheel with millisecond ticks. Arming and cancelling are O(1) (intrusive list);
// advance() fires every timer whose deadline has passed. Timers are embedded in their owners
// (no allocation). Thread: owned by one event loop; not thread-safe.
#include <cstdint>
#include <functional>

namespace portico::event {

class TimerWheel;

// A timer embedded in its owner. The callback runs on the wheel's thread; it may re-arm
// or destroy the owner. Destroying an armed Timer cancels it.
class Timer {
 public:
  using Callback = void (*)(void* ctx);
  Timer() = default;
  Timer(Callback cb, void* ctx) : cb_(cb), ctx_(ctx) {}
  ~Timer() { cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void setCallback(Callback cb, void* ctx) {
    cb_ = cb;
    ctx_ = ctx;
  }
  // True when armed and not yet fired.
  bool armed() const { return wheel_ != nullptr; }
  // Cancels if armed; no-op otherwise.
  void cancel();
  uint64_t deadline() const { return deadline_ms_; }

 private:
  friend class TimerWheel;
  Callback cb_ = nullptr;
  void* ctx_ = nullptr;
  TimerWheel* wheel_ = nullptr;
  Timer* prev_ = nullptr;
  Timer* next_ = nullptr;
  uint64_t deadline_ms_ = 0;
};

class TimerWheel {
 public:
  static constexpr uint32_t kSlots = 4096;  // power of two; 4.096 s per revolution at 1 ms

  explicit TimerWheel(uint64_t now_ms) : now_ms_(now_ms) {}
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Arms (or re-arms) `t` to fire at now + delay_ms (at least one tick later).
  void arm(Timer& t, uint64_t delay_ms);
  // Fires all timers with deadline <= now_ms, in deadline-slot order. Returns how many fired.
  size_t advance(uint64_t now_ms);
  // Milliseconds until the earliest armed timer may fire, or -1 when none is armed. Looks
  // ahead at most 128 ms (returns 128 when nothing is due sooner); used as epoll_wait's timeout.
  int nextTimeoutMs() const;
  size_t size() const { return count_; }
  uint64_t now() const { return now_ms_; }

 private:
  friend class Timer;
  void unlink(Timer& t);
  Timer* slots_[kSlots] = {};
  // Bit i set: slots_[i] is non-empty (lets nextTimeoutMs() skip 64 empty slots at a time).
  uint64_t occupied_[kSlots / 64] = {};
  uint64_t now_ms_;
  size_t count_ = 0;
};

}  // namespace portico::event
