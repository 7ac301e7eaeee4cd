#include "buffer/small_alloc.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "http/http2/mem_pool.h"

namespace portico::buffer {
namespace {

bool aligned16(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0;
}

TEST(SmallAlloc, FreedBlockIsReusedForTheSameClass) {
  void* a = smallAlloc(100);
  ASSERT_NE(a, nullptr);
  smallFree(a);
  const size_t reuses = smallAllocStats().reuses;
  void* b = smallAlloc(120);  // same 128-byte class
  EXPECT_EQ(a, b);
  EXPECT_EQ(smallAllocStats().reuses, reuses + 1);
  smallFree(b);
}

TEST(SmallAlloc, BlocksAreAlignedAndUsableToTheirSize) {
  std::vector<void*> blocks;
  for (size_t size : {1, 15, 16, 63, 64, 65, 500, 4096, 8192, 8193, 100000}) {
    auto* p = static_cast<unsigned char*>(smallAlloc(size));
    ASSERT_NE(p, nullptr) << size;
    EXPECT_TRUE(aligned16(p)) << size;
    std::memset(p, 0xab, size);
    blocks.push_back(p);
  }
  for (void* p : blocks) smallFree(p);
}

TEST(SmallAlloc, CallocZeroesEvenARecycledBlock) {
  auto* p = static_cast<unsigned char*>(smallAlloc(200));
  std::memset(p, 0xff, 200);
  smallFree(p);
  auto* q = static_cast<unsigned char*>(smallCalloc(25, 8));
  ASSERT_NE(q, nullptr);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(q[i], 0) << i;
  smallFree(q);
  EXPECT_EQ(smallCalloc(SIZE_MAX / 2, 4), nullptr);  // n * size overflows
}

TEST(SmallAlloc, ReallocKeepsContentAcrossClassesAndLargeBlocks) {
  auto* p = static_cast<char*>(smallRealloc(nullptr, 40));
  std::memcpy(p, "0123456789", 10);
  EXPECT_EQ(smallRealloc(p, 60), p);  // still fits its 64-byte class
  auto* q = static_cast<char*>(smallRealloc(p, 3000));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(std::memcmp(q, "0123456789", 10), 0);
  q[2999] = 'z';
  auto* big = static_cast<char*>(smallRealloc(q, 50000));
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(std::memcmp(big, "0123456789", 10), 0);
  EXPECT_EQ(big[2999], 'z');
  big[49999] = 'y';
  auto* bigger = static_cast<char*>(smallRealloc(big, 90000));
  EXPECT_EQ(std::memcmp(bigger, "0123456789", 10), 0);
  EXPECT_EQ(bigger[49999], 'y');
  auto* small = static_cast<char*>(smallRealloc(bigger, 16));
  EXPECT_EQ(std::memcmp(small, "0123456789", 10), 0);
  EXPECT_EQ(smallRealloc(small, 0), nullptr);  // frees
  smallFree(nullptr);                          // no-op
}

TEST(SmallAlloc, CacheIsBoundedPerClass) {
  std::vector<void*> blocks;
  for (int i = 0; i < 2000; ++i) blocks.push_back(smallAlloc(8000));  // 8 KiB class
  const size_t before = smallAllocStats().cached;
  for (void* p : blocks) smallFree(p);
  // At most 1 MiB of 8 KiB blocks (128) is kept; the rest went back to malloc.
  EXPECT_LE(smallAllocStats().cached - before, 128u);
}

TEST(SmallAlloc, BlockFreedOnAnotherThreadIsSafe) {
  void* p = smallAlloc(300);
  std::thread t([p] {
    smallFree(p);               // kept by that thread's lists...
    void* q = smallAlloc(300);  // ...and reused there
    EXPECT_EQ(q, p);
    smallFree(q);
  });
  t.join();  // the thread's lists are freed when it ends
}

TEST(SmallAlloc, NghttpMemUsesThePool) {
  nghttp2_mem* mem = http2::pooledMem();
  void* p = mem->malloc(50, mem->mem_user_data);
  mem->free(p, mem->mem_user_data);
  void* q = mem->calloc(1, 50, mem->mem_user_data);
  EXPECT_EQ(p, q);
  q = mem->realloc(q, 70, mem->mem_user_data);
  mem->free(q, mem->mem_user_data);
}

}  // namespace
}  // namespace portico::buffer
