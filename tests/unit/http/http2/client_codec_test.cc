// Http2ClientCodec against Http2ServerCodec, in memory: the upstream and downstream halves
// of portico's HTTP/2 speaking to each other with the same message model.
#include "http/http2/client_codec.h"

#include <gtest/gtest.h>

#include "h2_test_peer.h"
#include "http/http2/server_codec.h"

namespace portico::http2::test {
namespace {

struct ClientLog {
  std::vector<http::ResponseHead> heads;  // 1xx and final, in order
  bool head_end_stream = false;
  std::string body;
  bool ended = false;
  http::HeaderList trailers;
  bool closed = false;
  bool reset = false;
  uint32_t reset_code = 0;
};

class ClientRecorder : public ClientCallbacks {
 public:
  std::map<int32_t, ClientLog> streams;
  int goaways = 0;
  int32_t goaway_last = -1;
  void onResponseHead(int32_t id, http::ResponseHead&& head, bool end_stream) override {
    streams[id].heads.push_back(std::move(head));
    streams[id].head_end_stream = end_stream;
    if (end_stream) streams[id].ended = true;
  }
  void onResponseData(int32_t id, std::span<const uint8_t> d, bool end_stream) override {
    streams[id].body.append(reinterpret_cast<const char*>(d.data()), d.size());
    if (end_stream) streams[id].ended = true;
  }
  void onResponseTrailers(int32_t id, http::HeaderList&& t) override {
    streams[id].trailers = std::move(t);
    streams[id].ended = true;
  }
  void onStreamReset(int32_t id, uint32_t code) override {
    streams[id].reset = true;
    streams[id].reset_code = code;
  }
  void onStreamClosed(int32_t id) override { streams[id].closed = true; }
  void onStreamWritable(int32_t) override {}
  void onGoawayReceived(int32_t last, uint32_t) override {
    ++goaways;
    goaway_last = last;
  }
};

struct Link {
  buffer::BufferPool pool;
  RecordingCallbacks server_cb;
  ClientRecorder client_cb;
  Http2ServerCodec server;
  Http2ClientCodec client;
  buffer::Buffer buf;
  explicit Link(Limits server_limits = Limits(), Limits client_limits = Limits())
      : server(pool, server_cb, server_limits), client(pool, client_cb, client_limits) {}
  ~Link() { buf.release(pool); }
  void pump() {
    for (int i = 0; i < 100; ++i) {
      bool progress = false;
      while (client.wantsWrite() && client.flushTo(buf) > 0) {
        progress = true;
        server.feed(reinterpret_cast<const uint8_t*>(buf.data()), buf.size());
        buf.consume(buf.size());
      }
      while (server.wantsWrite() && server.flushTo(buf) > 0) {
        progress = true;
        client.feed(reinterpret_cast<const uint8_t*>(buf.data()), buf.size());
        buf.consume(buf.size());
      }
      if (!progress) return;
    }
  }
  static http::RequestHead get(const std::string& path) {
    http::RequestHead h;
    h.method = "GET";
    h.method_id = http::Method::Get;
    h.scheme = "https";
    h.authority = "backend.internal";
    h.path = path;
    h.headers.add("host", "backend.internal");  // dropped: travels as :authority
    h.headers.add("connection", "keep-alive");  // dropped: connection-specific
    h.headers.add("accept", "*/*");
    return h;
  }
};

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Http2ClientCodec, GetThroughToServerCodec) {
  Link l;
  l.pump();
  ASSERT_TRUE(l.client.canStartStream());
  const int32_t id = l.client.submitRequest(Link::get("/x"), true);
  ASSERT_GT(id, 0);
  l.pump();
  ASSERT_EQ(l.server_cb.streams.count(id), 1u);
  const auto& req = l.server_cb.streams[id].head;
  EXPECT_EQ(req.path, "/x");
  EXPECT_EQ(req.authority, "backend.internal");
  EXPECT_EQ(req.headers.get("accept").value_or(""), "*/*");
  EXPECT_FALSE(req.headers.get("connection").has_value());

  http::ResponseHead r;
  r.status = 200;
  r.headers.add("content-type", "text/plain");
  ASSERT_TRUE(l.server.submitResponseHead(id, r, false).ok);
  ASSERT_TRUE(l.server.submitResponseData(id, bytes("payload"), true).ok);
  l.pump();
  auto& c = l.client_cb.streams[id];
  ASSERT_EQ(c.heads.size(), 1u);
  EXPECT_EQ(c.heads[0].status, 200);
  EXPECT_EQ(c.heads[0].headers.get("content-type").value_or(""), "text/plain");
  EXPECT_EQ(c.body, "payload");
  EXPECT_TRUE(c.ended);
  EXPECT_TRUE(c.closed);
  EXPECT_TRUE(l.client.idle());
}

TEST(Http2ClientCodec, GrpcStyleBodyAndTrailersBothWays) {
  Link l;
  l.pump();
  http::RequestHead h = Link::get("/pkg.Svc/Method");
  h.method = "POST";
  h.method_id = http::Method::Post;
  h.headers.add("te", "trailers");
  h.headers.add("content-type", "application/grpc");
  const int32_t id = l.client.submitRequest(h, false);
  ASSERT_GT(id, 0);
  l.server_cb.on_data = [&](int32_t sid, size_t n, bool) { l.server.consumeRequestData(sid, n); };
  ASSERT_TRUE(l.client.submitRequestData(id, bytes("msg1"), false).ok);
  l.pump();
  ASSERT_TRUE(l.client.submitRequestData(id, bytes("msg2"), false).ok);
  http::HeaderList t;
  t.add("x-client-trailer", "1");
  ASSERT_TRUE(l.client.submitTrailers(id, t).ok);
  l.pump();
  auto& s = l.server_cb.streams[id];
  EXPECT_EQ(s.head.headers.get("te").value_or(""), "trailers");
  EXPECT_EQ(s.body, "msg1msg2");
  ASSERT_TRUE(s.got_trailers);
  EXPECT_EQ(s.trailers.get("x-client-trailer").value_or(""), "1");

  http::ResponseHead r;
  r.status = 200;
  ASSERT_TRUE(l.server.submitResponseHead(id, r, false).ok);
  ASSERT_TRUE(l.server.submitResponseData(id, bytes("reply"), false).ok);
  http::HeaderList rt;
  rt.add("grpc-status", "0");
  rt.add("grpc-message", "");
  ASSERT_TRUE(l.server.submitTrailers(id, rt).ok);
  l.pump();
  auto& c = l.client_cb.streams[id];
  EXPECT_EQ(c.body, "reply");
  EXPECT_EQ(c.trailers.get("grpc-status").value_or("?"), "0");
  EXPECT_TRUE(c.closed);
  EXPECT_TRUE(l.server_cb.streams[id].closed);
}

TEST(Http2ClientCodec, InformationalThenFinalAndHeadOnly) {
  Link l;
  l.pump();
  const int32_t id = l.client.submitRequest(Link::get("/"), true);
  l.pump();
  http::ResponseHead cont;
  cont.status = 103;
  cont.headers.add("link", "</style.css>; rel=preload");
  ASSERT_TRUE(l.server.submitResponseHead(id, cont, false).ok);
  http::ResponseHead fin;
  fin.status = 304;
  ASSERT_TRUE(l.server.submitResponseHead(id, fin, true).ok);
  l.pump();
  auto& c = l.client_cb.streams[id];
  ASSERT_EQ(c.heads.size(), 2u);
  EXPECT_EQ(c.heads[0].status, 103);
  EXPECT_EQ(c.heads[1].status, 304);
  EXPECT_TRUE(c.head_end_stream);
  EXPECT_TRUE(c.closed);
}

TEST(Http2ClientCodec, ServerResetAndGoawayRefusal) {
  Link l;
  l.pump();
  const int32_t a = l.client.submitRequest(Link::get("/a"), true);
  l.pump();
  l.server.resetStream(a, NGHTTP2_INTERNAL_ERROR);
  l.pump();
  EXPECT_TRUE(l.client_cb.streams[a].reset);
  EXPECT_EQ(l.client_cb.streams[a].reset_code, uint32_t{NGHTTP2_INTERNAL_ERROR});

  // The server drains; a request it never saw is refused (safe to retry).
  const int32_t b = l.client.submitRequest(Link::get("/b"), true);
  l.server.finishGracefulShutdown();
  ASSERT_GT(l.server.flushTo(l.buf), 0u);
  l.client.feed(reinterpret_cast<const uint8_t*>(l.buf.data()), l.buf.size());
  l.buf.consume(l.buf.size());
  l.pump();
  EXPECT_EQ(l.client_cb.goaways, 1);
  EXPECT_EQ(l.client_cb.goaway_last, a);
  EXPECT_TRUE(l.client_cb.streams[b].reset);
  EXPECT_EQ(l.client_cb.streams[b].reset_code, uint32_t{NGHTTP2_REFUSED_STREAM});
  EXPECT_FALSE(l.client.canStartStream());
  EXPECT_EQ(l.client.submitRequest(Link::get("/c"), true), 0);
}

TEST(Http2ClientCodec, RespectsServerConcurrencyAndFlowControl) {
  Limits server_limits;
  server_limits.max_concurrent_streams = 2;
  Limits client_limits;
  client_limits.initial_stream_window = 1000;
  client_limits.connection_window = 65535;
  Link l(server_limits, client_limits);
  l.pump();
  const int32_t a = l.client.submitRequest(Link::get("/a"), true);
  const int32_t b = l.client.submitRequest(Link::get("/b"), true);
  EXPECT_GT(a, 0);
  EXPECT_GT(b, 0);
  EXPECT_FALSE(l.client.canStartStream());  // the server allows 2
  EXPECT_EQ(l.client.submitRequest(Link::get("/c"), true), 0);
  l.pump();
  http::ResponseHead r;
  r.status = 200;
  ASSERT_TRUE(l.server.submitResponseHead(a, r, false).ok);
  ASSERT_TRUE(l.server.submitResponseData(a, bytes(std::string(5000, 'r')), true).ok);
  l.pump();
  // The client opened 1000 bytes of window and consumed none: the rest waits at the server.
  EXPECT_EQ(l.client_cb.streams[a].body.size(), 1000u);
  EXPECT_EQ(l.server.queuedBytes(a), 4000u);
  for (int i = 0; i < 4; ++i) {
    l.client.consumeResponseData(a, 1000);
    l.pump();
  }
  EXPECT_EQ(l.client_cb.streams[a].body.size(), 5000u);
  EXPECT_TRUE(l.client_cb.streams[a].closed);
  EXPECT_TRUE(l.client.canStartStream());
}

// Responses nghttp2's own checks reject (here an upper-case field name: nghttp2 resets the
// stream without asking the codec) count against max_stream_errors like the ones HeadBuilder
// rejects: a backend that keeps sending them gets GOAWAY(ENHANCE_YOUR_CALM), as a client does
// on the server side. Found by the http2_client fuzzer (seed stream_error_limit).
TEST(Http2ClientCodec, NghttpRejectedResponsesCountAsStreamErrors) {
  buffer::BufferPool pool;
  ClientRecorder cb;
  Limits limits;
  limits.max_stream_errors = 3;
  buffer::Buffer out;
  {
    Http2ClientCodec client(pool, cb, limits);
    auto flush = [&] {
      while (client.wantsWrite() && client.flushTo(out) > 0) out.consume(out.size());
    };
    auto feed = [&](const std::string& wire) {
      return client.feed(reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
    };
    flush();
    ASSERT_TRUE(feed(frame(NGHTTP2_SETTINGS, 0, 0, "")).ok);
    std::string block = "\x88";  // :status 200, then the literal field "X-Upper: 1"
    block += std::string("\0\7", 2) + "X-Upper" + std::string("\1", 1) + "1";
    Status st;
    int streams = 0;
    while (streams < 10 && st.ok) {
      const int32_t id = client.submitRequest(Link::get("/"), true);
      ASSERT_GT(id, 0);
      ++streams;
      flush();
      st = feed(frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, id, block));
      EXPECT_TRUE(cb.streams[id].heads.empty());
      if (st.ok) {
        flush();  // the stream closes once its RST_STREAM is out
        EXPECT_TRUE(cb.streams[id].reset);
      }
    }
    EXPECT_FALSE(st.ok);
    EXPECT_EQ(st.error_code, uint32_t{NGHTTP2_ENHANCE_YOUR_CALM}) << st.reason;
    EXPECT_EQ(streams, 4);  // three tolerated, the fourth fails the connection
    flush();
    EXPECT_TRUE(client.shouldClose());
  }
  out.release(pool);
}

}  // namespace
}  // namespace portico::http2::test
