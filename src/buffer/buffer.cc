#include "buffer/buffer.h"

#include <cstdlib>

namespace portico::buffer {

BufferPool::~BufferPool() {
  for (char* b : free_) std::free(b);
}

char* BufferPool::acquire() {
  ++outstanding_;
  if (!free_.empty()) {
    char* b = free_.back();
    free_.pop_back();
    return b;
  }
  return static_cast<char*>(std::malloc(kBlockSize));
}

void BufferPool::release(char* block) {
  --outstanding_;
  if (free_.size() < max_free_)
    free_.push_back(block);
  else
    std::free(block);
}

Buffer::~Buffer() {
  std::free(data_);
}

char* Buffer::writable(BufferPool& pool, uint32_t& space) {
  if (!data_) {
    data_ = pool.acquire();
    start_ = end_ = 0;
  }
  if (start_ == end_) start_ = end_ = 0;
  uint32_t tail = BufferPool::kBlockSize - end_;
  if (tail < BufferPool::kBlockSize / 4 && start_ > 0) {
    std::memmove(data_, data_ + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
    tail = BufferPool::kBlockSize - end_;
  }
  space = tail;
  return data_ + end_;
}

uint32_t Buffer::append(BufferPool& pool, const void* p, uint32_t n) {
  uint32_t space;
  char* w = writable(pool, space);
  if (space < n && start_ > 0) {
    std::memmove(data_, data_ + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
    w = data_ + end_;
    space = BufferPool::kBlockSize - end_;
  }
  uint32_t k = n < space ? n : space;
  std::memcpy(w, p, k);
  end_ += k;
  return k;
}

bool Buffer::releaseIfEmpty(BufferPool& pool) {
  if (!data_) return true;
  if (start_ != end_) return false;
  pool.release(data_);
  data_ = nullptr;
  start_ = end_ = 0;
  return true;
}

void Buffer::release(BufferPool& pool) {
  if (data_) pool.release(data_);
  data_ = nullptr;
  start_ = end_ = 0;
}

}  // namespace portico::buffer
