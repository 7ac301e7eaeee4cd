#pragma once
// Small blocks from per-thread free lists by size class (64 B to 8 KiB; larger ones go to
// malloc), for objects made and dropped for every request: nghttp2's per-stream allocations
// (http2::pooledMem()) and connection objects. A freed block joins the freeing thread's lists
// (at most 1 MiB kept per class and thread); a thread's lists are freed when it ends. Under
// AddressSanitizer nothing is cached, so the fuzzers still see every use after free.
#include <cstddef>

namespace portico::buffer {

// Same contract as malloc, free, calloc and realloc; every returned block is aligned for any
// fundamental type. Blocks must be freed with smallFree / smallRealloc, on any thread.
void* smallAlloc(size_t size);
void smallFree(void* p);
void* smallCalloc(size_t n, size_t size);
void* smallRealloc(void* p, size_t size);

// Counters of the calling thread's lists, for tests: blocks handed out from a list (reuses)
// and blocks currently cached.
struct SmallAllocStats {
  size_t reuses = 0;
  size_t cached = 0;
};
SmallAllocStats smallAllocStats();

}  // namespace portico::buffer
