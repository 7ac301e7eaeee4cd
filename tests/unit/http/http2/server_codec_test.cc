// Http2ServerCodec driven by a real nghttp2 client: requests, bodies, trailers, concurrency,
// pseudo-header mapping, extended CONNECT.
#include "http/http2/server_codec.h"

#include <gtest/gtest.h>

#include "h2_test_peer.h"

namespace portico::http2::test {
namespace {

std::string header(const ClientStreamLog& s, const std::string& name) {
  for (auto& [n, v] : s.headers)
    if (n == name) return v;
  return "<none>";
}

TEST(Http2ServerCodec, PrefaceAndSettingsExchange) {
  Pair p;
  EXPECT_TRUE(p.server->wantsWrite());  // server preface queued at construction
  EXPECT_TRUE(p.pump().ok);
  EXPECT_EQ(p.client.settings_acks, 1);
  EXPECT_EQ(nghttp2_session_get_remote_settings(p.client.session,
                                                NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS),
            p.limits.max_concurrent_streams);
  EXPECT_EQ(nghttp2_session_get_remote_settings(p.client.session,
                                                NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL),
            1u);
  EXPECT_TRUE(p.server->idle());
  EXPECT_FALSE(p.server->wantsWrite());
  EXPECT_STREQ(connStateName(p.server->state()), "active");
}

TEST(Http2ServerCodec, GetRequestAndResponse) {
  Pair p;
  p.pump();
  const int32_t id = p.client.request("GET", "/index.html?q=1", {{"accept", "*/*"}});
  p.pump();
  ASSERT_EQ(p.cb.streams.count(id), 1u);
  const auto& s = p.cb.streams[id];
  EXPECT_EQ(s.head.method, "GET");
  EXPECT_EQ(s.head.method_id, http::Method::Get);
  EXPECT_EQ(s.head.scheme, "https");
  EXPECT_EQ(s.head.authority, "example.com");
  EXPECT_EQ(s.head.path, "/index.html?q=1");
  EXPECT_EQ(s.head.headers.get("accept").value_or(""), "*/*");
  EXPECT_EQ(s.head.headers.get("host").value_or(""), "example.com");  // kept consistent
  EXPECT_TRUE(s.head_end_stream);
  EXPECT_STREQ(p.server->streamStateOf(id), "half-closed-remote");
  EXPECT_FALSE(p.server->idle());

  p.respond(id, 200, "hello");
  p.pump();
  const auto& c = p.client.streams[id];
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.body, "hello");
  EXPECT_EQ(header(c, "content-type"), "text/plain");
  EXPECT_TRUE(c.closed);
  EXPECT_EQ(c.close_code, 0u);
  EXPECT_TRUE(p.cb.streams[id].closed);
  EXPECT_FALSE(p.cb.streams[id].reset);
  EXPECT_TRUE(p.server->idle());
  EXPECT_EQ(p.server->queuedBytesTotal(), 0u);
}

TEST(Http2ServerCodec, PostWithBody) {
  Pair p;
  p.pump();
  std::string body(100000, 'x');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  // The caller forwards and consumes every chunk at once.
  p.cb.on_data = [&](int32_t id, size_t n, bool) { p.server->consumeRequestData(id, n); };
  const int32_t id = p.client.request("POST", "/upload", {{"content-length", "100000"}}, &body);
  p.pump();
  const auto& s = p.cb.streams[id];
  EXPECT_EQ(s.head.method_id, http::Method::Post);
  EXPECT_EQ(s.head.content_length, 100000);
  EXPECT_FALSE(s.head_end_stream);
  EXPECT_EQ(s.body, body);
  EXPECT_TRUE(s.ended);
  p.respond(id, 201, "");
  p.pump();
  EXPECT_EQ(p.client.streams[id].status, 201);
  EXPECT_TRUE(p.cb.streams[id].closed);
}

TEST(Http2ServerCodec, LargeResponseBodyCrossesBlocksAndFrames) {
  Pair p;
  p.pump();
  const int32_t id = p.client.request("GET", "/big");
  p.pump();
  std::string body(300000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7);
  http::ResponseHead h;
  h.status = 200;
  ASSERT_TRUE(p.server->submitResponseHead(id, h, false).ok);
  // Submitted in uneven pieces.
  for (size_t off = 0; off < body.size(); off += 70001) {
    const size_t n = std::min<size_t>(70001, body.size() - off);
    const bool last = off + n == body.size();
    ASSERT_TRUE(
        p.server
            ->submitResponseData(
                id,
                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()) + off, n),
                last)
            .ok);
  }
  p.pump();
  EXPECT_EQ(p.client.streams[id].body, body);
  EXPECT_TRUE(p.client.streams[id].closed);
  EXPECT_EQ(p.pool.outstanding(), 1u);  // only the harness output buffer holds a block
}

TEST(Http2ServerCodec, TrailersBothWays) {
  Pair p;
  p.pump();
  std::string body = "request-body";
  p.cb.on_data = [&](int32_t id, size_t n, bool) { p.server->consumeRequestData(id, n); };
  const int32_t id = p.client.request("POST", "/svc.Echo/Call", {{"te", "trailers"}}, &body,
                                      {{"x-checksum", "abc"}});
  p.pump();
  const auto& s = p.cb.streams[id];
  EXPECT_EQ(s.head.headers.get("te").value_or(""), "trailers");
  EXPECT_EQ(s.body, body);
  ASSERT_TRUE(s.got_trailers);
  EXPECT_EQ(s.trailers.get("x-checksum").value_or(""), "abc");

  p.respond(id, 200, "reply", /*trailers=*/true);
  p.pump();
  const auto& c = p.client.streams[id];
  EXPECT_EQ(c.body, "reply");
  ASSERT_EQ(c.trailers.size(), 2u);
  EXPECT_EQ(c.trailers[0].first, "grpc-status");
  EXPECT_EQ(c.trailers[0].second, "0");
  EXPECT_TRUE(c.closed);
  EXPECT_EQ(c.close_code, 0u);
  EXPECT_TRUE(p.cb.streams[id].closed);
}

TEST(Http2ServerCodec, TrailersOnlyAfterDeferredBody) {
  Pair p;
  p.pump();
  const int32_t id = p.client.request("GET", "/");
  p.pump();
  http::ResponseHead h;
  h.status = 200;
  ASSERT_TRUE(p.server->submitResponseHead(id, h, false).ok);
  p.pump();  // data provider defers: nothing queued yet
  EXPECT_FALSE(p.client.streams[id].closed);
  http::HeaderList t;
  t.add("grpc-status", "13");
  ASSERT_TRUE(p.server->submitTrailers(id, t).ok);
  EXPECT_FALSE(p.server->submitResponseData(id, {}, true).ok);  // already ended
  p.pump();
  ASSERT_EQ(p.client.streams[id].trailers.size(), 1u);
  EXPECT_EQ(p.client.streams[id].trailers[0].second, "13");
  EXPECT_TRUE(p.client.streams[id].closed);
}

TEST(Http2ServerCodec, InformationalThenFinal) {
  Pair p;
  p.pump();
  std::string body = "x";
  const int32_t id = p.client.request("POST", "/", {{"expect", "100-continue"}}, &body);
  p.pump();
  http::ResponseHead cont;
  cont.status = 100;
  ASSERT_TRUE(p.server->submitResponseHead(id, cont, false).ok);
  EXPECT_FALSE(p.server->submitResponseHead(id, cont, true).ok);  // 1xx cannot end
  p.respond(id, 204, "");
  p.pump();
  EXPECT_EQ(p.client.streams[id].informational, 1);
  EXPECT_EQ(p.client.streams[id].status, 204);
}

TEST(Http2ServerCodec, ManyConcurrentStreams) {
  Pair p;
  p.pump();
  std::vector<int32_t> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(p.client.request("GET", "/s/" + std::to_string(i)));
  p.pump();
  ASSERT_EQ(p.cb.order.size(), 100u);
  EXPECT_EQ(p.server->liveStreams(), 100u);
  // Answer in reverse order.
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    p.respond(*it, 200, "body of " + p.cb.streams[*it].head.path);
  }
  p.pump();
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(p.client.streams[ids[i]].body, "body of /s/" + std::to_string(i));
  }
  EXPECT_TRUE(p.server->idle());
  // Stream objects are recycled: a second wave allocates nothing new.
  for (int i = 0; i < 100; ++i) ids[i] = p.client.request("GET", "/again");
  p.pump();
  EXPECT_EQ(p.server->liveStreams(), 100u);
}

TEST(Http2ServerCodec, ConcurrencyLimitRefusesExtraStreams) {
  Limits l;
  l.max_concurrent_streams = 4;
  Pair p(l);
  p.pump();
  // A client ignoring the limit: six requests at once (raw frames, as nghttp2's own client
  // would queue them).
  std::string raw;
  for (int32_t id = 1; id <= 11; id += 2) {
    raw += frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, id,
                 simpleGetBlock());
  }
  p.feedRaw(raw);
  EXPECT_TRUE(p.last.ok);
  EXPECT_EQ(p.cb.order.size(), 4u);  // the rest were refused (RST_STREAM REFUSED_STREAM)
  EXPECT_EQ(p.server->liveStreams(), 4u);
}

TEST(Http2ServerCodec, HostOnlyBecomesAuthorityAndAuthorityWinsOverHost) {
  Pair p;
  p.pump();
  const int32_t a = p.client.request("GET", "/", {{"host", "other.example"}});
  const int32_t b = p.client.request("GET", "/", {{"host", "only-host.example"}}, nullptr, {}, "");
  p.pump();
  EXPECT_EQ(p.cb.streams[a].head.authority, "example.com");
  EXPECT_EQ(p.cb.streams[a].head.headers.get("host").value_or(""), "example.com");
  EXPECT_EQ(p.cb.streams[b].head.authority, "only-host.example");
  EXPECT_EQ(p.cb.streams[b].head.headers.get("host").value_or(""), "only-host.example");
}

TEST(Http2ServerCodec, CookieCrumbsJoined) {
  Pair p;
  p.pump();
  const int32_t id =
      p.client.request("GET", "/", {{"cookie", "a=1"}, {"x", "y"}, {"cookie", "b=2"}});
  p.pump();
  const auto& h = p.cb.streams[id].head.headers;
  EXPECT_EQ(h.get("cookie").value_or(""), "a=1; b=2");
  size_t cookies = 0;
  for (http::HeaderField f : h) cookies += f.name == "cookie";
  EXPECT_EQ(cookies, 1u);
}

TEST(Http2ServerCodec, ExtendedConnectExposesProtocol) {
  Pair p;
  p.pump();
  const std::string first_message = "frame";
  const int32_t id = p.client.request("CONNECT", "/chat",
                                      {{":protocol", "websocket"}, {"sec-websocket-version", "13"}},
                                      &first_message);
  p.pump();
  ASSERT_EQ(p.cb.streams.count(id), 1u);
  const auto& h = p.cb.streams[id].head;
  EXPECT_TRUE(h.isExtendedConnect());
  EXPECT_EQ(h.protocol, "websocket");
  EXPECT_EQ(h.path, "/chat");
  EXPECT_FALSE(p.cb.streams[id].head_end_stream);
}

TEST(Http2ServerCodec, PlainConnect) {
  Pair p;
  p.pump();
  const int32_t id = p.client.request("CONNECT", "", {}, nullptr, {}, "backend:443");
  p.pump();
  ASSERT_EQ(p.cb.streams.count(id), 1u);
  EXPECT_EQ(p.cb.streams[id].head.authority, "backend:443");
  EXPECT_FALSE(p.cb.streams[id].head.isExtendedConnect());
}

TEST(Http2ServerCodec, ClientResetReportsStreamReset) {
  Pair p;
  p.pump();
  const int32_t id = p.client.request("GET", "/slow");
  p.pump();
  nghttp2_submit_rst_stream(p.client.session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  p.pump();
  EXPECT_TRUE(p.cb.streams[id].reset);
  EXPECT_EQ(p.cb.streams[id].reset_code, uint32_t{NGHTTP2_CANCEL});
  EXPECT_TRUE(p.server->idle());
  // Submitting to a dead stream is refused, not a crash.
  http::ResponseHead h;
  h.status = 200;
  EXPECT_FALSE(p.server->submitResponseHead(id, h, true).ok);
}

TEST(Http2ServerCodec, CallerResetSendsRstAndNoCallback) {
  Pair p;
  p.pump();
  const int32_t id = p.client.request("GET", "/");
  p.pump();
  p.server->resetStream(id, NGHTTP2_REFUSED_STREAM);
  p.pump();
  EXPECT_TRUE(p.client.streams[id].rst_received);
  EXPECT_EQ(p.client.streams[id].close_code, uint32_t{NGHTTP2_REFUSED_STREAM});
  EXPECT_FALSE(p.cb.streams[id].reset);
  EXPECT_FALSE(p.cb.streams[id].closed);
  EXPECT_TRUE(p.server->idle());
}

TEST(Http2ServerCodec, ResponseInsideOnRequestHead) {
  Pair p;
  p.pump();
  p.cb.on_head = [&](int32_t id, bool) { p.respond(id, 404, "not here"); };
  const int32_t id = p.client.request("GET", "/missing");
  p.pump();
  EXPECT_EQ(p.client.streams[id].status, 404);
  EXPECT_EQ(p.client.streams[id].body, "not here");
}

TEST(Http2ServerCodec, BadPrefaceFailsWithGoaway) {
  buffer::BufferPool pool;
  RecordingCallbacks cb;
  Http2ServerCodec server(pool, cb, Limits());
  const std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  Status st = server.feed(reinterpret_cast<const uint8_t*>(junk.data()), junk.size());
  EXPECT_FALSE(st.ok);
  EXPECT_EQ(st.error_code, uint32_t{NGHTTP2_PROTOCOL_ERROR});
  EXPECT_STREQ(connStateName(server.state()), "failed");
  buffer::Buffer out;
  EXPECT_TRUE(server.wantsWrite());
  const size_t n = server.flushTo(out);
  // SETTINGS first (server preface), then GOAWAY(PROTOCOL_ERROR).
  ASSERT_EQ(n, 9u + 17u);
  EXPECT_EQ(out.data()[3], 0x4);
  EXPECT_EQ(out.data()[9 + 3], 0x7);
  EXPECT_EQ(static_cast<uint8_t>(out.data()[9 + 16]), NGHTTP2_PROTOCOL_ERROR);
  EXPECT_TRUE(server.shouldClose());
  EXPECT_FALSE(server.wantsWrite());
  out.release(pool);
}

}  // namespace
}  // namespace portico::http2::test
