// RFC 9113 §8.2-§8.3 rejections: each malformed request is reset with PROTOCOL_ERROR and never
// reaches the layer above; the connection stays usable.
#include <gtest/gtest.h>

#include "h2_test_peer.h"
#include "http/http2/server_codec.h"

namespace portico::http2::test {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Sends a request with `extra` fields; expects a stream reset with PROTOCOL_ERROR, no callback,
// and a following good request to work.
void expectRejected(const Fields& extra, const std::string& method = "GET") {
  Pair p;
  p.pump();
  const int32_t bad = p.client.request(method, "/", extra);
  p.pump();
  EXPECT_EQ(p.cb.streams.count(bad), 0u) << extra[0].first;
  EXPECT_TRUE(p.client.streams[bad].closed) << extra[0].first;
  EXPECT_EQ(p.client.streams[bad].close_code, uint32_t{NGHTTP2_PROTOCOL_ERROR}) << extra[0].first;
  const int32_t good = p.client.request("GET", "/ok");
  p.pump();
  ASSERT_EQ(p.cb.streams.count(good), 1u);
  EXPECT_TRUE(p.server->idle() == false);
  EXPECT_TRUE(p.last.ok);
}

TEST(Http2Rejection, ConnectionSpecificFields) {
  expectRejected({{"connection", "keep-alive"}});
  expectRejected({{"keep-alive", "timeout=5"}});
  expectRejected({{"proxy-connection", "keep-alive"}});
  expectRejected({{"transfer-encoding", "chunked"}});
  expectRejected({{"upgrade", "websocket"}});
}

TEST(Http2Rejection, TeOtherThanTrailers) {
  expectRejected({{"te", "gzip"}});
  expectRejected({{"te", "trailers, deflate"}});
}

TEST(Http2Rejection, UpperCaseName) {
  Pair p;
  p.pump();
  // nghttp2 lower-cases names it copies; NO_COPY_NAME sends the name as is (static storage).
  static const std::string kNames[] = {":method", ":scheme", ":path", ":authority", "X-Upper"};
  static const std::string kValues[] = {"GET", "https", "/", "a", "1"};
  std::vector<nghttp2_nv> nv;
  for (int i = 0; i < 5; ++i) {
    nghttp2_nv n = ClientPeer::makeNv(kNames[i], kValues[i]);
    n.flags = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
    nv.push_back(n);
  }
  const int32_t id =
      nghttp2_submit_request(p.client.session, nullptr, nv.data(), nv.size(), nullptr, nullptr);
  p.pump();
  EXPECT_EQ(p.cb.streams.count(id), 0u);
  EXPECT_EQ(p.client.streams[id].close_code, uint32_t{NGHTTP2_PROTOCOL_ERROR});
  const int32_t good = p.client.request("GET", "/ok");
  p.pump();
  EXPECT_EQ(p.cb.streams.count(good), 1u);
}

TEST(Http2Rejection, BadPseudoHeaders) {
  expectRejected({{":path", "/again"}});         // duplicate
  expectRejected({{":unknown", "x"}});           // unknown pseudo-header
  expectRejected({{":protocol", "websocket"}});  // :protocol without CONNECT
}

TEST(Http2Rejection, PseudoHeaderAfterRegularField) {
  Pair p;
  p.pump();
  // Built by hand: regular field first, then pseudo-headers.
  std::vector<std::pair<std::string, std::string>> h = {
      {"accept", "*/*"}, {":method", "GET"}, {":scheme", "https"}, {":path", "/"}};
  std::vector<nghttp2_nv> nv;
  for (auto& [n, v] : h) nv.push_back(ClientPeer::makeNv(n, v));
  const int32_t id =
      nghttp2_submit_request(p.client.session, nullptr, nv.data(), nv.size(), nullptr, nullptr);
  p.pump();
  EXPECT_EQ(p.cb.streams.count(id), 0u);
  EXPECT_EQ(p.client.streams[id].close_code, uint32_t{NGHTTP2_PROTOCOL_ERROR});
}

TEST(Http2Rejection, ContentLengthMismatch) {
  Pair p;
  p.pump();
  const std::string body = "12345";
  p.cb.on_data = [&](int32_t id, size_t n, bool) { p.server->consumeRequestData(id, n); };
  const int32_t id = p.client.request("POST", "/", {{"content-length", "3"}}, &body);
  p.pump();
  // The head was fine and delivered; the body broke the promise: the stream is reset.
  ASSERT_EQ(p.cb.streams.count(id), 1u);
  EXPECT_TRUE(p.cb.streams[id].reset);
  EXPECT_EQ(p.client.streams[id].close_code, uint32_t{NGHTTP2_PROTOCOL_ERROR});
}

TEST(Http2Rejection, MalformedTrailers) {
  Pair p;
  p.pump();
  const std::string body = "b";
  const int32_t id = p.client.request("POST", "/", {}, &body, {{"connection", "close"}});
  p.pump();
  ASSERT_EQ(p.cb.streams.count(id), 1u);
  EXPECT_FALSE(p.cb.streams[id].got_trailers);
  EXPECT_TRUE(p.cb.streams[id].reset);
}

TEST(Http2Rejection, ResponseDropsConnectionSpecificFields) {
  Pair p;
  p.pump();
  const int32_t id = p.client.request("GET", "/");
  p.pump();
  http::ResponseHead h;
  h.status = 200;
  h.headers.add("Connection", "close");  // copied from an HTTP/1 upstream
  h.headers.add("Transfer-Encoding", "chunked");
  h.headers.add("Keep-Alive", "timeout=5");
  h.headers.add("X-Kept", "yes");
  ASSERT_TRUE(p.server->submitResponseHead(id, h, true).ok);
  p.pump();
  const auto& c = p.client.streams[id];
  EXPECT_EQ(c.status, 200);
  for (auto& [n, v] : c.headers) {
    EXPECT_NE(n, "connection");
    EXPECT_NE(n, "transfer-encoding");
    EXPECT_NE(n, "keep-alive");
  }
  EXPECT_EQ(c.headers.back().first, "x-kept");
  EXPECT_TRUE(c.closed);
  EXPECT_EQ(c.close_code, 0u);
}

}  // namespace
}  // namespace portico::http2::test
