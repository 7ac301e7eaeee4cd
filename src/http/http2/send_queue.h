#pragma once
// SendQueue: body bytes accepted for one HTTP/2 stream and not yet framed, kept in blocks from
// the worker's BufferPool. Bytes are copied once in (push) and once out, straight into the
// connection's output buffer next to their DATA frame header (drainTo); nghttp2 never copies
// them (NGHTTP2_DATA_FLAG_NO_COPY).
// Thread: owned by one stream of one connection, on that connection's worker.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "buffer/buffer.h"

namespace portico::http2 {

class SendQueue {
 public:
  SendQueue() = default;
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;
  ~SendQueue();  // blocks must have been returned with release()

  // Appends n bytes. Always succeeds (takes new blocks from `pool` as needed).
  void push(buffer::BufferPool& pool, const uint8_t* p, size_t n);
  // Appends the first n queued bytes to `out` and drops them from the queue. Precondition:
  // n <= size() and out has room for n bytes (Buffer::spaceLeft()).
  void drainTo(buffer::BufferPool& pool, buffer::Buffer& out, size_t n);
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Returns every block to the pool and forgets the bytes.
  void release(buffer::BufferPool& pool);

 private:
  struct Chunk {
    char* block;
    uint32_t start;
    uint32_t end;
  };
  std::vector<Chunk> chunks_;  // capacity is kept when the owning stream object is reused
  size_t head_ = 0;            // first live chunk
  size_t size_ = 0;
};

}  // namespace portico::http2
