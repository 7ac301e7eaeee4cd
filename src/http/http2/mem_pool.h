#pragma once
// The allocator nghttp2 sessions use (nghttp2_mem): small blocks come from per-thread free
// lists by size class, so the allocations nghttp2 makes for every stream (stream state,
// outbound items, header copies) are recycled instead of going through malloc each time.
// Blocks may be freed on any thread; each thread keeps what it frees (bounded per class).
#include <nghttp2/nghttp2.h>

#include <cstddef>

namespace portico::http2 {

// The shared nghttp2_mem (its functions use the calling thread's free lists).
nghttp2_mem* pooledMem();

// Counters of the calling thread's lists, for tests: blocks handed out from a list (reuses)
// and blocks currently cached.
struct MemPoolStats {
  size_t reuses = 0;
  size_t cached = 0;
};
MemPoolStats memPoolStats();

// Raw entry points (what pooledMem() wraps), for tests. Same contract as malloc, free, calloc
// and realloc; every returned block is aligned for any fundamental type.
void* poolMalloc(size_t size);
void poolFree(void* p);
void* poolCalloc(size_t n, size_t size);
void* poolRealloc(void* p, size_t size);

}  // namespace portico::http2
