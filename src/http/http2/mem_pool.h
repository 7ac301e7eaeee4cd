#pragma once
// The allocator nghttp2 sessions use (nghttp2_mem): buffer::smallAlloc's per-thread free
// lists, so the allocations nghttp2 makes for every stream (stream state, outbound items,
// header copies) are recycled instead of going through malloc each time.
#include <nghttp2/nghttp2.h>

namespace portico::http2 {

// The shared nghttp2_mem (its functions use the calling thread's free lists).
nghttp2_mem* pooledMem();

}  // namespace portico::http2
