#include "http/http2/mem_pool.h"

#include "buffer/small_alloc.h"

namespace portico::http2 {

namespace {
void* nmalloc(size_t size, void*) {
  return buffer::smallAlloc(size);
}
void nfree(void* p, void*) {
  buffer::smallFree(p);
}
void* ncalloc(size_t n, size_t size, void*) {
  return buffer::smallCalloc(n, size);
}
void* nrealloc(void* p, size_t size, void*) {
  return buffer::smallRealloc(p, size);
}

nghttp2_mem mem{nullptr, nmalloc, nfree, ncalloc, nrealloc};
}  // namespace

nghttp2_mem* pooledMem() {
  return &mem;
}

}  // namespace portico::http2
