// The known HTTP/2 attacks: each test shows the codec reacts (GOAWAY ENHANCE_YOUR_CALM or a
// stream reset / 431) and that the work it does stays bounded.
#include <gtest/gtest.h>

#include <random>

#include "h2_test_peer.h"
#include "http/http2/server_codec.h"

namespace portico::http2::test {
namespace {

uint64_t g_now = 1;
uint64_t fakeNow() {
  return g_now;
}

std::string randomText(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, 'a');
  for (char& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

// Expects the connection to have failed with a GOAWAY(ENHANCE_YOUR_CALM) the client received.
void expectCalmGoaway(Pair& p) {
  EXPECT_FALSE(p.last.ok);
  EXPECT_EQ(p.last.error_code, uint32_t{NGHTTP2_ENHANCE_YOUR_CALM}) << p.last.reason;
  EXPECT_STREQ(connStateName(p.server->state()), "failed");
  EXPECT_EQ(p.client.goaways, 1);
  EXPECT_EQ(p.client.goaway_code, uint32_t{NGHTTP2_ENHANCE_YOUR_CALM});
  EXPECT_TRUE(p.server->shouldClose());
  // Later input is ignored at no cost.
  const std::string more(1000, '\0');
  EXPECT_FALSE(p.server->feed(reinterpret_cast<const uint8_t*>(more.data()), more.size()).ok);
}

TEST(Http2Attack, RapidResetGetsGoaway) {
  g_now = 1;
  Limits l;
  l.reset_burst = 50;
  l.resets_per_second = 10;
  Pair p(l, 65535, true, &fakeNow);
  p.pump();
  int sent = 0;
  for (int round = 0; round < 100 && p.last.ok; ++round) {
    std::vector<int32_t> ids;
    for (int i = 0; i < 10; ++i) ids.push_back(p.client.request("GET", "/"));
    p.pump();
    for (int32_t id : ids) {
      nghttp2_submit_rst_stream(p.client.session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    }
    sent += 10;
    p.pump();
  }
  expectCalmGoaway(p);
  // Bounded: the layer above saw at most one burst (plus the batch in flight).
  EXPECT_LE(p.cb.order.size(), 60u);
  EXPECT_LT(sent, 1000);
}

TEST(Http2Attack, ResetsWithinTheRateAreFine) {
  g_now = 1;
  Limits l;
  l.reset_burst = 20;
  l.resets_per_second = 10;
  Pair p(l, 65535, true, &fakeNow);
  p.pump();
  for (int round = 0; round < 50; ++round) {
    const int32_t id = p.client.request("GET", "/");
    p.pump();
    nghttp2_submit_rst_stream(p.client.session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    p.pump();
    g_now += 200;  // 5 resets per second: under the rate
  }
  EXPECT_TRUE(p.last.ok);
  EXPECT_EQ(p.cb.order.size(), 50u);
  // Resets after a completed response do not count at all.
  p.cb.on_head = [&](int32_t sid, bool) { p.respond(sid, 200, "ok"); };
  for (int i = 0; i < 100; ++i) {
    const int32_t id = p.client.request("GET", "/");
    p.pump();
    nghttp2_submit_rst_stream(p.client.session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    p.pump();
  }
  EXPECT_TRUE(p.last.ok);
}

TEST(Http2Attack, ContinuationFloodGetsGoaway) {
  Pair p;
  p.pump();
  // HEADERS without END_HEADERS, then empty CONTINUATION frames forever.
  std::string flood = frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, simpleGetBlock());
  for (int i = 0; i < 10000; ++i) flood += frame(NGHTTP2_CONTINUATION, 0, 1, "");
  p.feedRaw(flood);
  expectCalmGoaway(p);
  EXPECT_TRUE(p.cb.order.empty());
}

TEST(Http2Attack, HugeHeaderBlockInManyContinuationsGetsGoaway) {
  Pair p;
  p.pump();
  // 400 KB of incompressible fields: HEADERS + ~25 CONTINUATION frames of 16 KB.
  std::vector<std::pair<std::string, std::string>> extra;
  for (int i = 0; i < 50; ++i) extra.push_back({"x-f" + std::to_string(i), randomText(8000, i)});
  p.client.request("GET", "/", extra);
  p.pump();
  expectCalmGoaway(p);
  EXPECT_TRUE(p.cb.order.empty());
}

TEST(Http2Attack, HeaderListOverLimitGets431) {
  Limits l;
  l.max_header_list_size = 16 * 1024;
  Pair p(l);
  p.pump();
  std::vector<std::pair<std::string, std::string>> extra;
  for (int i = 0; i < 4; ++i) extra.push_back({"x-f" + std::to_string(i), randomText(6000, i)});
  const int32_t id = p.client.request("GET", "/", extra);
  p.pump();
  EXPECT_TRUE(p.last.ok);
  EXPECT_EQ(p.cb.streams.count(id), 0u);
  EXPECT_EQ(p.client.streams[id].status, 431);
  // The connection and its HPACK state stay usable.
  const int32_t good = p.client.request("GET", "/ok", {{"x-small", "1"}});
  p.pump();
  ASSERT_EQ(p.cb.streams.count(good), 1u);
  EXPECT_EQ(p.cb.streams[good].head.headers.get("x-small").value_or(""), "1");
}

TEST(Http2Attack, HpackBombIsRejectedCheaply) {
  Pair p;
  p.pump();
  // One 3000-byte field enters the client's dynamic table once (nghttp2 indexes entries up to
  // 3/4 of the 4 KB table); each repeat costs one byte on the wire but 3 KB decoded: ~1.2 MB
  // decoded from ~3.5 KB sent.
  const std::string big = randomText(3000, 7);
  std::vector<std::pair<std::string, std::string>> extra(400, {"x-bomb", big});
  const int32_t id = p.client.request("GET", "/", extra);
  const std::string wire_probe = p.client.output();
  EXPECT_LT(wire_probe.size(), 6000u);  // the attack is cheap for the client
  p.client.raw = wire_probe;
  p.pump();
  EXPECT_TRUE(p.last.ok);
  EXPECT_EQ(p.cb.streams.count(id), 0u);
  EXPECT_EQ(p.client.streams[id].status, 431);
  const int32_t good = p.client.request("GET", "/ok");
  p.pump();
  EXPECT_EQ(p.cb.streams.count(good), 1u);
}

TEST(Http2Attack, RepeatedHpackBombsCloseTheConnection) {
  Limits l;
  l.max_stream_errors = 3;
  Pair p(l);
  p.pump();
  const std::string big = randomText(3000, 9);
  std::vector<std::pair<std::string, std::string>> extra(100, {"x-bomb", big});
  for (int i = 0; i < 10 && p.last.ok; ++i) {
    p.client.request("GET", "/", extra);
    p.pump();
  }
  expectCalmGoaway(p);
  EXPECT_TRUE(p.cb.order.empty());
}

TEST(Http2Attack, SettingsFloodGetsGoaway) {
  Pair p;
  p.pump();
  // The attacker never reads: the server is not flushed while ACKs pile up.
  std::string flood;
  for (int i = 0; i < 5000; ++i) flood += frame(NGHTTP2_SETTINGS, 0, 0, "");
  const std::string preface_and_more = p.client.output() + flood;
  Status st = p.server->feed(reinterpret_cast<const uint8_t*>(preface_and_more.data()),
                             preface_and_more.size());
  p.last = st;
  p.pump();
  expectCalmGoaway(p);
}

TEST(Http2Attack, PingsAreFineWhenTheClientReads) {
  Pair p;
  p.pump();
  // Many PINGs are fine as long as the client reads the ACKs.
  for (int i = 0; i < 500; ++i) p.feedRaw(frame(NGHTTP2_PING, 0, 0, std::string(8, 'q')));
  EXPECT_TRUE(p.last.ok);
  EXPECT_EQ(p.client.goaways, 0);
  EXPECT_EQ(p.client.ping_acks, 500);
}

TEST(Http2Attack, PingFloodGetsGoaway) {
  Pair p;
  p.pump();
  std::string flood;
  for (int i = 0; i < 5000; ++i) flood += frame(NGHTTP2_PING, 0, 0, std::string(8, 'p'));
  p.last = p.server->feed(reinterpret_cast<const uint8_t*>(flood.data()), flood.size());
  p.pump();
  expectCalmGoaway(p);
}

TEST(Http2Attack, EmptyDataFloodGetsGoaway) {
  Pair p;
  p.pump();
  std::string block = simpleGetBlock();
  block[0] = static_cast<char>(0x83);  // :method POST
  std::string flood = frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1, block);
  for (int i = 0; i < 100000; ++i) flood += frame(NGHTTP2_DATA, 0, 1, "");
  p.feedRaw(flood);
  expectCalmGoaway(p);
  ASSERT_EQ(p.cb.order.size(), 1u);
  EXPECT_TRUE(p.cb.streams[1].body.empty());
}

TEST(Http2Attack, MalformedStreamFloodGetsGoaway) {
  Limits l;
  l.max_stream_errors = 10;
  Pair p(l);
  p.pump();
  for (int i = 0; i < 50 && p.last.ok; ++i) {
    p.client.request("GET", "/", {{"connection", "close"}});
    p.pump();
  }
  expectCalmGoaway(p);
}

TEST(Http2Attack, ZeroWindowClientIsVisibleForTimeout) {
  // A client that opens no window holds response bytes in our queues; the codec reports the
  // stall and its bytes so the caller can time the stream out (see Http2FlowControl).
  g_now = 100;
  Pair p(Limits(), 0, false, &fakeNow);
  p.pump();
  std::vector<int32_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(p.client.request("GET", "/"));
  p.pump();
  for (int32_t id : ids) p.respond(id, 200, std::string(1000, 'x'));
  p.pump();
  g_now += 60000;
  uint64_t ms = 0;
  EXPECT_NE(p.server->longestZeroWindowStall(ms), 0);
  EXPECT_EQ(ms, 60000u);
  EXPECT_EQ(p.server->queuedBytesTotal(), 10000u);
  for (int32_t id : ids) p.server->resetStream(id, NGHTTP2_CANCEL);
  p.pump();
  EXPECT_EQ(p.server->queuedBytesTotal(), 0u);
  EXPECT_EQ(p.pool.outstanding(), 1u);  // only the harness output buffer
}

}  // namespace
}  // namespace portico::http2::test
