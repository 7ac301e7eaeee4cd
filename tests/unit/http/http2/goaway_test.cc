// Graceful drain: GOAWAY(2^31-1) + PING, then GOAWAY(last stream) on the PING ACK; streams
// begun before finish; new ones are refused; the connection then reports shouldClose().
#include <gtest/gtest.h>

#include "h2_test_peer.h"
#include "http/http2/server_codec.h"

namespace portico::http2::test {
namespace {

TEST(Http2Goaway, GracefulDrainFinishesInFlightStreams) {
  Pair p;
  p.pump();
  const int32_t a = p.client.request("GET", "/a");
  const int32_t b = p.client.request("GET", "/b");
  p.pump();
  ASSERT_EQ(p.cb.order.size(), 2u);

  p.server->startGracefulShutdown();
  EXPECT_STREQ(connStateName(p.server->state()), "draining");
  p.pump();
  // The client saw the notice and answered the PING: the final GOAWAY names stream b.
  EXPECT_STREQ(connStateName(p.server->state()), "goaway-sent");
  EXPECT_EQ(p.client.goaways, 2);
  EXPECT_EQ(p.client.goaway_last, b);
  EXPECT_EQ(p.client.goaway_code, 0u);
  EXPECT_FALSE(p.server->shouldClose());  // two streams still in flight

  // The in-flight exchanges complete.
  p.respond(a, 200, "A");
  p.respond(b, 200, "B");
  p.pump();
  EXPECT_EQ(p.client.streams[a].body, "A");
  EXPECT_EQ(p.client.streams[b].body, "B");
  EXPECT_TRUE(p.server->idle());
  EXPECT_FALSE(p.server->wantsWrite());
  EXPECT_TRUE(p.server->shouldClose());
}

TEST(Http2Goaway, StreamsAfterFinalGoawayAreIgnored) {
  Pair p;
  p.pump();
  const int32_t a = p.client.request("GET", "/a");
  p.pump();
  p.server->finishGracefulShutdown();
  p.pump();
  EXPECT_EQ(p.client.goaway_last, a);
  // A client that ignores GOAWAY: its new stream is not delivered.
  const std::string headers = frame(
      NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 99, simpleGetBlock());
  p.feedRaw(headers);
  EXPECT_EQ(p.cb.streams.count(99), 0u);
  p.respond(a, 200, "done");
  p.pump();
  EXPECT_EQ(p.client.streams[a].body, "done");
  EXPECT_TRUE(p.server->shouldClose());
}

TEST(Http2Goaway, IdleConnectionDrainsAtOnce) {
  Pair p;
  p.pump();
  p.server->startGracefulShutdown();
  EXPECT_STREQ(connStateName(p.server->state()), "goaway-sent");
  p.pump();
  EXPECT_EQ(p.client.goaways, 1);
  EXPECT_EQ(p.client.goaway_last, 0);
  EXPECT_TRUE(p.server->idle());
  EXPECT_TRUE(p.server->shouldClose());
}

TEST(Http2Goaway, RequestsRacingTheNoticeAreServed) {
  Pair p;
  p.pump();
  const int32_t first = p.client.request("GET", "/first");
  p.pump();
  p.server->startGracefulShutdown();
  // The notice + PING are on the wire when the client sends a new request.
  buffer::Buffer& out = p.out;
  p.server->flushTo(out);
  const std::string notice(out.data(), out.size());
  out.consume(out.size());
  const int32_t late = p.client.request("GET", "/late");
  const std::string req = p.client.output();
  ASSERT_TRUE(p.server->feed(reinterpret_cast<const uint8_t*>(req.data()), req.size()).ok);
  p.client.input(notice.data(), notice.size());
  p.pump();
  ASSERT_EQ(p.cb.streams.count(late), 1u);  // served, not refused
  EXPECT_EQ(p.client.goaway_last, late);
  p.respond(late, 200, "ok");
  p.pump();
  EXPECT_EQ(p.client.streams[late].body, "ok");
  EXPECT_FALSE(p.server->shouldClose());  // `first` is still open
  p.respond(first, 200, "ok");
  p.pump();
  EXPECT_TRUE(p.server->shouldClose());
}

TEST(Http2Goaway, ClientGoawayIsReported) {
  Pair p;
  p.pump();
  const int32_t a = p.client.request("GET", "/a");
  p.pump();
  nghttp2_submit_goaway(p.client.session, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
  p.pump();
  EXPECT_EQ(p.cb.goaways, 1);
  EXPECT_EQ(p.cb.goaway_last, 0);
  EXPECT_TRUE(p.last.ok);
  // The in-flight stream can still be answered.
  p.respond(a, 200, "still here");
  p.pump();
  EXPECT_EQ(p.client.streams[a].body, "still here");
}

}  // namespace
}  // namespace portico::http2::test
