#include "http/http2/mem_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace portico::http2 {
namespace {

bool aligned16(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0;
}

TEST(Http2MemPool, FreedBlockIsReusedForTheSameClass) {
  void* a = poolMalloc(100);
  ASSERT_NE(a, nullptr);
  poolFree(a);
  const size_t reuses = memPoolStats().reuses;
  void* b = poolMalloc(120);  // same 128-byte class
  EXPECT_EQ(a, b);
  EXPECT_EQ(memPoolStats().reuses, reuses + 1);
  poolFree(b);
}

TEST(Http2MemPool, BlocksAreAlignedAndUsableToTheirSize) {
  std::vector<void*> blocks;
  for (size_t size : {1, 15, 16, 63, 64, 65, 500, 4096, 8192, 8193, 100000}) {
    auto* p = static_cast<unsigned char*>(poolMalloc(size));
    ASSERT_NE(p, nullptr) << size;
    EXPECT_TRUE(aligned16(p)) << size;
    std::memset(p, 0xab, size);
    blocks.push_back(p);
  }
  for (void* p : blocks) poolFree(p);
}

TEST(Http2MemPool, CallocZeroesEvenARecycledBlock) {
  auto* p = static_cast<unsigned char*>(poolMalloc(200));
  std::memset(p, 0xff, 200);
  poolFree(p);
  auto* q = static_cast<unsigned char*>(poolCalloc(25, 8));
  ASSERT_NE(q, nullptr);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(q[i], 0) << i;
  poolFree(q);
  EXPECT_EQ(poolCalloc(SIZE_MAX / 2, 4), nullptr);  // n * size overflows
}

TEST(Http2MemPool, ReallocKeepsContentAcrossClassesAndLargeBlocks) {
  auto* p = static_cast<char*>(poolRealloc(nullptr, 40));
  std::memcpy(p, "0123456789", 10);
  EXPECT_EQ(poolRealloc(p, 60), p);  // still fits its 64-byte class
  auto* q = static_cast<char*>(poolRealloc(p, 3000));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(std::memcmp(q, "0123456789", 10), 0);
  q[2999] = 'z';
  auto* big = static_cast<char*>(poolRealloc(q, 50000));
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(std::memcmp(big, "0123456789", 10), 0);
  EXPECT_EQ(big[2999], 'z');
  big[49999] = 'y';
  auto* bigger = static_cast<char*>(poolRealloc(big, 90000));
  EXPECT_EQ(std::memcmp(bigger, "0123456789", 10), 0);
  EXPECT_EQ(bigger[49999], 'y');
  auto* small = static_cast<char*>(poolRealloc(bigger, 16));
  EXPECT_EQ(std::memcmp(small, "0123456789", 10), 0);
  EXPECT_EQ(poolRealloc(small, 0), nullptr);  // frees
  poolFree(nullptr);                          // no-op
}

TEST(Http2MemPool, CacheIsBoundedPerClass) {
  std::vector<void*> blocks;
  for (int i = 0; i < 2000; ++i) blocks.push_back(poolMalloc(8000));  // 8 KiB class
  const size_t before = memPoolStats().cached;
  for (void* p : blocks) poolFree(p);
  // At most 1 MiB of 8 KiB blocks (128) is kept; the rest went back to malloc.
  EXPECT_LE(memPoolStats().cached - before, 128u);
}

TEST(Http2MemPool, BlockFreedOnAnotherThreadIsSafe) {
  void* p = poolMalloc(300);
  std::thread t([p] {
    poolFree(p);                // kept by that thread's lists...
    void* q = poolMalloc(300);  // ...and reused there
    EXPECT_EQ(q, p);
    poolFree(q);
  });
  t.join();  // the thread's lists are freed when it ends
}

TEST(Http2MemPool, NghttpMemUsesThePool) {
  nghttp2_mem* mem = pooledMem();
  void* p = mem->malloc(50, mem->mem_user_data);
  mem->free(p, mem->mem_user_data);
  void* q = mem->calloc(1, 50, mem->mem_user_data);
  EXPECT_EQ(p, q);
  q = mem->realloc(q, 70, mem->mem_user_data);
  mem->free(q, mem->mem_user_data);
}

}  // namespace
}  // namespace portico::http2
