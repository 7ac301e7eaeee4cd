#include "filters/compress/negotiate.h"

#include <gtest/gtest.h>

#include <vector>

namespace portico::filters::compress {
namespace {

const std::vector<Coding> kAll = {Coding::Zstd, Coding::Brotli, Coding::Gzip};

TEST(CompressNegotiate, PicksServerPreferenceAmongEqualQ) {
  EXPECT_EQ(negotiate("gzip, deflate, br, zstd", kAll), Coding::Zstd);
  EXPECT_EQ(negotiate("gzip, deflate, br", kAll), Coding::Brotli);
  EXPECT_EQ(negotiate("gzip", kAll), Coding::Gzip);
  EXPECT_EQ(negotiate("x-gzip", kAll), Coding::Gzip);
  EXPECT_EQ(negotiate("GZIP", kAll), Coding::Gzip);
}

TEST(CompressNegotiate, HonoursQValues) {
  EXPECT_EQ(negotiate("br;q=0.5, gzip;q=0.8", kAll), Coding::Gzip);
  EXPECT_EQ(negotiate("zstd;q=0, br;q=0.1", kAll), Coding::Brotli);
  EXPECT_EQ(negotiate("gzip;q=0", kAll), Coding::Identity);
  EXPECT_EQ(negotiate("gzip; q=1.0", kAll), Coding::Gzip);
  EXPECT_EQ(negotiate("br;q=0.001, gzip;q=0.000", kAll), Coding::Brotli);
}

TEST(CompressNegotiate, StarCoversUnlistedCodings) {
  EXPECT_EQ(negotiate("*", kAll), Coding::Zstd);
  EXPECT_EQ(negotiate("*;q=0.5, zstd;q=0", kAll), Coding::Brotli);
  EXPECT_EQ(negotiate("*;q=0", kAll), Coding::Identity);
  EXPECT_EQ(negotiate("identity, *;q=0", kAll), Coding::Identity);
}

TEST(CompressNegotiate, AbsentOrMalformedMeansIdentity) {
  EXPECT_EQ(negotiate("", kAll), Coding::Identity);
  EXPECT_EQ(negotiate("identity", kAll), Coding::Identity);
  EXPECT_EQ(negotiate("compress, deflate", kAll), Coding::Identity);
  EXPECT_EQ(negotiate("gzip;q=2", kAll), Coding::Identity);
  EXPECT_EQ(negotiate("gzip;q=abc, br", kAll), Coding::Brotli);
  EXPECT_EQ(negotiate(",,, ;", kAll), Coding::Identity);
}

TEST(CompressNegotiate, OnlyEnabledCodings) {
  std::vector<Coding> gzip_only = {Coding::Gzip};
  EXPECT_EQ(negotiate("br, zstd", gzip_only), Coding::Identity);
  EXPECT_EQ(negotiate("br, gzip;q=0.1", gzip_only), Coding::Gzip);
  EXPECT_EQ(negotiate("gzip", {}), Coding::Identity);
}

TEST(CompressNegotiate, ContentTypes) {
  std::vector<std::string> types = {"text/*", "application/json", "image/svg+xml"};
  EXPECT_TRUE(typeMatches("text/html; charset=utf-8", types));
  EXPECT_TRUE(typeMatches("Text/Plain", types));
  EXPECT_TRUE(typeMatches("application/json", types));
  EXPECT_TRUE(typeMatches("application/JSON;charset=utf-8", types));
  EXPECT_FALSE(typeMatches("application/jsonp", types));
  EXPECT_FALSE(typeMatches("image/png", types));
  EXPECT_FALSE(typeMatches("text/", types));
  EXPECT_FALSE(typeMatches("", types));
}

TEST(CompressNegotiate, Names) {
  EXPECT_EQ(codingName(Coding::Brotli), "br");
  Coding c;
  ASSERT_TRUE(parseCoding("zstd", c));
  EXPECT_EQ(c, Coding::Zstd);
  EXPECT_FALSE(parseCoding("deflate", c));
}

}  // namespace
}  // namespace portico::filters::compress
