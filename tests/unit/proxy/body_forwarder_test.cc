#include "proxy/body_forwarder.h"

#include <gtest/gtest.h>

#include <string>

namespace portico::proxy {
namespace {

using http1::BodyFraming;

// Models the caller: a source buffer whose front is dropped as bytes are sent. Sends at most
// `max_send` forwardable bytes per call; returns what was sent.
struct Pipe {
  BodyForwarder f;
  std::string src;
  std::string out;
  uint32_t pump(uint32_t max_send = UINT32_MAX) {
    uint32_t n = f.forwardable(src);
    if (n > max_send) n = max_send;
    out.append(src, 0, n);
    src.erase(0, n);
    if (n) f.sent(n);
    return n;
  }
};

TEST(BodyForwarder, DefaultIsDoneWithNoBody) {
  BodyForwarder f;
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.forwardable("abc"), 0u);
}

TEST(BodyForwarder, NoneFramingIsDoneAtOnce) {
  BodyForwarder f;
  f.start(BodyFraming::None, 0);
  EXPECT_TRUE(f.done());
  EXPECT_FALSE(f.error());
  EXPECT_EQ(f.forwardable("GET / HTTP/1.1\r\n"), 0u);
}

TEST(BodyForwarder, ContentLengthZeroIsDoneAtOnce) {
  BodyForwarder f;
  f.start(BodyFraming::ContentLength, 0);
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.forwardable("next request"), 0u);
}

TEST(BodyForwarder, ContentLengthAccounting) {
  Pipe p;
  p.f.start(BodyFraming::ContentLength, 10);
  EXPECT_FALSE(p.f.done());
  p.src = "abcd";
  EXPECT_EQ(p.pump(), 4u);
  EXPECT_EQ(p.f.bytesSent(), 4u);
  EXPECT_FALSE(p.f.done());
  // More than the rest of the body is buffered: the next request stays behind.
  p.src = "efghijGET / HTTP/1.1\r\n";
  EXPECT_EQ(p.f.forwardable(p.src), 6u);
  EXPECT_EQ(p.pump(2), 2u);  // partial send
  EXPECT_EQ(p.f.forwardable(p.src), 4u);
  EXPECT_EQ(p.pump(), 4u);
  EXPECT_TRUE(p.f.done());
  EXPECT_EQ(p.f.bytesSent(), 10u);
  EXPECT_EQ(p.out, "abcdefghij");
  EXPECT_EQ(p.src, "GET / HTTP/1.1\r\n");
  EXPECT_EQ(p.f.forwardable(p.src), 0u);
}

TEST(BodyForwarder, ContentLengthNotDoneOnSourceClose) {
  Pipe p;
  p.f.start(BodyFraming::ContentLength, 10);
  p.src = "abc";
  p.pump();
  p.f.sourceClosed();
  EXPECT_FALSE(p.f.done());  // truncated, not complete
}

TEST(BodyForwarder, ContentLengthLargerThan32Bits) {
  BodyForwarder f;
  f.start(BodyFraming::ContentLength, 5'000'000'000ull);
  std::string chunk(1 << 16, 'x');
  EXPECT_EQ(f.forwardable(chunk), chunk.size());
  f.sent(static_cast<uint32_t>(chunk.size()));
  EXPECT_FALSE(f.done());
  EXPECT_EQ(f.bytesSent(), chunk.size());
}

TEST(BodyForwarder, ChunkedPassthroughWhole) {
  Pipe p;
  p.f.start(BodyFraming::Chunked, 0);
  const std::string body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
  p.src = body + "GET /next HTTP/1.1\r\n";
  EXPECT_EQ(p.f.forwardable(p.src), body.size());
  EXPECT_EQ(p.pump(), body.size());
  EXPECT_TRUE(p.f.done());
  EXPECT_FALSE(p.f.error());
  EXPECT_EQ(p.out, body);  // framing passed through unchanged
  EXPECT_EQ(p.src, "GET /next HTTP/1.1\r\n");
  EXPECT_EQ(p.f.bytesSent(), body.size());
}

TEST(BodyForwarder, ChunkedWithTrailers) {
  Pipe p;
  p.f.start(BodyFraming::Chunked, 0);
  const std::string body = "3\r\nabc\r\n0\r\nX-Checksum: 42\r\n\r\n";
  p.src = body;
  EXPECT_EQ(p.pump(), body.size());
  EXPECT_TRUE(p.f.done());
}

TEST(BodyForwarder, ChunkedIncrementalByteByByte) {
  Pipe p;
  p.f.start(BodyFraming::Chunked, 0);
  const std::string body = "a\r\n0123456789\r\n1;x=\"q\"\r\n!\r\n0\r\nT: v\r\n\r\n";
  for (char c : body) {
    ASSERT_FALSE(p.f.done());
    p.src.push_back(c);
    p.pump();
    ASSERT_FALSE(p.f.error()) << p.out;
  }
  EXPECT_TRUE(p.f.done());
  EXPECT_EQ(p.out, body);
}

TEST(BodyForwarder, ChunkedReportsOnlyValidatedBytes) {
  BodyForwarder f;
  f.start(BodyFraming::Chunked, 0);
  // Everything up to the partial payload is validated; the trailer section is held back until
  // it is complete.
  EXPECT_EQ(f.forwardable("5\r\nhel"), 6u);
  EXPECT_EQ(f.forwardable("5\r\nhello\r\n0\r\n"), 13u);
  EXPECT_EQ(f.forwardable("5\r\nhello\r\n0\r\nX-T: 1\r\n"), 13u);  // trailer incomplete
  EXPECT_FALSE(f.done());
  EXPECT_EQ(f.forwardable("5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"), 23u);
  f.sent(23);
  EXPECT_TRUE(f.done());
}

TEST(BodyForwarder, ChunkedPartialSendsKeepAccounting) {
  Pipe p;
  p.f.start(BodyFraming::Chunked, 0);
  const std::string body = "4\r\nabcd\r\n0\r\n\r\n";
  p.src = body;
  EXPECT_EQ(p.pump(3), 3u);
  EXPECT_EQ(p.pump(5), 5u);
  EXPECT_FALSE(p.f.done());
  EXPECT_EQ(p.pump(), body.size() - 8);
  EXPECT_TRUE(p.f.done());
  EXPECT_EQ(p.out, body);
}

TEST(BodyForwarder, ChunkedNotDoneUntilLastByteSent) {
  Pipe p;
  p.f.start(BodyFraming::Chunked, 0);
  p.src = "0\r\n\r\n";
  EXPECT_EQ(p.pump(4), 4u);
  EXPECT_FALSE(p.f.done());
  EXPECT_EQ(p.pump(), 1u);
  EXPECT_TRUE(p.f.done());
}

TEST(BodyForwarder, ChunkedStopsAtInvalidChunk) {
  Pipe p;
  p.f.start(BodyFraming::Chunked, 0);
  p.src = "5\r\nhel";
  EXPECT_EQ(p.pump(), 6u);
  p.src += "lo\r\nZZ\r\nmore data\r\n0\r\n\r\n";
  EXPECT_EQ(p.f.forwardable(p.src), 0u);
  EXPECT_TRUE(p.f.error());
  EXPECT_NE(p.f.errorText(), nullptr);
  EXPECT_FALSE(p.f.done());
  EXPECT_FALSE(p.f.tooLarge());
  // Nothing is ever forwardable after the error, whatever arrives.
  EXPECT_EQ(p.f.forwardable(p.src), 0u);
  EXPECT_EQ(p.f.forwardable("0\r\n\r\n"), 0u);
  EXPECT_EQ(p.out, "5\r\nhel");
}

TEST(BodyForwarder, ChunkedInvalidFramingVariants) {
  for (const char* bad : {"g\r\n", "5\r\nhelloX\r\n", "5\nhello\r\n", "\r\n", "5 \r\nhello\r\n",
                          "11111111111111111\r\n"}) {
    BodyForwarder f;
    f.start(BodyFraming::Chunked, 0);
    std::string src = std::string(bad) + "0\r\n\r\n";
    uint32_t n = f.forwardable(src);
    EXPECT_TRUE(f.error()) << bad;
    EXPECT_EQ(n, 0u) << bad;
  }
}

TEST(BodyForwarder, ChunkedMaxPayloadTooLarge) {
  BodyForwarder f;
  f.start(BodyFraming::Chunked, 0);
  f.setMaxPayload(10);
  EXPECT_EQ(f.forwardable("5\r\nhello\r\n5\r\nworld\r\n1\r\n!\r\n0\r\n\r\n"), 0u);
  EXPECT_TRUE(f.tooLarge());
  EXPECT_TRUE(f.error());
  EXPECT_FALSE(f.done());
  EXPECT_EQ(f.forwardable("0\r\n\r\n"), 0u);
}

TEST(BodyForwarder, ChunkedMaxPayloadExactlyAtLimit) {
  Pipe p;
  p.f.start(BodyFraming::Chunked, 0);
  p.f.setMaxPayload(10);
  p.src = "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
  p.pump();
  EXPECT_TRUE(p.f.done());
  EXPECT_FALSE(p.f.tooLarge());
  EXPECT_FALSE(p.f.error());
}

TEST(BodyForwarder, ChunkedMaxPayloadAcrossCalls) {
  Pipe p;
  p.f.start(BodyFraming::Chunked, 0);
  p.f.setMaxPayload(8);
  p.src = "6\r\nabcdef\r\n";
  EXPECT_EQ(p.pump(), 11u);
  p.src += "4\r\nab";  // 6 + 2 = 8 bytes so far: fine
  EXPECT_EQ(p.pump(), 5u);
  EXPECT_FALSE(p.f.tooLarge());
  p.src += "c";  // 9th byte of payload
  EXPECT_EQ(p.pump(), 0u);
  EXPECT_TRUE(p.f.tooLarge());
  EXPECT_TRUE(p.f.error());
}

TEST(BodyForwarder, StartResetsState) {
  BodyForwarder f;
  f.start(BodyFraming::Chunked, 0);
  f.setMaxPayload(1);
  f.forwardable("5\r\nhello\r\n");
  ASSERT_TRUE(f.error());
  ASSERT_TRUE(f.tooLarge());
  f.start(BodyFraming::Chunked, 0);
  EXPECT_FALSE(f.error());
  EXPECT_FALSE(f.tooLarge());
  EXPECT_EQ(f.errorText(), nullptr);
  EXPECT_EQ(f.bytesSent(), 0u);
  EXPECT_EQ(f.forwardable("5\r\nhello\r\n0\r\n\r\n"), 15u);  // no payload limit after start
  f.sent(15);
  EXPECT_TRUE(f.done());
}

TEST(BodyForwarder, UntilCloseCompletesOnSourceClosed) {
  Pipe p;
  p.f.start(BodyFraming::UntilClose, 0);
  EXPECT_FALSE(p.f.done());
  p.src = "anything, even 0\r\n\r\n";
  EXPECT_EQ(p.pump(), 20u);
  p.src = "more";
  EXPECT_EQ(p.pump(), 4u);
  EXPECT_FALSE(p.f.done());
  p.f.sourceClosed();
  EXPECT_TRUE(p.f.done());
  EXPECT_EQ(p.f.bytesSent(), 24u);
  EXPECT_EQ(p.f.forwardable("late"), 0u);
}

TEST(BodyForwarder, TunnelCompletesOnSourceClosed) {
  Pipe p;
  p.f.start(BodyFraming::Tunnel, 0);
  p.src = std::string("\x81\x05hello", 7);
  EXPECT_EQ(p.pump(), 7u);
  EXPECT_FALSE(p.f.done());
  p.f.sourceClosed();
  EXPECT_TRUE(p.f.done());
}

TEST(BodyForwarder, ChunkedNotDoneOnSourceClosed) {
  BodyForwarder f;
  f.start(BodyFraming::Chunked, 0);
  f.forwardable("5\r\nhe");
  f.sourceClosed();
  EXPECT_FALSE(f.done());
}

TEST(BodyForwarder, DecodeStepDechunks) {
  BodyForwarder f;
  f.start(BodyFraming::Chunked, 0);
  std::string_view src = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  std::string payload;
  for (int i = 0; i < 20; ++i) {
    auto step = f.decodeStep(src);
    src.remove_prefix(step.consumed);
    payload.append(step.data);
    if (step.kind == http1::ChunkedDecoder::Kind::Done) {
      f.markDone();
      break;
    }
    ASSERT_NE(step.kind, http1::ChunkedDecoder::Kind::Error);
  }
  EXPECT_EQ(payload, "abcde");
  EXPECT_TRUE(f.done());
  EXPECT_TRUE(src.empty());
}

}  // namespace
}  // namespace portico::proxy

namespace portico::proxy {
namespace {

// Models a transforming consumer (compression): takes at most `max_use` payload bytes per
// call, and input arrives `feed` bytes at a time. Returns the payload read.
std::string readPayload(BodyForwarder& f, std::string_view wire, size_t feed, uint32_t max_use) {
  std::string src, payload;
  size_t fed = 0;
  for (int guard = 0; guard < 100000 && !f.done() && !f.error(); ++guard) {
    uint32_t skip = 0, len = 0;
    if (!f.payload(src, skip, len)) break;
    src.erase(0, skip);
    if (len) {
      const uint32_t use = len < max_use ? len : max_use;
      payload.append(src, 0, use);
      src.erase(0, use);
      f.payloadUsed(use);
    } else if (skip == 0) {
      if (fed == wire.size()) break;
      const size_t n = std::min(feed, wire.size() - fed);
      src.append(wire.substr(fed, n));
      fed += n;
    }
  }
  return payload;
}

TEST(BodyForwarderPayload, ChunkedInAnyPiecesAndPartialUse) {
  const std::string wire =
      "3\r\nabc\r\n10;ext=1\r\n0123456789abcdef\r\n1\r\nz\r\n0\r\nX-T: 1\r\n\r\n";
  for (size_t feed : {1u, 2u, 5u, 100u}) {
    for (uint32_t use : {1u, 3u, 1000u}) {
      BodyForwarder f;
      f.start(BodyFraming::Chunked, 0);
      EXPECT_EQ(readPayload(f, wire, feed, use), "abc0123456789abcdefz")
          << "feed " << feed << " use " << use;
      EXPECT_TRUE(f.done());
      EXPECT_EQ(f.bytesSent(), 20u);
    }
  }
}

TEST(BodyForwarderPayload, ContentLengthIsThePayload) {
  BodyForwarder f;
  f.start(BodyFraming::ContentLength, 5);
  EXPECT_EQ(readPayload(f, "hello+next", 3, 2), "hello");
  EXPECT_TRUE(f.done());
}

TEST(BodyForwarderPayload, InvalidChunkedFramingIsAnError) {
  BodyForwarder f;
  f.start(BodyFraming::Chunked, 0);
  uint32_t skip = 0, len = 0;
  EXPECT_FALSE(f.payload("zz\r\n", skip, len));
  EXPECT_TRUE(f.error());
  EXPECT_FALSE(f.done());
}

}  // namespace
}  // namespace portico::proxy
