#include "event/timer_wheel.h"

namespace portico::event {

void Timer::cancel() {
  if (wheel_) wheel_->unlink(*this);
}

void TimerWheel::unlink(Timer& t) {
  uint32_t slot = static_cast<uint32_t>(t.deadline_ms_) & (kSlots - 1);
  if (t.prev_) {
    t.prev_->next_ = t.next_;
  } else {
    slots_[slot] = t.next_;
    if (!t.next_) occupied_[slot >> 6] &= ~(uint64_t{1} << (slot & 63));
  }
  if (t.next_) t.next_->prev_ = t.prev_;
  t.prev_ = t.next_ = nullptr;
  t.wheel_ = nullptr;
  --count_;
}

void TimerWheel::arm(Timer& t, uint64_t delay_ms) {
  if (t.wheel_) t.wheel_->unlink(t);
  if (delay_ms == 0) delay_ms = 1;
  t.deadline_ms_ = now_ms_ + delay_ms;
  uint32_t slot = static_cast<uint32_t>(t.deadline_ms_) & (kSlots - 1);
  t.prev_ = nullptr;
  t.next_ = slots_[slot];
  if (t.next_) t.next_->prev_ = &t;
  slots_[slot] = &t;
  occupied_[slot >> 6] |= uint64_t{1} << (slot & 63);
  t.wheel_ = this;
  ++count_;
}

size_t TimerWheel::advance(uint64_t now_ms) {
  size_t fired = 0;
  if (now_ms < now_ms_) return 0;
  // Walk each tick between the last position and now (at most one revolution).
  uint64_t from = now_ms_ + 1;
  uint64_t ticks = now_ms - now_ms_;
  if (ticks > kSlots) {
    from = now_ms - kSlots + 1;
  }
  now_ms_ = now_ms;
  if (count_ == 0) return 0;
  for (uint64_t tick = from; tick <= now_ms; ++tick) {
    uint32_t slot = static_cast<uint32_t>(tick) & (kSlots - 1);
    Timer* t = slots_[slot];
    while (t) {
      Timer* next = t->next_;
      if (t->deadline_ms_ <= now_ms) {
        unlink(*t);
        ++fired;
        t->cb_(t->ctx_);
        // The callback may have destroyed or re-armed other timers in this slot: restart.
        next = slots_[slot];
        // Skip timers in this slot that are not due (they stay; avoid infinite loop).
        while (next && next->deadline_ms_ > now_ms) next = next->next_;
      }
      t = next;
    }
    if (count_ == 0) break;
  }
  return fired;
}

int TimerWheel::nextTimeoutMs() const {
  if (count_ == 0) return -1;
  // Scan a short horizon only: a far timer costs one cheap wakeup per horizon instead of a
  // scan of the whole wheel on every loop iteration.
  constexpr uint32_t kHorizon = 128;
  uint32_t i = 1;
  while (i <= kHorizon) {
    const uint32_t slot = static_cast<uint32_t>(now_ms_ + i) & (kSlots - 1);
    const uint64_t bits = occupied_[slot >> 6] >> (slot & 63);
    if (bits == 0) {  // the rest of this word is empty
      i += 64 - (slot & 63);
      continue;
    }
    const uint32_t skip = static_cast<uint32_t>(__builtin_ctzll(bits));
    if (skip) {
      i += skip;
      continue;
    }
    for (Timer* t = slots_[slot]; t; t = t->next_) {
      if (t->deadline_ms_ <= now_ms_ + i) return static_cast<int>(i);
    }
    ++i;
  }
  return static_cast<int>(kHorizon);
}

}  // namespace portico::event
