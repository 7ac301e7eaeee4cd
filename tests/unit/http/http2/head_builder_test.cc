// HeadBuilder and HeaderList on their own (no nghttp2): the RFC 9113 mapping rules.
#include "http/http2/head_builder.h"

#include <gtest/gtest.h>

#include "http/message.h"

namespace portico::http2 {
namespace {

HeadStatus build(HeadBuilder& b, std::vector<std::pair<std::string, std::string>> fields,
                 HeadKind kind = HeadKind::Request, uint32_t limit = 65536) {
  b.begin(kind, limit);
  for (auto& [n, v] : fields) {
    if (b.add(n, v) != HeadStatus::Ok) return b.status();
  }
  return b.finish();
}

TEST(Http2HeadBuilder, MapsPseudoHeaders) {
  HeadBuilder b;
  ASSERT_EQ(build(b, {{":method", "PUT"},
                      {":scheme", "http"},
                      {":authority", "h:8080"},
                      {":path", "/x"},
                      {"content-length", "12"}}),
            HeadStatus::Ok);
  const auto& r = b.request();
  EXPECT_EQ(r.method_id, http::Method::Put);
  EXPECT_EQ(r.scheme, "http");
  EXPECT_EQ(r.authority, "h:8080");
  EXPECT_EQ(r.path, "/x");
  EXPECT_EQ(r.content_length, 12);
  EXPECT_EQ(r.headers.get("host").value_or(""), "h:8080");
  EXPECT_EQ(r.headers.get(http::HeaderId::ContentLength).value_or(""), "12");
}

TEST(Http2HeadBuilder, RejectsWhatRfc9113Forbids) {
  HeadBuilder b;
  const std::vector<std::pair<std::string, std::string>> base = {
      {":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {":authority", "a"}};
  auto with = [&](std::pair<std::string, std::string> f) {
    auto v = base;
    v.push_back(f);
    return v;
  };
  EXPECT_EQ(build(b, with({"connection", "close"})), HeadStatus::Malformed);
  EXPECT_EQ(build(b, with({"keep-alive", "1"})), HeadStatus::Malformed);
  EXPECT_EQ(build(b, with({"proxy-connection", "1"})), HeadStatus::Malformed);
  EXPECT_EQ(build(b, with({"transfer-encoding", "chunked"})), HeadStatus::Malformed);
  EXPECT_EQ(build(b, with({"upgrade", "h2c"})), HeadStatus::Malformed);
  EXPECT_EQ(build(b, with({"te", "gzip"})), HeadStatus::Malformed);
  EXPECT_EQ(build(b, with({"te", "trailers"})), HeadStatus::Ok);
  EXPECT_EQ(build(b, with({"Accept", "x"})), HeadStatus::Malformed);
  EXPECT_EQ(build(b, with({":path", "/2"})), HeadStatus::Malformed);
  EXPECT_EQ(build(b, with({"content-length", "abc"})), HeadStatus::Malformed);
  EXPECT_STREQ(b.reason(), "bad content-length");
  EXPECT_EQ(build(b, {{":method", "GET"}, {":path", "/"}}), HeadStatus::Malformed);
  EXPECT_EQ(build(b, {{":method", "GET"}, {":scheme", "https"}, {":path", "x"}}),
            HeadStatus::Malformed);
  EXPECT_EQ(build(b, {{"accept", "x"}, {":method", "GET"}}), HeadStatus::Malformed);
  EXPECT_EQ(build(b, {{":method", "CONNECT"}, {":authority", "a:1"}, {":path", "/"}}),
            HeadStatus::Malformed);
  EXPECT_EQ(build(b, {{":method", "CONNECT"}, {":authority", "a:1"}}), HeadStatus::Ok);
  EXPECT_EQ(build(b, {{":method", "OPTIONS"}, {":scheme", "https"}, {":path", "*"}}),
            HeadStatus::Ok);
  EXPECT_STREQ(headStatusName(HeadStatus::Malformed), "malformed");
}

TEST(Http2HeadBuilder, HostAndCookies) {
  HeadBuilder b;
  ASSERT_EQ(build(b, {{":method", "GET"},
                      {":scheme", "https"},
                      {":path", "/"},
                      {"host", "from-host"},
                      {"cookie", "a=1"},
                      {"cookie", "b=2"},
                      {"cookie", "c=3"}}),
            HeadStatus::Ok);
  EXPECT_EQ(b.request().authority, "from-host");
  EXPECT_EQ(b.request().headers.get("cookie").value_or(""), "a=1; b=2; c=3");
  ASSERT_EQ(build(b, {{":method", "GET"},
                      {":scheme", "https"},
                      {":path", "/"},
                      {":authority", "auth"},
                      {"host", "other"}}),
            HeadStatus::Ok);
  EXPECT_EQ(b.request().authority, "auth");
  EXPECT_EQ(b.request().headers.get("host").value_or(""), "auth");
}

TEST(Http2HeadBuilder, SizeLimitIsStickyAndCheap) {
  HeadBuilder b;
  b.begin(HeadKind::Request, 1000);
  EXPECT_EQ(b.add(":method", "GET"), HeadStatus::Ok);
  EXPECT_EQ(b.add("x", std::string(2000, 'v')), HeadStatus::TooLarge);
  const uint32_t size = b.listSize();
  EXPECT_EQ(b.add("y", "z"), HeadStatus::TooLarge);
  EXPECT_EQ(b.listSize(), size);  // no more work once rejected
  EXPECT_EQ(b.finish(), HeadStatus::TooLarge);
  EXPECT_TRUE(b.request().headers.empty());
}

TEST(Http2HeadBuilder, ResponseAndTrailers) {
  HeadBuilder b;
  ASSERT_EQ(build(b, {{":status", "204"}, {"server", "x"}}, HeadKind::Response), HeadStatus::Ok);
  EXPECT_EQ(b.response().status, 204);
  EXPECT_EQ(build(b, {{":status", "20"}}, HeadKind::Response), HeadStatus::Malformed);
  EXPECT_EQ(build(b, {{"server", "x"}}, HeadKind::Response), HeadStatus::Malformed);
  ASSERT_EQ(build(b, {{"grpc-status", "0"}}, HeadKind::Trailers), HeadStatus::Ok);
  EXPECT_EQ(b.trailers().get("grpc-status").value_or(""), "0");
  EXPECT_EQ(build(b, {{":status", "200"}}, HeadKind::Trailers), HeadStatus::Malformed);
}

TEST(Http2HeaderList, AddSetRemove) {
  http::HeaderList h;
  h.add("Content-Type", "text/html");
  h.add("x-a", "1");
  h.add("x-a", "2");
  h.add("x-b", "3");
  EXPECT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0].name, "content-type");
  EXPECT_EQ(h[0].id, http::HeaderId::Other);
  EXPECT_EQ(h.get("x-a").value_or(""), "1");
  EXPECT_EQ(h.listSize(), std::string("content-typetext/htmlx-a1x-a2x-b3").size() + 4 * 32);
  h.set("x-a", "9");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[1].name, "x-a");  // at the first one's position
  EXPECT_EQ(h[1].value, "9");
  EXPECT_EQ(h.remove("x-b"), 1u);
  EXPECT_EQ(h.remove("nope"), 0u);
  EXPECT_EQ(h.size(), 2u);
  h.set("host", "h");
  EXPECT_EQ(h.get(http::HeaderId::Host).value_or(""), "h");
  size_t n = 0;
  for (http::HeaderField f : h) n += f.value.size();
  EXPECT_EQ(n, std::string("text/html9h").size());
  h.clear();
  EXPECT_TRUE(h.empty());
}

}  // namespace
}  // namespace portico::http2
