#include "buffer/small_alloc.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace portico::buffer {

namespace {

// Block header: the size class (kLarge for blocks straight from malloc). 16 bytes keep the
// payload aligned like malloc's.
struct alignas(16) Header {
  uint32_t cls;
};
constexpr uint32_t kLarge = 0xffffffff;
constexpr size_t kClasses = 8;               // 64 B .. 8 KiB payloads
constexpr size_t kMinShift = 6;              // 64 B
constexpr size_t kMaxCachedBytes = 1 << 20;  // per class and thread
// Under AddressSanitizer (the fuzz builds) nothing is cached, so every use after free or
// overflow of a block is still caught.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCache = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kCache = false;
#else
constexpr bool kCache = true;
#endif
#else
constexpr bool kCache = true;
#endif

constexpr size_t classSize(uint32_t cls) {
  return size_t{1} << (kMinShift + cls);
}

uint32_t classFor(size_t size) {
  uint32_t cls = 0;
  while (cls < kClasses && classSize(cls) < size) ++cls;
  return cls < kClasses ? cls : kLarge;
}

struct FreeBlock {
  FreeBlock* next;
};

struct Lists {
  FreeBlock* head[kClasses] = {};
  size_t count[kClasses] = {};
  size_t reuses = 0;
  ~Lists() {
    for (size_t c = 0; c < kClasses; ++c) {
      while (head[c]) {
        FreeBlock* b = head[c];
        head[c] = b->next;
        std::free(reinterpret_cast<Header*>(b) - 1);
      }
    }
  }
};

thread_local Lists lists;

Header* headerOf(void* p) {
  return static_cast<Header*>(p) - 1;
}

}  // namespace

void* smallAlloc(size_t size) {
  const uint32_t cls = classFor(size);
  if (cls != kLarge && lists.head[cls]) {
    FreeBlock* b = lists.head[cls];
    lists.head[cls] = b->next;
    --lists.count[cls];
    ++lists.reuses;
    return b;
  }
  const size_t payload = cls == kLarge ? size : classSize(cls);
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + payload));
  if (!h) return nullptr;
  h->cls = cls;
  return h + 1;
}

void smallFree(void* p) {
  if (!p) return;
  Header* h = headerOf(p);
  const uint32_t cls = h->cls;
  if (!kCache || cls == kLarge || (lists.count[cls] + 1) * classSize(cls) > kMaxCachedBytes) {
    std::free(h);
    return;
  }
  auto* b = static_cast<FreeBlock*>(p);
  b->next = lists.head[cls];
  lists.head[cls] = b;
  ++lists.count[cls];
}

void* smallCalloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return nullptr;
  void* p = smallAlloc(n * size);
  if (p) std::memset(p, 0, n * size);
  return p;
}

void* smallRealloc(void* p, size_t size) {
  if (!p) return smallAlloc(size);
  if (size == 0) {
    smallFree(p);
    return nullptr;
  }
  Header* h = headerOf(p);
  if (h->cls == kLarge) {
    if (classFor(size) == kLarge) {
      auto* nh = static_cast<Header*>(std::realloc(h, sizeof(Header) + size));
      return nh ? nh + 1 : nullptr;
    }
  } else if (size <= classSize(h->cls)) {
    return p;
  }
  void* q = smallAlloc(size);
  if (!q) return nullptr;
  // The old block holds at least min(its capacity, size) valid bytes; for a large block the
  // capacity is unknown here, but it is only copied when shrinking to a class (size smaller).
  const size_t old_cap = h->cls == kLarge ? size : classSize(h->cls);
  std::memcpy(q, p, old_cap < size ? old_cap : size);
  smallFree(p);
  return q;
}

SmallAllocStats smallAllocStats() {
  SmallAllocStats s;
  s.reuses = lists.reuses;
  for (size_t c = 0; c < kClasses; ++c) s.cached += lists.count[c];
  return s;
}

}  // namespace portico::buffer
