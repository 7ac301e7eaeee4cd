// Flow control both ways: response bytes wait for the client's windows (backpressure reported
// to the caller), request bytes open the windows only when the caller consumes them.
#include <gtest/gtest.h>

#include "h2_test_peer.h"
#include "http/http2/server_codec.h"

namespace portico::http2::test {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

uint64_t g_now = 1000;
uint64_t fakeNow() {
  return g_now;
}

TEST(Http2FlowControl, ResponseWaitsForClientWindowAndReportsQueue) {
  Limits l;
  l.stream_queue_high = 20000;
  l.stream_queue_low = 5000;
  // The client advertises a 1000-byte stream window and does not open it by itself.
  Pair p(l, /*client_window=*/1000, /*client_auto=*/false);
  p.pump();
  const int32_t id = p.client.request("GET", "/big");
  p.pump();
  http::ResponseHead h;
  h.status = 200;
  ASSERT_TRUE(p.server->submitResponseHead(id, h, false).ok);
  const std::string body(30000, 'b');
  ASSERT_TRUE(p.server->submitResponseData(id, bytes(body), true).ok);
  EXPECT_TRUE(p.server->stopReading(id));  // above the high watermark: stop the upstream
  p.pump();
  EXPECT_EQ(p.client.streams[id].body.size(), 1000u);  // exactly one window
  EXPECT_EQ(p.server->queuedBytes(id), 29000u);
  EXPECT_EQ(p.server->queuedBytesTotal(), 29000u);
  EXPECT_FALSE(p.server->wantsWrite());  // blocked by flow control, nothing to write
  EXPECT_EQ(p.cb.streams[id].writable, 0);

  // The client consumes what it got: the server sends the next window.
  nghttp2_session_consume(p.client.session, id, 1000);
  p.pump();
  EXPECT_EQ(p.client.streams[id].body.size(), 2000u);
  // Open it wide: the rest flows, the queue drains and the caller hears "writable" once.
  nghttp2_submit_window_update(p.client.session, NGHTTP2_FLAG_NONE, id, 100000);
  nghttp2_session_consume(p.client.session, id, 1000);
  p.pump();
  EXPECT_EQ(p.client.streams[id].body, body);
  EXPECT_EQ(p.server->queuedBytesTotal(), 0u);
  EXPECT_EQ(p.cb.streams[id].writable, 1);
  EXPECT_TRUE(p.cb.streams[id].closed);
}

TEST(Http2FlowControl, RequestWindowOpensOnlyWhenConsumed) {
  Limits l;
  l.initial_stream_window = 4096;
  Pair p(l);
  p.pump();  // settings exchanged and acknowledged
  p.pump();
  const std::string body(20000, 'u');
  const int32_t id = p.client.request("POST", "/up", {}, &body);
  p.pump();
  // Nothing consumed: only one stream window arrived.
  EXPECT_EQ(p.cb.streams[id].body.size(), 4096u);
  EXPECT_FALSE(p.cb.streams[id].ended);
  p.pump();
  EXPECT_EQ(p.cb.streams[id].body.size(), 4096u);  // still stuck: upstream has not taken it
  // The upstream accepted 4096 bytes: the window reopens by that much.
  p.server->consumeRequestData(id, 4096);
  p.pump();
  EXPECT_EQ(p.cb.streams[id].body.size(), 8192u);
  // Consuming more than was delivered is clamped.
  p.server->consumeRequestData(id, 1 << 20);
  p.pump();
  EXPECT_EQ(p.cb.streams[id].body.size(), 12288u);
  p.cb.on_data = [&](int32_t sid, size_t n, bool) { p.server->consumeRequestData(sid, n); };
  p.server->consumeRequestData(id, 4096);
  p.pump();
  EXPECT_EQ(p.cb.streams[id].body, body);
  EXPECT_TRUE(p.cb.streams[id].ended);
}

TEST(Http2FlowControl, UnconsumedBytesOfAResetStreamReturnToTheConnection) {
  Limits l;
  l.initial_stream_window = 60000;
  l.connection_window = 65535;  // the default: a single stream can fill it
  Pair p(l);
  p.pump();
  p.pump();
  const std::string body(60000, 'z');
  const int32_t a = p.client.request("POST", "/a", {}, &body);
  p.pump();
  EXPECT_EQ(p.cb.streams[a].body.size(), 60000u);
  // The caller gives up on the stream without consuming: the connection window must recover.
  p.server->resetStream(a, NGHTTP2_CANCEL);
  p.pump();
  const int32_t b = p.client.request("POST", "/b", {}, &body);
  p.cb.on_data = [&](int32_t sid, size_t n, bool) { p.server->consumeRequestData(sid, n); };
  p.pump();
  EXPECT_EQ(p.cb.streams[b].body.size(), 60000u);
  EXPECT_TRUE(p.cb.streams[b].ended);
}

TEST(Http2FlowControl, ZeroWindowStallIsMeasured) {
  g_now = 1000;
  Pair p(Limits(), /*client_window=*/0, /*client_auto=*/false, &fakeNow);
  p.pump();
  const int32_t id = p.client.request("GET", "/");
  p.pump();
  uint64_t ms = 99;
  EXPECT_EQ(p.server->longestZeroWindowStall(ms), 0);
  EXPECT_EQ(ms, 0u);
  p.respond(id, 200, "stuck body");
  p.pump();
  EXPECT_EQ(p.client.streams[id].status, 200);
  EXPECT_TRUE(p.client.streams[id].body.empty());
  g_now += 30000;
  EXPECT_EQ(p.server->longestZeroWindowStall(ms), id);
  EXPECT_EQ(ms, 30000u);
  // The caller times it out.
  p.server->resetStream(id, NGHTTP2_CANCEL);
  p.pump();
  EXPECT_EQ(p.server->longestZeroWindowStall(ms), 0);
  EXPECT_TRUE(p.server->idle());
  EXPECT_EQ(p.server->queuedBytesTotal(), 0u);
}

TEST(Http2FlowControl, StallEndsWhenWindowOpens) {
  g_now = 5000;
  Pair p(Limits(), 0, false, &fakeNow);
  p.pump();
  const int32_t id = p.client.request("GET", "/");
  p.pump();
  p.respond(id, 200, "abc");
  p.pump();
  g_now += 100;
  uint64_t ms = 0;
  EXPECT_EQ(p.server->longestZeroWindowStall(ms), id);
  nghttp2_submit_window_update(p.client.session, NGHTTP2_FLAG_NONE, id, 10);
  p.pump();
  EXPECT_EQ(p.client.streams[id].body, "abc");
  EXPECT_EQ(p.server->longestZeroWindowStall(ms), 0);
}

TEST(Http2FlowControl, OutputStopsAtAFullBufferAndResumesOnFrameBoundaries) {
  Limits l;
  Pair p(l, /*client_window=*/1 << 20);
  p.pump();
  nghttp2_submit_window_update(p.client.session, NGHTTP2_FLAG_NONE, 0, 4 << 20);
  p.pump();
  const int32_t id = p.client.request("GET", "/");
  p.pump();
  const std::string body(500000, 'q');
  p.respond(id, 200, body);
  // Flush without draining: the 64 KiB block takes whole frames (three 16 KiB DATA frames
  // after the head) until the next one does not fit; then nothing more is written.
  const size_t first = p.server->flushTo(p.out);
  EXPECT_GE(first, 3u * (16384 + 9));
  EXPECT_LT(p.out.spaceLeft(), 16384u + 9);
  EXPECT_EQ(p.server->flushTo(p.out), 0u);
  EXPECT_TRUE(p.server->wantsWrite());
  // The client reads what is there (whole frames only), then everything else follows.
  p.client.input(p.out.data(), p.out.size());
  p.out.consume(p.out.size());
  p.pump();
  EXPECT_EQ(p.client.streams[id].body, body);
  EXPECT_TRUE(p.client.streams[id].closed);
}

}  // namespace
}  // namespace portico::http2::test
