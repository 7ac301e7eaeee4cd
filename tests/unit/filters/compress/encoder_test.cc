#include "filters/compress/encoder.h"

#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

#include "filters/compress/encoder_pool.h"

namespace portico::filters::compress {
namespace {

std::string gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out;
  char buf[4096];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int r;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    r = inflate(&z, Z_SYNC_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (r == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
  inflateEnd(&z);
  return out;
}

std::string unbrotli(const std::string& in) {
  BrotliDecoderState* s = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  std::string out;
  size_t avail_in = in.size();
  const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in.data());
  for (;;) {
    uint8_t buf[4096];
    size_t avail_out = sizeof buf;
    uint8_t* next_out = buf;
    BrotliDecoderResult r =
        BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    out.append(reinterpret_cast<char*>(buf), sizeof buf - avail_out);
    // A full output window may still hide more output, whatever the result says.
    if (r != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT && avail_out != 0) break;
    if (r == BROTLI_DECODER_RESULT_ERROR) break;
  }
  BrotliDecoderDestroyInstance(s);
  return out;
}

std::string unzstd(const std::string& in) {
  ZSTD_DStream* d = ZSTD_createDStream();
  ZSTD_initDStream(d);
  std::string out;
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  for (;;) {
    char buf[4096];
    ZSTD_outBuffer ob{buf, sizeof buf, 0};
    size_t r = ZSTD_decompressStream(d, &ob, &ib);
    EXPECT_FALSE(ZSTD_isError(r));
    out.append(buf, ob.pos);
    if (ZSTD_isError(r) || (ib.pos == ib.size && ob.pos < ob.size)) break;
  }
  ZSTD_freeDStream(d);
  return out;
}

std::string decode(Coding c, const std::string& in) {
  switch (c) {
    case Coding::Gzip:
      return gunzip(in);
    case Coding::Brotli:
      return unbrotli(in);
    case Coding::Zstd:
      return unzstd(in);
    default:
      return in;
  }
}

// Feeds `input` in pieces of `piece` bytes through a small output window, like a proxy pumping
// a body through fixed blocks.
std::string compressAll(Encoder& e, const std::string& input, size_t piece, size_t window,
                        Encoder::Mode last = Encoder::Mode::Finish) {
  std::string out;
  std::string buf(window, '\0');
  size_t off = 0;
  while (off < input.size()) {
    size_t n = std::min(piece, input.size() - off);
    size_t used = 0;
    while (used < n) {
      auto s = e.run(input.data() + off + used, n - used, buf.data(), buf.size(),
                     Encoder::Mode::Process);
      EXPECT_FALSE(s.error);
      used += s.consumed;
      out.append(buf.data(), s.produced);
      if (s.error) return out;
    }
    off += n;
  }
  for (int guard = 0; guard < 100000; ++guard) {
    auto s = e.run(nullptr, 0, buf.data(), buf.size(), last);
    EXPECT_FALSE(s.error);
    out.append(buf.data(), s.produced);
    if (s.done || (last == Encoder::Mode::Flush && s.produced < buf.size())) break;
  }
  return out;
}

std::string sampleText(size_t n) {
  std::mt19937 rng(7);
  static const char* words[] = {"portico ",  "proxy ",       "request ",
                                "response ", "header ",      "<div class=\"x\">",
                                "</div>\n",  "{\"k\": 12}, "};
  std::string s;
  while (s.size() < n) s += words[rng() % 8];
  s.resize(n);
  return s;
}

class EncoderTest : public ::testing::TestWithParam<Coding> {};

TEST_P(EncoderTest, RoundTripsThroughSmallWindows) {
  const std::string text = sampleText(300000);
  auto e = makeEncoder(GetParam());
  ASSERT_NE(e, nullptr);
  std::string z = compressAll(*e, text, 7000, 512);
  EXPECT_LT(z.size(), text.size() / 3) << codingName(GetParam());
  EXPECT_EQ(decode(GetParam(), z), text);
}

TEST_P(EncoderTest, FlushMakesThePrefixDecodable) {
  const std::string text = sampleText(5000);
  auto e = makeEncoder(GetParam());
  ASSERT_NE(e, nullptr);
  std::string z = compressAll(*e, text, 5000, 256, Encoder::Mode::Flush);
  EXPECT_EQ(decode(GetParam(), z), text) << codingName(GetParam());
}

TEST_P(EncoderTest, EmptyBody) {
  auto e = makeEncoder(GetParam());
  ASSERT_NE(e, nullptr);
  std::string z = compressAll(*e, "", 1, 64);
  EXPECT_FALSE(z.empty());
  EXPECT_EQ(decode(GetParam(), z), "");
}

INSTANTIATE_TEST_SUITE_P(Codings, EncoderTest,
                         ::testing::Values(Coding::Gzip, Coding::Brotli, Coding::Zstd),
                         [](const auto& info) { return std::string(codingName(info.param)); });

TEST(CompressEncoder, IdentityHasNoEncoder) {
  EXPECT_EQ(makeEncoder(Coding::Identity), nullptr);
}

class EncoderPoolTest : public ::testing::TestWithParam<Coding> {};

TEST_P(EncoderPoolTest, AReusedEncoderStartsAFreshStream) {
  const Coding c = GetParam();
  EncoderPool pool;
  const std::string a = sampleText(100000), b = sampleText(30000).substr(1000);
  Encoder* first = nullptr;
  {
    EncoderPtr e = pool.acquire(c);
    ASSERT_NE(e, nullptr);
    first = e.get();
    EXPECT_EQ(decode(c, compressAll(*e, a, 4000, 1024)), a);
  }  // back to the pool
  EXPECT_EQ(pool.idle(), 1u);
  {
    EncoderPtr e = pool.acquire(c);
    EXPECT_EQ(e.get(), first);
    EXPECT_EQ(pool.reused(), 1u);
    // Abandoned mid-stream (an aborted response): input taken, no Finish.
    std::string buf(64, '\0');
    e->run(a.data(), 20000, buf.data(), buf.size(), Encoder::Mode::Process);
  }
  for (int i = 0; i < 3; ++i) {
    EncoderPtr e = pool.acquire(c);
    EXPECT_EQ(e.get(), first);
    const std::string z = compressAll(*e, b, 3000, 512);
    EXPECT_EQ(decode(c, z), b) << "reuse " << i;
    EXPECT_LT(z.size(), b.size() / 3);
  }
  EXPECT_EQ(pool.reused(), 4u);
}

INSTANTIATE_TEST_SUITE_P(Resettable, EncoderPoolTest, ::testing::Values(Coding::Gzip, Coding::Zstd),
                         [](const auto& info) { return std::string(codingName(info.param)); });

TEST(CompressEncoderPool, BrotliIsNeverKept) {
  EncoderPool pool;
  const std::string text = sampleText(5000);
  for (int i = 0; i < 2; ++i) {
    EncoderPtr e = pool.acquire(Coding::Brotli);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(decode(Coding::Brotli, compressAll(*e, text, 1000, 256)), text);
  }
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_EQ(pool.reused(), 0u);
}

TEST(CompressEncoderPool, KeyedByCodingAndLevelAndBounded) {
  EncoderPool pool(2);
  pool.acquire(Coding::Gzip, 1).reset();
  EncoderPtr e = pool.acquire(Coding::Gzip, 9);  // another level: not the idle one
  EXPECT_EQ(pool.reused(), 0u);
  EXPECT_EQ(e->level(), 9);
  EXPECT_EQ(pool.acquire(Coding::Zstd).get()->level(), defaultLevel(Coding::Zstd));
  e.reset();
  EXPECT_EQ(pool.idle(), 3u);  // gzip 1, gzip 9, zstd 3
  {
    EncoderPtr x = pool.acquire(Coding::Gzip, 9), y = pool.acquire(Coding::Gzip, 9),
               z = pool.acquire(Coding::Gzip, 9);
    EXPECT_EQ(pool.reused(), 1u);
  }
  EXPECT_EQ(pool.idle(), 4u);  // at most 2 gzip-9 kept
  const std::string text = sampleText(20000);
  EncoderPtr d = pool.acquire(Coding::Gzip);  // default level 5: a new one
  EXPECT_EQ(decode(Coding::Gzip, compressAll(*d, text, 5000, 700)), text);
  EXPECT_EQ(pool.acquire(Coding::Identity), nullptr);
}

}  // namespace
}  // namespace portico::filters::compress
