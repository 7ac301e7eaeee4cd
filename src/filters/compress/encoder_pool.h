#pragma once
// A worker's idle encoders, reused from one compressed response to the next: creating a zlib
// stream or a zstd context allocates hundreds of KiB and initialises tables, a reset only
// rewinds the state. gzip and zstd encoders come back reset (deflateReset, ZSTD_CCtx_reset);
// brotli's API has no reset, so brotli encoders are made for each response and freed after.
// At most `max_idle` idle encoders per (coding, level) are kept. Thread: one worker.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "filters/compress/encoder.h"

namespace portico::filters::compress {

class EncoderPool;

// Deleter of pooled encoders: gives the encoder back to its pool (deletes it without one).
struct EncoderReturn {
  EncoderPool* pool = nullptr;
  void operator()(Encoder* e) const;
};
using EncoderPtr = std::unique_ptr<Encoder, EncoderReturn>;

class EncoderPool {
 public:
  explicit EncoderPool(size_t max_idle = 8) : max_idle_(max_idle) {}
  EncoderPool(const EncoderPool&) = delete;
  EncoderPool& operator=(const EncoderPool&) = delete;

  // An encoder for `c` (not Identity) at `level` (-1 = the codec's default): an idle one when
  // there is one, else a new one; null when the codec cannot be initialised. Resetting the
  // pointer (or destroying it) gives the encoder back, even mid-stream.
  EncoderPtr acquire(Coding c, int level = -1);
  // Takes `e` back: kept, reset, when its codec can reset and fewer than max_idle of its kind
  // are idle; else deleted.
  void release(Encoder* e);

  // Idle encoders kept now.
  size_t idle() const;
  // Acquisitions served by an idle encoder since the pool was made.
  uint64_t reused() const { return reused_; }

 private:
  struct Kind {
    Coding coding;
    int level;
    std::vector<std::unique_ptr<Encoder>> idle;  // LIFO: the most recently used is warmest
  };
  Kind* kind(Coding c, int level);

  size_t max_idle_;
  std::vector<Kind> kinds_;  // a handful: one per coding and level in use
  uint64_t reused_ = 0;
};

}  // namespace portico::filters::compress
