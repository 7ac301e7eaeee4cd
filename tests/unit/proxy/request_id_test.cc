#include "proxy/request_id.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace portico::proxy {
namespace {

struct Req {
  std::string text;
  std::unique_ptr<http1::RequestHead> head = std::make_unique<http1::RequestHead>();
  explicit Req(std::string s) : text(std::move(s)) {
    http1::ParseResult r = http1::parseRequestHead(text, {}, *head);
    EXPECT_EQ(r.state, http1::ParseState::Done);
  }
};

uint64_t counter(void* ctx) {
  auto* n = static_cast<uint64_t*>(ctx);
  return (*n += 0x9E3779B97F4A7C15ull);
}

TEST(RequestId, GeneratesUuidV4AndTraceparent) {
  Req r("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  config::RequestId policy;
  RequestIds ids;
  uint64_t n = 0;
  assignRequestIds(*r.head, policy, false, counter, &n, ids);
  std::string id(ids.requestId());
  ASSERT_EQ(id.size(), 36u) << id;
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4') << id;                                          // version 4
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // variant 10
  EXPECT_TRUE(validRequestId(id));
  ASSERT_TRUE(ids.has_traceparent);
  EXPECT_TRUE(validTraceparent(ids.traceParent())) << ids.traceParent();
  EXPECT_TRUE(ids.generated_traceparent);
  EXPECT_EQ(ids.traceId(), ids.traceParent().substr(3, 32));
  RequestIds again;
  assignRequestIds(*r.head, policy, false, counter, &n, again);
  EXPECT_NE(again.requestId(), ids.requestId());
}

TEST(RequestId, KeepsIncomingIdOnlyWhenAllowed) {
  Req r("GET / HTTP/1.1\r\nHost: a\r\nX-Request-ID: abc-123\r\n\r\n");
  config::RequestId policy;
  RequestIds ids;
  uint64_t n = 0;
  assignRequestIds(*r.head, policy, /*peer_trusted=*/false, counter, &n, ids);
  EXPECT_NE(ids.requestId(), "abc-123");
  assignRequestIds(*r.head, policy, /*peer_trusted=*/true, counter, &n, ids);
  EXPECT_EQ(ids.requestId(), "abc-123");
  policy.keep_incoming = config::RequestId::Keep::Always;
  assignRequestIds(*r.head, policy, false, counter, &n, ids);
  EXPECT_EQ(ids.requestId(), "abc-123");
  policy.keep_incoming = config::RequestId::Keep::Never;
  assignRequestIds(*r.head, policy, true, counter, &n, ids);
  EXPECT_NE(ids.requestId(), "abc-123");
}

TEST(RequestId, MalformedOrDuplicateIncomingIdIsReplaced) {
  config::RequestId policy;
  policy.keep_incoming = config::RequestId::Keep::Always;
  uint64_t n = 0;
  for (const char* text :
       {"GET / HTTP/1.1\r\nHost: a\r\nX-Request-ID: has space\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Request-ID: a\r\nX-Request-ID: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Request-ID: <script>\r\n\r\n"}) {
    Req r(text);
    RequestIds ids;
    assignRequestIds(*r.head, policy, true, counter, &n, ids);
    EXPECT_EQ(ids.requestId().size(), 36u) << text;
  }
}

TEST(RequestId, ValidTraceparentIsPropagated) {
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  Req r("GET / HTTP/1.1\r\nHost: a\r\ntraceparent: " + tp + "\r\ntracestate: x=1\r\n\r\n");
  RequestIds ids;
  uint64_t n = 0;
  assignRequestIds(*r.head, config::RequestId{}, false, counter, &n, ids);
  EXPECT_EQ(ids.traceParent(), tp);
  EXPECT_FALSE(ids.generated_traceparent);
  EXPECT_EQ(ids.traceId(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(RequestId, TraceparentValidation) {
  EXPECT_TRUE(validTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
  EXPECT_FALSE(validTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(validTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  EXPECT_FALSE(validTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(validTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(validTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"));
  EXPECT_FALSE(validTraceparent(""));
}

TEST(RequestId, DisabledAssignsNothing) {
  Req r("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  config::RequestId policy;
  policy.enabled = false;
  RequestIds ids;
  uint64_t n = 0;
  assignRequestIds(*r.head, policy, false, counter, &n, ids);
  EXPECT_TRUE(ids.requestId().empty());
  EXPECT_TRUE(ids.traceParent().empty());
}

}  // namespace
}  // namespace portico::proxy
