#include "filters/compress/encoder.h"

#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

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

}  // namespace
}  // namespace portico::filters::compress
