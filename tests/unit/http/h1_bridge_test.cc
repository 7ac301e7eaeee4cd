// http::bridge: neutral heads <-> HTTP/1.1 bytes, and the incremental body reader.
#include "http/h1_bridge.h"

#include <gtest/gtest.h>

#include <string>

namespace portico::http::bridge {
namespace {

RequestHead request(std::string method, std::string path, std::string authority = "a.test") {
  RequestHead h;
  h.method = method;
  h.method_id = lookupMethod(method);
  h.scheme = "https";
  h.authority = authority;
  h.path = path;
  return h;
}

TEST(H1Bridge, GetWithoutBody) {
  RequestHead h = request("GET", "/x?y=1");
  h.headers.add("user-agent", "t");
  h.headers.add("host", "a.test");
  h.headers.add("te", "trailers");
  uint64_t key[2] = {1, 2};
  std::string out;
  const char* error = nullptr;
  EXPECT_EQ(appendRequestHead(h, true, key, out, error), BodyMode::None);
  EXPECT_EQ(error, nullptr);
  EXPECT_EQ(out,
            "GET /x?y=1 HTTP/1.1\r\nhost: a.test\r\nuser-agent: t\r\nconnection: close\r\n\r\n");
}

TEST(H1Bridge, BodyFramingAndCookies) {
  RequestHead h = request("POST", "/p");
  h.headers.add("cookie", "a=1");
  h.headers.add("x", "y");
  h.headers.add("cookie", "b=2");
  uint64_t key[2] = {0, 0};
  std::string out;
  const char* error = nullptr;
  EXPECT_EQ(appendRequestHead(h, false, key, out, error), BodyMode::Chunked);
  EXPECT_EQ(out,
            "POST /p HTTP/1.1\r\nhost: a.test\r\nx: y\r\ncookie: a=1; b=2\r\n"
            "transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
  out.clear();
  h.content_length = 5;
  h.headers.add("content-length", "5");
  EXPECT_EQ(appendRequestHead(h, false, key, out, error), BodyMode::Length);
  EXPECT_NE(out.find("content-length: 5\r\n"), std::string::npos);
  EXPECT_EQ(out.find("transfer-encoding"), std::string::npos);
  EXPECT_EQ(out.find("content-length: 5\r\ncontent-length"), std::string::npos);
}

TEST(H1Bridge, ExtendedConnectBecomesUpgrade) {
  RequestHead h = request("CONNECT", "/chat");
  h.protocol = "websocket";
  h.headers.add("sec-websocket-version", "13");
  uint64_t key[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  std::string out;
  const char* error = nullptr;
  EXPECT_EQ(appendRequestHead(h, false, key, out, error), BodyMode::Tunnel);
  EXPECT_EQ(out,
            "GET /chat HTTP/1.1\r\nhost: a.test\r\nsec-websocket-version: 13\r\n"
            "upgrade: websocket\r\nconnection: upgrade, close\r\n"
            "sec-websocket-key: AAECAwQFBgcICQoLDA0ODw==\r\n\r\n");
  h.protocol = "something-else";
  out.clear();
  appendRequestHead(h, false, key, out, error);
  EXPECT_STREQ(error, "unsupported :protocol");
  EXPECT_TRUE(out.empty());
}

TEST(H1Bridge, ResponseHeadFraming) {
  ResponseHead r;
  r.status = 200;
  r.headers.add("content-type", "application/grpc");
  std::string out;
  EXPECT_TRUE(appendResponseHead(r, false, out));
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\n"
            "transfer-encoding: chunked\r\n\r\n");
  out.clear();  // trailers-only (ends with the head): an explicit empty body
  EXPECT_FALSE(appendResponseHead(r, true, out));
  EXPECT_NE(out.find("content-length: 0\r\n"), std::string::npos);
  out.clear();
  r.status = 204;
  EXPECT_FALSE(appendResponseHead(r, false, out));
  EXPECT_EQ(out.find("content-length"), std::string::npos);
  out.clear();
  r.status = 200;
  r.headers.add("content-length", "3");
  EXPECT_FALSE(appendResponseHead(r, false, out));
  EXPECT_EQ(out.find("transfer-encoding"), std::string::npos);
}

TEST(H1Bridge, ChunksAndTrailers) {
  std::string out;
  const std::string data = "hello";
  appendChunk({reinterpret_cast<const uint8_t*>(data.data()), data.size()}, out);
  appendChunk({}, out);  // nothing for empty data (it would end the body)
  HeaderList t;
  t.add("grpc-status", "0");
  t.add("grpc-message", "ok");
  appendLastChunk(&t, out);
  EXPECT_EQ(out, "5\r\nhello\r\n0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n");
}

struct Collect : BodyReader::Sink {
  std::string data;
  int ends = 0;
  HeaderList trailers;
  void onBodyData(std::span<const uint8_t> d) override {
    data.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void onBodyEnd(const HeaderList* t) override {
    ++ends;
    if (t)
      for (HeaderField f : *t) trailers.add(f.name, f.value);
  }
};

TEST(H1Bridge, BodyReaderChunkedSplitAnywhere) {
  const std::string body =
      "4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nx-checksum: abc\r\nX-Done: yes\r\n\r\n";
  for (size_t cut1 = 0; cut1 <= body.size(); ++cut1) {
    for (size_t cut2 = cut1; cut2 <= body.size(); cut2 += 3) {
      BodyReader r;
      Collect c;
      r.start(http1::BodyFraming::Chunked, 0);
      ASSERT_TRUE(r.feed(body.substr(0, cut1), c));
      ASSERT_TRUE(r.feed(body.substr(cut1, cut2 - cut1), c));
      ASSERT_TRUE(r.feed(body.substr(cut2), c));
      EXPECT_TRUE(r.done());
      EXPECT_EQ(c.data, "wikipedia") << cut1 << "," << cut2;
      EXPECT_EQ(c.ends, 1);
      ASSERT_EQ(c.trailers.size(), 2u);
      EXPECT_EQ(c.trailers.get("x-done").value_or(""), "yes");
    }
  }
}

TEST(H1Bridge, BodyReaderLengthUntilCloseAndErrors) {
  BodyReader r;
  Collect c;
  r.start(http1::BodyFraming::ContentLength, 4);
  EXPECT_TRUE(r.feed("ab", c));
  EXPECT_FALSE(r.done());
  EXPECT_FALSE(r.finish(c));  // cut short
  EXPECT_TRUE(r.feed("cdEXTRA", c));
  EXPECT_TRUE(r.done());
  EXPECT_EQ(c.data, "abcd");
  EXPECT_EQ(c.ends, 1);

  Collect u;
  r.start(http1::BodyFraming::UntilClose, 0);
  EXPECT_TRUE(r.feed("xyz", u));
  EXPECT_TRUE(r.finish(u));
  EXPECT_EQ(u.data, "xyz");
  EXPECT_EQ(u.ends, 1);

  Collect e;
  r.start(http1::BodyFraming::Chunked, 0);
  EXPECT_FALSE(r.feed("zz\r\n", e));

  r.start(http1::BodyFraming::None, 0);
  EXPECT_TRUE(r.done());
}

TEST(H1Bridge, ParseFieldLines) {
  HeaderList l;
  parseFieldLines("A: 1\r\nb:\t two \r\nbad line\r\n:x\r\n", l);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].name, "a");
  EXPECT_EQ(l[1].value, "two");
}

}  // namespace
}  // namespace portico::http::bridge
