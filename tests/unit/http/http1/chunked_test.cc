#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/http1/parser.h"

namespace portico::http1 {
namespace {

struct Outcome {
  std::string payload;
  std::string trailers;
  bool done = false;
  bool error = false;
  size_t consumed = 0;  // total input bytes consumed
  bool operator==(const Outcome&) const = default;
};

// Feeds `msg` to a fresh decoder in pieces ending at `cuts` (and at the end), buffering the
// unconsumed tail the way a connection would.
Outcome decodePieces(std::string_view msg, const std::vector<size_t>& cuts,
                     size_t max_trailer_bytes = 16384) {
  ChunkedDecoder dec;
  dec.max_trailer_bytes = max_trailer_bytes;
  Outcome out;
  std::string pending;
  size_t fed = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(msg.size());
  for (size_t end : ends) {
    if (end < fed) continue;
    pending.append(msg.substr(fed, end - fed));
    fed = end;
    for (;;) {
      const ChunkedDecoder::Step step = dec.decode(pending);
      EXPECT_LE(step.consumed, pending.size());
      if (step.kind == ChunkedDecoder::Kind::Data) {
        EXPECT_FALSE(step.data.empty());
        out.payload.append(step.data);
      }
      if (step.kind == ChunkedDecoder::Kind::Done) {
        out.trailers.assign(step.trailers);
        out.done = true;
        EXPECT_TRUE(dec.done());
      }
      out.consumed += step.consumed;
      pending.erase(0, step.consumed);
      if (step.kind == ChunkedDecoder::Kind::Error) {
        EXPECT_NE(step.error, nullptr);
        out.error = true;
        return out;
      }
      if (step.kind == ChunkedDecoder::Kind::Done) return out;
      if (step.kind == ChunkedDecoder::Kind::NeedMore) break;
    }
  }
  return out;
}

Outcome decodeWhole(std::string_view msg) {
  return decodePieces(msg, {});
}

// Checks that every split point and byte-at-a-time feeding give the same outcome as one
// buffer.
void expectSplitInvariant(std::string_view msg) {
  const Outcome whole = decodeWhole(msg);
  for (size_t k = 0; k <= msg.size(); ++k) {
    EXPECT_EQ(decodePieces(msg, {k}), whole) << "split at " << k << " of: " << msg;
  }
  std::vector<size_t> every;
  for (size_t k = 1; k < msg.size(); ++k) every.push_back(k);
  EXPECT_EQ(decodePieces(msg, every), whole) << "byte at a time: " << msg;
}

void expectError(std::string_view msg) {
  const Outcome o = decodeWhole(msg);
  EXPECT_TRUE(o.error) << "input: " << msg;
  EXPECT_FALSE(o.done);
  std::vector<size_t> every;
  for (size_t k = 1; k < msg.size(); ++k) every.push_back(k);
  EXPECT_TRUE(decodePieces(msg, every).error) << "byte at a time: " << msg;
}

TEST(Http1Chunked, SingleChunk) {
  const Outcome o = decodeWhole("5\r\nhello\r\n0\r\n\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_FALSE(o.error);
  EXPECT_EQ(o.payload, "hello");
  EXPECT_EQ(o.trailers, "");
  EXPECT_EQ(o.consumed, 15u);
}

TEST(Http1Chunked, MultipleChunksHexSizes) {
  const std::string big(0x1a, 'x');
  const Outcome o = decodeWhole("3\r\nabc\r\n1A\r\n" + big + "\r\n0000\r\n\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.payload, "abc" + big);
}

TEST(Http1Chunked, LowerAndUpperHex) {
  const std::string s(0xaB, 'q');
  const Outcome o = decodeWhole("aB\r\n" + s + "\r\n0\r\n\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.payload, s);
}

TEST(Http1Chunked, EmptyBody) {
  const Outcome o = decodeWhole("0\r\n\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.payload, "");
}

TEST(Http1Chunked, FirstStepReturnsDataView) {
  ChunkedDecoder dec;
  const std::string in = "4\r\nWiki\r\n";
  const auto s = dec.decode(in);
  EXPECT_EQ(s.kind, ChunkedDecoder::Kind::Data);
  EXPECT_EQ(s.data, "Wiki");
  EXPECT_EQ(s.consumed, 7u);
  EXPECT_EQ(s.data.data(), in.data() + 3);
  const auto s2 = dec.decode(std::string_view(in).substr(7));
  EXPECT_EQ(s2.kind, ChunkedDecoder::Kind::NeedMore);
  EXPECT_EQ(s2.consumed, 2u);
}

TEST(Http1Chunked, DataSplitAcrossCalls) {
  ChunkedDecoder dec;
  auto s = dec.decode("a\r\n01234");
  EXPECT_EQ(s.kind, ChunkedDecoder::Kind::Data);
  EXPECT_EQ(s.data, "01234");
  s = dec.decode("56789\r\n0\r\n\r\n");
  EXPECT_EQ(s.kind, ChunkedDecoder::Kind::Data);
  EXPECT_EQ(s.data, "56789");
  EXPECT_EQ(s.consumed, 5u);
}

TEST(Http1Chunked, ExtensionsAccepted) {
  for (const char* line :
       {"5;name\r\n", "5;name=value\r\n", "5;a=1;b=2\r\n", "5 ;a=1\r\n", "5\t; a = 1\r\n",
        "5;a=\"quoted value\"\r\n", "5;a=\"esc \\\" \\\\ q\"\r\n", "5;a=\"x\";b\r\n",
        "5;a=\"x\" ;b=y\r\n", "5; a ;b\r\n"}) {
    const std::string msg = std::string(line) + "hello\r\n0;last=1\r\n\r\n";
    const Outcome o = decodeWhole(msg);
    EXPECT_TRUE(o.done) << line;
    EXPECT_EQ(o.payload, "hello") << line;
  }
}

TEST(Http1Chunked, Trailers) {
  const Outcome o = decodeWhole("5\r\nhello\r\n0\r\nChecksum: abc\r\nX-T:  v \r\n\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.payload, "hello");
  EXPECT_EQ(o.trailers, "Checksum: abc\r\nX-T:  v \r\n");
}

TEST(Http1Chunked, TrailersWaitUntilComplete) {
  ChunkedDecoder dec;
  auto s = dec.decode("0\r\nX-A: b\r\n");
  EXPECT_EQ(s.kind, ChunkedDecoder::Kind::NeedMore);
  EXPECT_EQ(s.consumed, 3u);  // only the last-chunk line, none of the trailer section
  s = dec.decode("X-A: b\r\n\r\nNEXT");
  EXPECT_EQ(s.kind, ChunkedDecoder::Kind::Done);
  EXPECT_EQ(s.consumed, 10u);
  EXPECT_EQ(s.trailers, "X-A: b\r\n");
}

TEST(Http1Chunked, DoesNotConsumeBytesAfterMessage) {
  const std::string next = "GET / HTTP/1.1\r\n";
  const Outcome o = decodeWhole("2\r\nhi\r\n0\r\n\r\n" + next);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.consumed, 12u);
}

TEST(Http1Chunked, MaxSizeSixteenDigitsAccepted) {
  ChunkedDecoder dec;
  const auto s = dec.decode("ffffffffffffffff\r\nabc");
  EXPECT_EQ(s.kind, ChunkedDecoder::Kind::Data);
  EXPECT_EQ(s.data, "abc");
}

TEST(Http1Chunked, DoneIsSticky) {
  ChunkedDecoder dec;
  EXPECT_EQ(dec.decode("0\r\n\r\n").kind, ChunkedDecoder::Kind::Done);
  EXPECT_TRUE(dec.done());
  const auto s = dec.decode("more");
  EXPECT_EQ(s.kind, ChunkedDecoder::Kind::Done);
  EXPECT_EQ(s.consumed, 0u);
}

TEST(Http1Chunked, ErrorIsStickyAndResetRecovers) {
  ChunkedDecoder dec;
  EXPECT_EQ(dec.decode("z\r\n").kind, ChunkedDecoder::Kind::Error);
  EXPECT_EQ(dec.decode("0\r\n\r\n").kind, ChunkedDecoder::Kind::Error);
  dec.reset();
  EXPECT_EQ(dec.decode("0\r\n\r\n").kind, ChunkedDecoder::Kind::Done);
}

TEST(Http1Chunked, EverySplitGivesSamePayload) {
  const char* messages[] = {
      "5\r\nhello\r\n0\r\n\r\n",
      "3\r\nabc\r\n10\r\n0123456789abcdef\r\n1\r\nZ\r\n0\r\n\r\n",
      "5;a=\"q;\\\"x\" ; b = c\r\nhello\r\n0;z\r\nTrailer-A: 1\r\nTrailer-B: two\r\n\r\n",
      "0\r\n\r\n",
      "1\r\n\r\r\n0\r\n\r\n",
      "2\r\n\r\n\r\n0\r\n\r\nleftover",
      // errors must be errors at every split too
      "5\r\nhelloX\r\n0\r\n\r\n",
      "5\nhello\r\n0\r\n\r\n",
      "5;a=\"unterminated\r\nhello\r\n0\r\n\r\n",
  };
  for (const char* m : messages) expectSplitInvariant(m);
}

// ---------------------------------------------------------------- malformed framing

TEST(Http1Chunked, NonHexSizeRejected) {
  expectError("g\r\nabc\r\n0\r\n\r\n");
  expectError("5g\r\nhello\r\n0\r\n\r\n");
}

TEST(Http1Chunked, EmptySizeRejected) {
  expectError("\r\nhello\r\n0\r\n\r\n");
  expectError(";a=b\r\nhello\r\n0\r\n\r\n");
}

TEST(Http1Chunked, SizeOverSixteenDigitsRejected) {
  expectError("00000000000000005\r\nhello\r\n0\r\n\r\n");
  expectError("10000000000000000\r\n");
}

TEST(Http1Chunked, HexPrefixRejected) {
  expectError("0x5\r\nhello\r\n0\r\n\r\n");
}

TEST(Http1Chunked, NegativeOrSignedSizeRejected) {
  expectError("-5\r\nhello\r\n0\r\n\r\n");
  expectError("+5\r\nhello\r\n0\r\n\r\n");
}

TEST(Http1Chunked, SpaceInsideSizeRejected) {
  expectError("5 5\r\nhello\r\n0\r\n\r\n");
  expectError(" 5\r\nhello\r\n0\r\n\r\n");
}

TEST(Http1Chunked, WhitespaceBeforeCrlfRejected) {
  expectError("5 \r\nhello\r\n0\r\n\r\n");
}

TEST(Http1Chunked, MalformedExtensionsRejected) {
  for (const char* line :
       {"5;\r\n", "5;=v\r\n", "5;a=\r\n", "5;a b\r\n", "5;a=b c\r\n", "5;a=\"x\r\n",
        "5;a=\"x\"y\r\n", "5;a=@\r\n", "5;a=\"\x01\"\r\n", "5;a=\"\\\x01\"\r\n", "5;a=b \r\n",
        "5;a=\"x\" \r\n", "5;(a)\r\n", "5;a==b\r\n"}) {
    expectError(std::string(line) + "hello\r\n0\r\n\r\n");
  }
}

TEST(Http1Chunked, MissingCrlfAfterDataRejected) {
  expectError("5\r\nhello0\r\n\r\n");
  expectError("5\r\nhelloo\r\n0\r\n\r\n");
}

TEST(Http1Chunked, BareLfAfterSizeRejected) {
  expectError("5\nhello\r\n0\r\n\r\n");
}

TEST(Http1Chunked, BareLfAfterDataRejected) {
  expectError("5\r\nhello\n0\r\n\r\n");
}

TEST(Http1Chunked, BareCrAfterSizeRejected) {
  expectError("5\rhello\r\n0\r\n\r\n");
}

TEST(Http1Chunked, BareLfAfterLastChunkRejected) {
  expectError("0\n\r\n");
  expectError("0\r\n\n");
}

TEST(Http1Chunked, ExtensionLineTooLongRejected) {
  expectError("5;a=" + std::string(5000, 'x') + "\r\nhello\r\n0\r\n\r\n");
  // Reported before the line ends.
  ChunkedDecoder dec;
  EXPECT_EQ(dec.decode("5;a=" + std::string(5000, 'x')).kind, ChunkedDecoder::Kind::Error);
}

TEST(Http1Chunked, ExtensionLineAtLimitAccepted) {
  const std::string line = "5;a=" + std::string(4096 - 4, 'x');
  const Outcome o = decodeWhole(line + "\r\nhello\r\n0\r\n\r\n");
  EXPECT_TRUE(o.done);
}

TEST(Http1Chunked, MalformedTrailersRejected) {
  expectError("0\r\nX-A: b\r\n folded\r\n\r\n");
  expectError("0\r\nX-A : b\r\n\r\n");
  expectError("0\r\nX-A: b\n\r\n");
  expectError("0\r\nX-A: b\rc\r\n\r\n");
  expectError("0\r\n: b\r\n\r\n");
}

TEST(Http1Chunked, TrailerSectionTooLargeRejected) {
  const std::string msg = "0\r\nX-A: " + std::string(200, 'v') + "\r\n\r\n";
  EXPECT_TRUE(decodePieces(msg, {}, 100).error);
  EXPECT_TRUE(decodePieces(msg, {}, 16384).done);
  // Incomplete but already over the limit: error without waiting for the rest.
  ChunkedDecoder dec;
  dec.max_trailer_bytes = 100;
  EXPECT_EQ(dec.decode("0\r\nX-A: " + std::string(200, 'v')).kind, ChunkedDecoder::Kind::Error);
}

}  // namespace
}  // namespace portico::http1
