#include "http/http2/send_queue.h"

#include <cstdlib>
#include <cstring>

namespace portico::http2 {

SendQueue::~SendQueue() {
  for (size_t i = head_; i < chunks_.size(); ++i) std::free(chunks_[i].block);
}

void SendQueue::push(buffer::BufferPool& pool, const uint8_t* p, size_t n) {
  constexpr uint32_t kBlock = buffer::BufferPool::kBlockSize;
  while (n > 0) {
    if (chunks_.size() == head_ || chunks_.back().end == kBlock) {
      chunks_.push_back({pool.acquire(), 0, 0});
    }
    Chunk& c = chunks_.back();
    const size_t k = n < kBlock - c.end ? n : kBlock - c.end;
    std::memcpy(c.block + c.end, p, k);
    c.end += static_cast<uint32_t>(k);
    p += k;
    n -= k;
    size_ += k;
  }
}

void SendQueue::drainTo(buffer::BufferPool& pool, buffer::Buffer& out, size_t n) {
  while (n > 0 && head_ < chunks_.size()) {
    Chunk& c = chunks_[head_];
    const uint32_t avail = c.end - c.start;
    const uint32_t k = n < avail ? static_cast<uint32_t>(n) : avail;
    out.append(pool, c.block + c.start, k);
    c.start += k;
    n -= k;
    size_ -= k;
    if (c.start == c.end) {
      pool.release(c.block);
      ++head_;
    }
  }
  if (head_ == chunks_.size()) {
    chunks_.clear();
    head_ = 0;
  }
}

void SendQueue::release(buffer::BufferPool& pool) {
  for (size_t i = head_; i < chunks_.size(); ++i) pool.release(chunks_[i].block);
  chunks_.clear();
  head_ = 0;
  size_ = 0;
}

}  // namespace portico::http2
