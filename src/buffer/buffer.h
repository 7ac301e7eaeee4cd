#pragma once
// Fixed-size byte blocks from a per-worker pool, and Buffer: one block used as a FIFO of bytes.
// An empty Buffer holds no block, so idle connections hold no memory beyond their object.
// Thread: a BufferPool and every Buffer using it belong to one worker.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace portico::buffer {

class BufferPool {
 public:
  static constexpr uint32_t kBlockSize = 64 * 1024;

  // `max_free` bounds how many released blocks are kept for reuse.
  explicit BufferPool(size_t max_free = 256) : max_free_(max_free) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Returns a block of kBlockSize bytes (reused when possible).
  char* acquire();
  // Gives a block back; frees it when the free list is full.
  void release(char* block);
  size_t freeBlocks() const { return free_.size(); }
  size_t outstanding() const { return outstanding_; }

 private:
  std::vector<char*> free_;
  size_t max_free_;
  size_t outstanding_ = 0;
};

class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();  // the owner must call release() first; destructor frees a leftover block

  bool empty() const { return start_ == end_; }
  uint32_t size() const { return end_ - start_; }
  const char* data() const { return data_ + start_; }
  std::string_view view() const { return {data_ + start_, end_ - start_}; }
  bool hasBlock() const { return data_ != nullptr; }

  // Ensures a block and returns the free tail space (compacting first when the tail is small
  // and the head has room). May return 0 bytes when the block is full.
  char* writable(BufferPool& pool, uint32_t& space);
  // Marks n bytes written at writable().
  void commit(uint32_t n) { end_ += n; }
  // Drops n bytes from the front. The bytes stay in memory (see rewind()) until the next
  // writable()/append(), which reuses the block from its start when the buffer is empty.
  void consume(uint32_t n) { start_ += n; }
  // Un-drops the last n consumed bytes. Valid only if nothing was written since they were
  // consumed (used to replay a request body on a retry).
  bool rewind(uint32_t n) {
    if (n > start_) return false;
    start_ -= n;
    return true;
  }
  // Appends bytes; returns how many fit (may be fewer than asked).
  uint32_t append(BufferPool& pool, const void* p, uint32_t n);
  uint32_t append(BufferPool& pool, std::string_view s) {
    return append(pool, s.data(), static_cast<uint32_t>(s.size()));
  }
  // Free space available without allocating beyond the block.
  uint32_t spaceLeft() const {
    return data_ ? BufferPool::kBlockSize - end_ + start_ : BufferPool::kBlockSize;
  }
  // Returns the block to the pool if the buffer is empty. Returns true if nothing is held now.
  bool releaseIfEmpty(BufferPool& pool);
  // Drops all content and returns the block.
  void release(BufferPool& pool);

 private:
  char* data_ = nullptr;
  uint32_t start_ = 0;
  uint32_t end_ = 0;
};

}  // namespace portico::buffer
