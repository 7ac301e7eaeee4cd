#include "buffer/buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace portico::buffer {
namespace {

constexpr uint32_t kBlock = BufferPool::kBlockSize;

// Bytes with a recognisable pattern: byte i of a run starting at `seed`.
std::string pattern(size_t n, unsigned seed = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i + seed) % 26);
  return s;
}

TEST(BufferPool, AcquireReleaseReusesBlocks) {
  BufferPool pool;
  EXPECT_EQ(pool.outstanding(), 0u);
  EXPECT_EQ(pool.freeBlocks(), 0u);
  char* a = pool.acquire();
  ASSERT_NE(a, nullptr);
  a[0] = 'x';
  a[kBlock - 1] = 'y';  // whole block is usable
  EXPECT_EQ(pool.outstanding(), 1u);
  pool.release(a);
  EXPECT_EQ(pool.outstanding(), 0u);
  EXPECT_EQ(pool.freeBlocks(), 1u);
  char* b = pool.acquire();
  EXPECT_EQ(b, a);  // reused
  EXPECT_EQ(pool.freeBlocks(), 0u);
  pool.release(b);
}

TEST(BufferPool, LifoReuse) {
  BufferPool pool;
  char* a = pool.acquire();
  char* b = pool.acquire();
  pool.release(a);
  pool.release(b);
  EXPECT_EQ(pool.acquire(), b);
  EXPECT_EQ(pool.acquire(), a);
  EXPECT_EQ(pool.outstanding(), 2u);
  pool.release(a);
  pool.release(b);
}

TEST(BufferPool, MaxFreeBoundsTheFreeList) {
  BufferPool pool(2);
  std::vector<char*> blocks;
  for (int i = 0; i < 5; ++i) blocks.push_back(pool.acquire());
  EXPECT_EQ(pool.outstanding(), 5u);
  for (char* b : blocks) pool.release(b);
  EXPECT_EQ(pool.outstanding(), 0u);
  EXPECT_EQ(pool.freeBlocks(), 2u);
}

TEST(BufferPool, MaxFreeZeroKeepsNothing) {
  BufferPool pool(0);
  pool.release(pool.acquire());
  EXPECT_EQ(pool.freeBlocks(), 0u);
  EXPECT_EQ(pool.outstanding(), 0u);
}

TEST(Buffer, EmptyBufferHoldsNoBlock) {
  Buffer b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_FALSE(b.hasBlock());
  EXPECT_EQ(b.spaceLeft(), kBlock);
  EXPECT_TRUE(b.view().empty());
}

TEST(Buffer, WritableCommitConsume) {
  BufferPool pool;
  Buffer b;
  uint32_t space = 0;
  char* w = b.writable(pool, space);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(space, kBlock);
  EXPECT_TRUE(b.hasBlock());
  EXPECT_EQ(pool.outstanding(), 1u);
  std::memcpy(w, "hello world", 11);
  b.commit(11);
  EXPECT_EQ(b.view(), "hello world");
  EXPECT_EQ(b.size(), 11u);
  b.consume(6);
  EXPECT_EQ(b.view(), "world");
  EXPECT_EQ(std::string_view(b.data(), b.size()), "world");
  // Writable space is after the content.
  w = b.writable(pool, space);
  EXPECT_EQ(space, kBlock - 11);
  std::memcpy(w, "!!", 2);
  b.commit(2);
  EXPECT_EQ(b.view(), "world!!");
  b.release(pool);
  EXPECT_EQ(pool.outstanding(), 0u);
}

TEST(Buffer, AppendAndConsume) {
  BufferPool pool;
  Buffer b;
  EXPECT_EQ(b.append(pool, "abc"), 3u);
  EXPECT_EQ(b.append(pool, std::string_view("def")), 3u);
  const char raw[] = {'g', 'h'};
  EXPECT_EQ(b.append(pool, raw, 2), 2u);
  EXPECT_EQ(b.view(), "abcdefgh");
  b.consume(8);
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.hasBlock());  // the block stays until released
  // An empty buffer restarts at the start of its block.
  EXPECT_EQ(b.append(pool, "xyz"), 3u);
  EXPECT_EQ(b.view(), "xyz");
  EXPECT_EQ(b.spaceLeft(), kBlock - 3);
  b.release(pool);
}

TEST(Buffer, AppendStopsWhenFull) {
  BufferPool pool;
  Buffer b;
  const std::string big = pattern(kBlock - 5);
  EXPECT_EQ(b.append(pool, big), kBlock - 5);
  EXPECT_EQ(b.spaceLeft(), 5u);
  EXPECT_EQ(b.append(pool, "0123456789"), 5u);  // partial
  EXPECT_EQ(b.size(), kBlock);
  EXPECT_EQ(b.view().substr(kBlock - 5), "01234");
  EXPECT_EQ(b.append(pool, "more"), 0u);
  uint32_t space = 99;
  b.writable(pool, space);
  EXPECT_EQ(space, 0u);
  EXPECT_EQ(pool.outstanding(), 1u);  // never a second block
  b.release(pool);
}

TEST(Buffer, WritableCompactsWhenTailIsSmall) {
  BufferPool pool;
  Buffer b;
  const std::string content = pattern(kBlock - 100);
  ASSERT_EQ(b.append(pool, content), kBlock - 100);
  b.consume(kBlock / 2);
  const std::string expect = content.substr(kBlock / 2);
  uint32_t space = 0;
  char* w = b.writable(pool, space);
  // Tail (100 bytes) is below a quarter block and the head has room: content moved to front.
  EXPECT_EQ(space, kBlock - static_cast<uint32_t>(expect.size()));
  EXPECT_EQ(b.view(), expect);
  EXPECT_EQ(w, b.data() + b.size());
  std::memcpy(w, "tail", 4);
  b.commit(4);
  EXPECT_EQ(b.view(), expect + "tail");
  b.release(pool);
}

TEST(Buffer, WritableDoesNotCompactWhenTailIsLarge) {
  BufferPool pool;
  Buffer b;
  ASSERT_EQ(b.append(pool, pattern(1000)), 1000u);
  b.consume(500);
  const char* before = b.data();
  uint32_t space = 0;
  b.writable(pool, space);
  EXPECT_EQ(space, kBlock - 1000);
  EXPECT_EQ(b.data(), before);  // not moved
  EXPECT_EQ(b.view(), pattern(1000).substr(500));
  b.release(pool);
}

TEST(Buffer, AppendCompactsToFitAndKeepsContent) {
  BufferPool pool;
  Buffer b;
  const std::string first = pattern(kBlock / 2 + 1000);
  ASSERT_EQ(b.append(pool, first), first.size());
  b.consume(kBlock / 2);
  // Tail is larger than a quarter block, but too small for this append: compacts to fit.
  const std::string second = pattern(kBlock / 2, 7);
  ASSERT_GT(second.size(), kBlock - first.size());
  EXPECT_EQ(b.append(pool, second), second.size());
  EXPECT_EQ(b.view(), first.substr(kBlock / 2) + second);
  EXPECT_EQ(b.spaceLeft(), kBlock - 1000 - kBlock / 2);
  b.release(pool);
}

TEST(Buffer, ManyAppendConsumeCyclesKeepFifoOrder) {
  BufferPool pool;
  Buffer b;
  std::string model;
  unsigned seed = 0;
  for (int round = 0; round < 200; ++round) {
    const std::string chunk = pattern(static_cast<size_t>(1 + (round * 7919) % 9000), seed++);
    const uint32_t n = b.append(pool, chunk);
    model += chunk.substr(0, n);
    const uint32_t eat = static_cast<uint32_t>(model.size() * (round % 3) / 3);
    b.consume(eat);
    model.erase(0, eat);
    ASSERT_EQ(b.view(), model) << "round " << round;
    ASSERT_EQ(b.spaceLeft(), kBlock - model.size());
  }
  b.release(pool);
}

TEST(Buffer, ConsumeThenRewind) {
  BufferPool pool;
  Buffer b;
  b.append(pool, "request body");
  b.consume(8);
  EXPECT_EQ(b.view(), "body");
  EXPECT_TRUE(b.rewind(3));
  EXPECT_EQ(b.view(), "st body");
  EXPECT_FALSE(b.rewind(6));  // only 5 consumed bytes remain behind
  EXPECT_EQ(b.view(), "st body");
  EXPECT_TRUE(b.rewind(5));
  EXPECT_EQ(b.view(), "request body");
  EXPECT_FALSE(b.rewind(1));
  b.release(pool);
}

TEST(Buffer, RewindAfterConsumingEverything) {
  BufferPool pool;
  Buffer b;
  b.append(pool, "GET body");
  b.consume(8);
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.rewind(4));  // bytes are still in the block
  EXPECT_EQ(b.view(), "body");
  b.release(pool);
}

TEST(Buffer, RewindRefusedAfterAWriteReusedTheBlock) {
  BufferPool pool;
  Buffer b;
  b.append(pool, "first");
  b.consume(5);
  b.append(pool, "second");  // empty buffer: written at the start, over "first"
  EXPECT_FALSE(b.rewind(5));
  EXPECT_EQ(b.view(), "second");
  b.release(pool);
}

TEST(Buffer, RewindRefusedAfterCompaction) {
  BufferPool pool;
  Buffer b;
  b.append(pool, pattern(kBlock - 10));
  b.consume(kBlock - 20);
  uint32_t space = 0;
  b.writable(pool, space);  // compacts: the consumed bytes are gone
  EXPECT_EQ(b.size(), 10u);
  EXPECT_FALSE(b.rewind(1));
  b.release(pool);
}

TEST(Buffer, RewindOnEmptyBufferWithoutBlock) {
  Buffer b;
  EXPECT_TRUE(b.rewind(0));
  EXPECT_FALSE(b.rewind(1));
}

TEST(Buffer, ReleaseIfEmpty) {
  BufferPool pool;
  Buffer b;
  EXPECT_TRUE(b.releaseIfEmpty(pool));  // nothing held
  b.append(pool, "data");
  EXPECT_FALSE(b.releaseIfEmpty(pool));
  EXPECT_TRUE(b.hasBlock());
  EXPECT_EQ(b.view(), "data");
  EXPECT_EQ(pool.outstanding(), 1u);
  b.consume(4);
  EXPECT_TRUE(b.releaseIfEmpty(pool));
  EXPECT_FALSE(b.hasBlock());
  EXPECT_EQ(pool.outstanding(), 0u);
  EXPECT_EQ(pool.freeBlocks(), 1u);
  EXPECT_EQ(b.spaceLeft(), kBlock);
  EXPECT_FALSE(b.rewind(1));  // block gone, nothing to rewind
  // Usable again afterwards, with the pooled block.
  EXPECT_EQ(b.append(pool, "again"), 5u);
  EXPECT_EQ(pool.freeBlocks(), 0u);
  b.release(pool);
}

TEST(Buffer, ReleaseDropsContent) {
  BufferPool pool;
  Buffer b;
  b.append(pool, "data");
  b.release(pool);
  EXPECT_TRUE(b.empty());
  EXPECT_FALSE(b.hasBlock());
  EXPECT_EQ(pool.outstanding(), 0u);
  b.release(pool);  // idempotent
  EXPECT_EQ(pool.outstanding(), 0u);
  EXPECT_EQ(pool.freeBlocks(), 1u);
}

TEST(Buffer, SpaceLeftCountsConsumedHead) {
  BufferPool pool;
  Buffer b;
  EXPECT_EQ(b.spaceLeft(), kBlock);
  b.append(pool, pattern(1000));
  EXPECT_EQ(b.spaceLeft(), kBlock - 1000);
  b.consume(400);
  EXPECT_EQ(b.spaceLeft(), kBlock - 600);  // reachable by compaction
  b.consume(600);
  EXPECT_EQ(b.spaceLeft(), kBlock);
  b.release(pool);
}

TEST(Buffer, TwoBuffersShareAPool) {
  BufferPool pool;
  Buffer a, b;
  a.append(pool, "a");
  b.append(pool, "b");
  EXPECT_EQ(pool.outstanding(), 2u);
  EXPECT_NE(a.data(), b.data());
  a.release(pool);
  b.release(pool);
  EXPECT_EQ(pool.freeBlocks(), 2u);
}

}  // namespace
}  // namespace portico::buffer
