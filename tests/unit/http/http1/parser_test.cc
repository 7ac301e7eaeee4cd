#include "http/http1/parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace portico::http1 {
namespace {

using namespace std::string_literals;
using http::HeaderId;
using http::Method;

// Parses `s` as a request head. The head struct is big, so it lives on the heap; the input
// is copied to the heap too so the views in the head stay valid as long as the Req.
struct Req {
  std::unique_ptr<std::string> input;
  std::unique_ptr<RequestHead> head = std::make_unique<RequestHead>();
  ParseResult r{};
};

Req parseReq(std::string_view s, const Limits& limits = {}) {
  Req q;
  q.input = std::make_unique<std::string>(s);
  q.r = parseRequestHead(*q.input, limits, *q.head);
  return q;
}

struct Resp {
  std::unique_ptr<std::string> input;
  std::unique_ptr<ResponseHead> head = std::make_unique<ResponseHead>();
  ParseResult r{};
};

Resp parseResp(std::string_view s, Method m = Method::Get, const Limits& limits = {}) {
  Resp q;
  q.input = std::make_unique<std::string>(s);
  q.r = parseResponseHead(*q.input, limits, m, *q.head);
  return q;
}

// Asserts that `s` parses to Error with `status`.
void expectReqError(std::string_view s, uint16_t status, const Limits& limits = {}) {
  Req q = parseReq(s, limits);
  EXPECT_EQ(q.r.state, ParseState::Error) << "input: " << s;
  EXPECT_EQ(q.r.error_status, status)
      << "input: " << s << " reason: " << (q.r.error ? q.r.error : "(none)");
  EXPECT_NE(q.r.error, nullptr);
}

void expectRespError(std::string_view s, Method m = Method::Get) {
  Resp q = parseResp(s, m);
  EXPECT_EQ(q.r.state, ParseState::Error) << "input: " << s;
  EXPECT_EQ(q.r.error_status, 502);
}

// A request with one extra header line `line` (without CRLF).
std::string withHeader(std::string_view line) {
  return "GET / HTTP/1.1\r\nHost: example.com\r\n" + std::string(line) + "\r\n\r\n";
}

std::string post(std::string_view framing_lines) {
  return "POST /upload HTTP/1.1\r\nHost: example.com\r\n" + std::string(framing_lines) + "\r\n";
}

// ---------------------------------------------------------------- valid requests

TEST(Http1Request, SimpleGet) {
  const std::string s = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
  Req q = parseReq(s);
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  const RequestHead& h = *q.head;
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.method_id, Method::Get);
  EXPECT_EQ(h.target, "/index.html");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.host, "example.com");
  EXPECT_EQ(h.header_count, 1u);
  EXPECT_EQ(h.headers[0].id, HeaderId::Host);
  EXPECT_EQ(h.framing, BodyFraming::None);
  EXPECT_EQ(h.head_length, s.size());
  EXPECT_TRUE(h.keepAlive());
  EXPECT_FALSE(h.expect_continue);
  EXPECT_FALSE(h.upgrade_websocket);
  EXPECT_FALSE(h.upgrade_h2c);
}

TEST(Http1Request, BrowserGetWithTenHeaders) {
  const std::string s =
      "GET /search?q=portico&lang=en HTTP/1.1\r\n"
      "Host: www.example.com\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
      "Accept-Language: en-US,en;q=0.5\r\n"
      "Accept-Encoding: gzip, deflate, br\r\n"
      "Connection: keep-alive\r\n"
      "Cookie: session=abc123; theme=dark\r\n"
      "Upgrade-Insecure-Requests: 1\r\n"
      "Sec-Fetch-Dest: document\r\n"
      "X-Forwarded-For: 10.0.0.1\r\n"
      "\r\n";
  Req q = parseReq(s);
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  const RequestHead& h = *q.head;
  EXPECT_EQ(h.header_count, 10u);
  EXPECT_EQ(h.headers[1].name, "User-Agent");
  EXPECT_EQ(h.headers[1].id, HeaderId::Other);
  EXPECT_EQ(h.headers[5].id, HeaderId::Connection);
  EXPECT_EQ(h.headers[9].id, HeaderId::XForwardedFor);
  EXPECT_EQ(h.headers[9].value, "10.0.0.1");
  EXPECT_TRUE(h.conn_keep_alive);
  EXPECT_EQ(h.head_length, s.size());
}

TEST(Http1Request, ValuesHaveOwsTrimmed) {
  Req q =
      parseReq("GET / HTTP/1.1\r\nHost:example.com\r\nX-A: \t a b \t \r\nX-B:\r\nX-C:   \r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->headers[0].value, "example.com");
  EXPECT_EQ(q.head->headers[1].value, "a b");
  EXPECT_EQ(q.head->headers[2].value, "");
  EXPECT_EQ(q.head->headers[3].value, "");
}

TEST(Http1Request, NamesKeepCaseAndGetIds) {
  Req q = parseReq(
      "GET / HTTP/1.1\r\nhOsT: a\r\nCONTENT-LENGTH: 0\r\nx-forwarded-proto: https\r\n"
      "Via: 1.1 x\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->headers[0].name, "hOsT");
  EXPECT_EQ(q.head->headers[0].id, HeaderId::Host);
  EXPECT_EQ(q.head->headers[1].id, HeaderId::ContentLength);
  EXPECT_EQ(q.head->headers[2].id, HeaderId::XForwardedProto);
  EXPECT_EQ(q.head->headers[3].id, HeaderId::Via);
}

TEST(Http1Request, ValueMayContainHtabAndObsText) {
  Req q = parseReq(withHeader("X-A: a\tb\x80\xff c"));
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->headers[1].value, "a\tb\x80\xff c");
}

TEST(Http1Request, HeadMethod) {
  Req q = parseReq("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->method_id, Method::Head);
}

TEST(Http1Request, ExtensionMethodToken) {
  Req q = parseReq("PROPFIND /dav HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->method, "PROPFIND");
  EXPECT_EQ(q.head->method_id, Method::Other);
}

TEST(Http1Request, AllKnownMethods) {
  const std::pair<const char*, Method> cases[] = {
      {"GET", Method::Get},     {"HEAD", Method::Head},     {"POST", Method::Post},
      {"PUT", Method::Put},     {"DELETE", Method::Delete}, {"OPTIONS", Method::Options},
      {"TRACE", Method::Trace}, {"PATCH", Method::Patch}};
  for (const auto& [name, m] : cases) {
    Req q = parseReq(std::string(name) + " / HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_EQ(q.r.state, ParseState::Done) << name;
    EXPECT_EQ(q.head->method_id, m) << name;
  }
}

TEST(Http1Request, PostWithContentLength) {
  Req q = parseReq(post("Content-Length: 42\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->framing, BodyFraming::ContentLength);
  EXPECT_EQ(q.head->content_length, 42u);
}

TEST(Http1Request, ContentLengthZero) {
  Req q = parseReq(post("Content-Length: 0\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::ContentLength);
  EXPECT_EQ(q.head->content_length, 0u);
}

TEST(Http1Request, ContentLengthMaxUint64) {
  Req q = parseReq(post("Content-Length: 18446744073709551615\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->content_length, UINT64_MAX);
}

TEST(Http1Request, IdenticalContentLengthHeadersAccepted) {
  Req q = parseReq(post("Content-Length: 5\r\nContent-Length: 5\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->content_length, 5u);
}

TEST(Http1Request, IdenticalContentLengthListAccepted) {
  Req q = parseReq(post("Content-Length: 5, 5,5\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->framing, BodyFraming::ContentLength);
  EXPECT_EQ(q.head->content_length, 5u);
}

TEST(Http1Request, ChunkedBody) {
  Req q = parseReq(post("Transfer-Encoding: chunked\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->framing, BodyFraming::Chunked);
}

TEST(Http1Request, ChunkedCaseInsensitive) {
  Req q = parseReq(post("Transfer-Encoding: ChUnKeD\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->framing, BodyFraming::Chunked);
}

TEST(Http1Request, GzipThenChunkedAccepted) {
  Req q = parseReq(post("Transfer-Encoding: gzip, chunked\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->framing, BodyFraming::Chunked);
}

TEST(Http1Request, TransferEncodingAcrossTwoFields) {
  Req q = parseReq(post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->framing, BodyFraming::Chunked);
}

TEST(Http1Request, PipelinedRequests) {
  const std::string first = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string second = "POST /b HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\n\r\n";
  const std::string buf = first + second + "abc";
  Req q1 = parseReq(buf);
  ASSERT_EQ(q1.r.state, ParseState::Done);
  EXPECT_EQ(q1.head->head_length, first.size());
  EXPECT_EQ(q1.head->target, "/a");
  Req q2 = parseReq(std::string_view(buf).substr(q1.head->head_length));
  ASSERT_EQ(q2.r.state, ParseState::Done);
  EXPECT_EQ(q2.head->target, "/b");
  EXPECT_EQ(q2.head->host, "b");
  EXPECT_EQ(q2.head->head_length, second.size());
  EXPECT_EQ(q2.head->content_length, 3u);
}

TEST(Http1Request, Http10WithoutHostAllowed) {
  Req q = parseReq("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->version_minor, 0);
  EXPECT_EQ(q.head->host, "");
  EXPECT_FALSE(q.head->keepAlive());
}

TEST(Http1Request, Http10KeepAlive) {
  Req q = parseReq("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_TRUE(q.head->conn_keep_alive);
  EXPECT_TRUE(q.head->keepAlive());
}

TEST(Http1Request, Http10HostValidated) {
  expectReqError("GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400);
}

TEST(Http1Request, ConnectionClose) {
  Req q = parseReq(withHeader("Connection: close"));
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_TRUE(q.head->conn_close);
  EXPECT_FALSE(q.head->keepAlive());
}

TEST(Http1Request, ConnectionCommaListAcrossFields) {
  Req q = parseReq(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, KEEP-ALIVE\r\nConnection: ,Upgrade ,\r\n"
      "Connection: CLOSE\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_TRUE(q.head->conn_keep_alive);
  EXPECT_TRUE(q.head->conn_upgrade);
  EXPECT_TRUE(q.head->conn_close);
}

TEST(Http1Request, ExpectContinue) {
  Req q = parseReq(post("Content-Length: 10\r\nExpect: 100-continue\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_TRUE(q.head->expect_continue);
}

TEST(Http1Request, ExpectContinueCaseInsensitive) {
  Req q = parseReq(post("Content-Length: 10\r\nExpect: 100-Continue\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_TRUE(q.head->expect_continue);
}

TEST(Http1Request, ExpectOtherValueIsNotAnError) {
  Req q = parseReq(post("Content-Length: 10\r\nExpect: something-else\r\n"));
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_FALSE(q.head->expect_continue);
}

TEST(Http1Request, ExpectIgnoredInHttp10) {
  Req q = parseReq("POST / HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_FALSE(q.head->expect_continue);
}

TEST(Http1Request, WebsocketUpgrade) {
  Req q = parseReq(
      "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_TRUE(q.head->upgrade_websocket);
  EXPECT_TRUE(q.head->conn_upgrade);
  EXPECT_FALSE(q.head->upgrade_h2c);
}

TEST(Http1Request, WebsocketNeedsConnectionUpgrade) {
  Req q = parseReq(withHeader("Upgrade: websocket"));
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_FALSE(q.head->upgrade_websocket);
}

TEST(Http1Request, UpgradeH2cFlagged) {
  Req q = parseReq(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_TRUE(q.head->upgrade_h2c);
  EXPECT_FALSE(q.head->upgrade_websocket);
  EXPECT_EQ(q.head->headers[3].id, HeaderId::Http2Settings);
}

TEST(Http1Request, UpgradeH2cFlaggedWithoutConnection) {
  Req q = parseReq(withHeader("Upgrade: foo/1, H2C"));
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_TRUE(q.head->upgrade_h2c);
}

TEST(Http1Request, LongValidHeaders) {
  std::string s = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 20; ++i) {
    s += "X-Long-" + std::to_string(i) + ": " + std::string(500, 'v') + "\r\n";
  }
  s += "\r\n";
  ASSERT_LT(s.size(), 16384u);
  Req q = parseReq(s);
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->header_count, 21u);
  EXPECT_EQ(q.head->headers[20].value.size(), 500u);
}

TEST(Http1Request, HeadExactlyAtByteLimit) {
  std::string s = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  Limits l;
  l.max_header_bytes = 200;
  s += std::string(200 - s.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(s.size(), 200u);
  Req q = parseReq(s, l);
  EXPECT_EQ(q.r.state, ParseState::Done) << q.r.error;
}

TEST(Http1Request, HeaderCountExactlyAtLimit) {
  Limits l;
  l.max_header_count = 3;
  Req q = parseReq("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", l);
  EXPECT_EQ(q.r.state, ParseState::Done);
}

TEST(Http1Request, RequestLineExactlyAtLimit) {
  Limits l;
  l.max_request_line = 16;  // "GET /abc HTTP/1.1" is 17 bytes
  Req q = parseReq("GET /ab HTTP/1.1\r\nHost: a\r\n\r\n", l);
  EXPECT_EQ(q.r.state, ParseState::Done);
}

TEST(Http1Request, AbsoluteFormAuthorityWinsOverHost) {
  Req q = parseReq("GET http://origin.example:8080/p?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->host, "origin.example:8080");
  EXPECT_EQ(q.head->target, "http://origin.example:8080/p?q=1");
}

TEST(Http1Request, AbsoluteFormWithoutPath) {
  Req q = parseReq("GET HTTPS://Example.COM HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->host, "Example.COM");
}

TEST(Http1Request, AbsoluteFormQueryRightAfterAuthority) {
  Req q = parseReq("GET http://a.example?x HTTP/1.1\r\nHost: a.example\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->host, "a.example");
}

TEST(Http1Request, OptionsStar) {
  Req q = parseReq("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->target, "*");
  EXPECT_EQ(q.head->method_id, Method::Options);
}

TEST(Http1Request, ConnectAuthorityForm) {
  Req q = parseReq("CONNECT backend.example:443 HTTP/1.1\r\nHost: backend.example:443\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->method_id, Method::Connect);
  EXPECT_EQ(q.head->target, "backend.example:443");
  EXPECT_EQ(q.head->host, "backend.example:443");
}

TEST(Http1Request, ConnectIpv6AuthorityForm) {
  Req q = parseReq("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->host, "[::1]:8443");
}

TEST(Http1Request, HostForms) {
  for (const char* host : {"example.com", "example.com:80", "10.0.0.1:65535", "[2001:db8::1]",
                           "[::ffff:10.0.0.1]:8080", "a_b-c~d", "localhost:0"}) {
    Req q = parseReq(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n");
    ASSERT_EQ(q.r.state, ParseState::Done) << host;
    EXPECT_EQ(q.head->host, host);
  }
}

TEST(Http1Request, LeadingEmptyLinesSkipped) {
  const std::string s = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  Req q = parseReq(s);
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->method, "GET");
  EXPECT_EQ(q.head->head_length, s.size());
}

TEST(Http1Request, EveryPrefixNeedsMore) {
  const std::string s =
      "\r\nPOST http://x.example/p HTTP/1.1\r\nHost: x.example\r\nContent-Length: 5\r\n"
      "Connection: keep-alive\r\n\r\n";
  for (size_t i = 0; i < s.size(); ++i) {
    Req q = parseReq(std::string_view(s).substr(0, i));
    EXPECT_EQ(q.r.state, ParseState::NeedMore) << "prefix " << i;
  }
  EXPECT_EQ(parseReq(s).r.state, ParseState::Done);
}

TEST(Http1Request, ReusedHeadIsReset) {
  RequestHead h;
  Limits l;
  ASSERT_EQ(parseRequestHead(post("Transfer-Encoding: chunked\r\nConnection: close, upgrade\r\n"
                                  "Upgrade: websocket\r\nExpect: 100-continue\r\n"),
                             l, h)
                .state,
            ParseState::Done);
  ASSERT_EQ(parseRequestHead("GET / HTTP/1.0\r\n\r\n", l, h).state, ParseState::Done);
  EXPECT_EQ(h.framing, BodyFraming::None);
  EXPECT_EQ(h.header_count, 0u);
  EXPECT_FALSE(h.conn_close);
  EXPECT_FALSE(h.conn_upgrade);
  EXPECT_FALSE(h.expect_continue);
  EXPECT_FALSE(h.upgrade_websocket);
  EXPECT_EQ(h.host, "");
  EXPECT_EQ(h.version_minor, 0);
}

// ---------------------------------------------------------------- ambiguous body framing

TEST(Http1Request, TransferEncodingWithContentLengthRejected) {
  expectReqError(post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400);
}

TEST(Http1Request, ContentLengthThenTransferEncodingRejected) {
  expectReqError(post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400);
}

TEST(Http1Request, DifferingContentLengthHeadersRejected) {
  expectReqError(post("Content-Length: 5\r\nContent-Length: 6\r\n"), 400);
}

TEST(Http1Request, DifferingContentLengthListRejected) {
  expectReqError(post("Content-Length: 5, 6\r\n"), 400);
}

TEST(Http1Request, ContentLengthPlusSignRejected) {
  expectReqError(post("Content-Length: +5\r\n"), 400);
}

TEST(Http1Request, ContentLengthNegativeRejected) {
  expectReqError(post("Content-Length: -1\r\n"), 400);
}

TEST(Http1Request, ContentLengthHexRejected) {
  expectReqError(post("Content-Length: 0x10\r\n"), 400);
}

TEST(Http1Request, ContentLengthSpaceInsideRejected) {
  expectReqError(post("Content-Length:  5 5\r\n"), 400);
}

TEST(Http1Request, ContentLengthEmptyRejected) {
  expectReqError(post("Content-Length:\r\n"), 400);
  expectReqError(post("Content-Length:   \r\n"), 400);
}

TEST(Http1Request, ContentLengthEmptyListElementRejected) {
  expectReqError(post("Content-Length: 5,\r\n"), 400);
  expectReqError(post("Content-Length: ,5\r\n"), 400);
}

TEST(Http1Request, ContentLengthNonDigitRejected) {
  expectReqError(post("Content-Length: 5a\r\n"), 400);
  expectReqError(post("Content-Length: 5.0\r\n"), 400);
}

TEST(Http1Request, ContentLengthOverflowRejected) {
  expectReqError(post("Content-Length: 18446744073709551616\r\n"), 400);
  expectReqError(post("Content-Length: 99999999999999999999999\r\n"), 400);
}

TEST(Http1Request, TransferEncodingGzipOnlyRejected) {
  expectReqError(post("Transfer-Encoding: gzip\r\n"), 400);
}

TEST(Http1Request, TransferEncodingChunkedNotLastRejected) {
  expectReqError(post("Transfer-Encoding: chunked, gzip\r\n"), 400);
}

TEST(Http1Request, TransferEncodingChunkedTwiceRejected) {
  expectReqError(post("Transfer-Encoding: chunked, chunked\r\n"), 400);
}

TEST(Http1Request, TransferEncodingChunkedTwiceAcrossFieldsRejected) {
  expectReqError(post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400);
}

TEST(Http1Request, TransferEncodingUnknownCodingRejected) {
  expectReqError(post("Transfer-Encoding: foo, chunked\r\n"), 501);
}

TEST(Http1Request, TransferEncodingUnknownFinalCodingRejected) {
  expectReqError(post("Transfer-Encoding: identity\r\n"), 400);
}

TEST(Http1Request, TransferEncodingEmptyRejected) {
  expectReqError(post("Transfer-Encoding: \r\n"), 400);
  expectReqError(post("Transfer-Encoding: chunked,\r\n"), 400);
}

TEST(Http1Request, TransferEncodingParametersRejected) {
  expectReqError(post("Transfer-Encoding: chunked;q=1\r\n"), 400);
}

TEST(Http1Request, TransferEncodingLookalikeRejected) {
  expectReqError(post("Transfer-Encoding: xchunked\r\n"), 400);
  expectReqError(post("Transfer-Encoding: \"chunked\"\r\n"), 400);
}

TEST(Http1Request, TransferEncodingInHttp10Rejected) {
  expectReqError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
}

// ---------------------------------------------------------------- field syntax

TEST(Http1Request, ObsFoldRejected) {
  expectReqError("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400);
  expectReqError("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", 400);
}

TEST(Http1Request, WhitespaceBeforeFirstFieldRejected) {
  expectReqError("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
}

TEST(Http1Request, SpaceBetweenNameAndColonRejected) {
  expectReqError("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
  expectReqError(post("Content-Length : 5\r\n"), 400);
}

TEST(Http1Request, TabBetweenNameAndColonRejected) {
  expectReqError(post("Transfer-Encoding\t: chunked\r\n"), 400);
}

TEST(Http1Request, BareCrInValueRejected) {
  expectReqError(withHeader("X-A: a\rb"), 400);
}

TEST(Http1Request, BareCrInNameRejected) {
  expectReqError(withHeader("X-\rA: b"), 400);
}

TEST(Http1Request, BareCrAtLineStartRejected) {
  expectReqError("GET / HTTP/1.1\r\nHost: a\r\n\rX: b\r\n\r\n", 400);
}

TEST(Http1Request, BareCrInRequestLineRejected) {
  expectReqError("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  expectReqError("GET / HTTP/1.1\r\rHost: a\r\n\r\n", 400);
}

TEST(Http1Request, BareCrBeforeRequestLineRejected) {
  expectReqError("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, BareLfLineEndingsRejected) {
  expectReqError("GET / HTTP/1.1\nHost: a\n\n", 400);
  expectReqError("GET / HTTP/1.1\r\nHost: a\n\r\n", 400);
  expectReqError("GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
  expectReqError("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, NulInValueRejected) {
  expectReqError(withHeader("X-A: a\0b"s), 400);
}

TEST(Http1Request, NulInNameRejected) {
  expectReqError(withHeader("X-\0A: b"s), 400);
}

TEST(Http1Request, ControlBytesInValueRejected) {
  for (int c : {0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f}) {
    expectReqError(withHeader(std::string("X-A: a") + static_cast<char>(c) + "b"), 400);
  }
}

TEST(Http1Request, ControlByteAtEveryPositionOfLongValueRejected) {
  // Values are scanned 8 bytes at a time; a bad byte must be found at any offset.
  for (size_t at = 0; at < 26; ++at) {
    for (char bad : {'\0', '\x01', '\x1f', '\x7f', '\n', '\r', '\x0b'}) {
      std::string v(26, 'a');
      v[at] = bad;
      expectReqError(withHeader("X-A: z" + v), 400);
    }
  }
}

TEST(Http1Request, HtabAndObsTextAtEveryPositionAccepted) {
  for (size_t at = 0; at < 26; ++at) {
    for (char ok : {'\t', '\x80', '\xff', ' ', '~'}) {
      std::string v(26, 'a');
      v[at] = ok;
      Req q = parseReq(withHeader("X-A: z" + v + "z"));
      ASSERT_EQ(q.r.state, ParseState::Done) << at;
      EXPECT_EQ(q.head->headers[1].value, "z" + v + "z");
    }
  }
}

TEST(Http1Request, BadByteAtEveryPositionOfLongTargetRejected) {
  for (size_t at = 1; at < 26; ++at) {
    for (char bad : {'\0', '\t', '\x7f', '\x80', '\xff', '\n', '\r'}) {
      std::string t = "/" + std::string(25, 'p');
      t[at] = bad;
      expectReqError("GET " + t + " HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    }
  }
}

TEST(Http1Request, EmptyFieldNameRejected) {
  expectReqError(withHeader(": value"), 400);
}

TEST(Http1Request, InvalidTokenCharInNameRejected) {
  for (const char* line : {"X(A): b", "X/A: b", "X@A: b", "X\"A: b", "X{A}: b", "X\x80: b"}) {
    expectReqError(withHeader(line), 400);
  }
}

TEST(Http1Request, FieldLineWithoutColonRejected) {
  expectReqError(withHeader("NoColonHere"), 400);
}

// ---------------------------------------------------------------- Host

TEST(Http1Request, MissingHostRejected) {
  expectReqError("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400);
}

TEST(Http1Request, MissingHostWithAbsoluteFormRejected) {
  expectReqError("GET http://a.example/ HTTP/1.1\r\n\r\n", 400);
}

TEST(Http1Request, DuplicateHostRejected) {
  expectReqError("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
  expectReqError("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
}

TEST(Http1Request, HostWithSpaceRejected) {
  expectReqError("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
}

TEST(Http1Request, HostWithAtRejected) {
  expectReqError("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400);
}

TEST(Http1Request, HostWithSlashRejected) {
  expectReqError("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
}

TEST(Http1Request, HostBadPortRejected) {
  for (const char* h : {"a:", "a:x", "a:99999", "a:123456", "a:80:80", "a:-1", "[::1]x", "[::1"}) {
    expectReqError(std::string("GET / HTTP/1.1\r\nHost: ") + h + "\r\n\r\n", 400);
  }
}

TEST(Http1Request, EmptyHostRejected) {
  expectReqError("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400);
  expectReqError("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400);
  expectReqError("GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400);
}

TEST(Http1Request, HostWithOtherReservedCharsRejected) {
  for (const char* h : {"a,b", "a%20b", "a?b", "a#b", "a\\b", "[::g]"}) {
    expectReqError(std::string("GET / HTTP/1.1\r\nHost: ") + h + "\r\n\r\n", 400);
  }
}

TEST(Http1Request, InvalidHostRejectedEvenWithAbsoluteForm) {
  expectReqError("GET http://a.example/ HTTP/1.1\r\nHost: a@b\r\n\r\n", 400);
}

// ---------------------------------------------------------------- request line

TEST(Http1Request, Http20Is505) {
  expectReqError("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
}

TEST(Http1Request, Http12Is505) {
  expectReqError("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
}

TEST(Http1Request, Http09Is505) {
  expectReqError("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505);
}

TEST(Http1Request, Http3IsGarbage) {
  expectReqError("GET / HTTP/3\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, LowercaseVersionRejected) {
  expectReqError("GET / http/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, LeadingZeroVersionRejected) {
  expectReqError("GET / HTTP/01.1\r\nHost: a\r\n\r\n", 400);
  expectReqError("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, MissingVersionRejected) {
  expectReqError("GET /\r\nHost: a\r\n\r\n", 400);
  expectReqError("GET / \r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, MethodNotTokenRejected) {
  expectReqError("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  expectReqError("G\x80T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, EmptyMethodRejected) {
  expectReqError(" / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, MultipleSpacesInRequestLineRejected) {
  expectReqError("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  expectReqError("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  expectReqError("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
  expectReqError("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, TargetWithControlBytesRejected) {
  expectReqError("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"s, 400);
  expectReqError("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  expectReqError("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  expectReqError("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, TargetWithSpaceRejected) {
  expectReqError("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, StarTargetOnlyForOptions) {
  expectReqError("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, AuthorityFormOnlyForConnect) {
  expectReqError("GET a.example:443 HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
}

TEST(Http1Request, ConnectNeedsAuthorityForm) {
  expectReqError("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  expectReqError("CONNECT a.example HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  expectReqError("CONNECT http://a.example:443/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(Http1Request, AbsoluteFormWithUserinfoRejected) {
  expectReqError("GET http://user:pw@a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
}

TEST(Http1Request, AbsoluteFormUnknownSchemeRejected) {
  expectReqError("GET ftp://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
}

TEST(Http1Request, AbsoluteFormEmptyAuthorityRejected) {
  expectReqError("GET http:///p HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
  expectReqError("GET http:// HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
}

// ---------------------------------------------------------------- limits

TEST(Http1Request, RequestLineTooLongIs414) {
  Limits l;
  l.max_request_line = 16;
  expectReqError("GET /abc HTTP/1.1\r\nHost: a\r\n\r\n", 414, l);
}

TEST(Http1Request, IncompleteRequestLineTooLongIs414) {
  Limits l;
  l.max_request_line = 100;
  expectReqError("GET /" + std::string(200, 'a'), 414, l);
  expectReqError("GET /" + std::string(200, 'a') + " HTTP/1.", 414, l);
}

TEST(Http1Request, HeaderBytesOverLimitIs431) {
  Limits l;
  l.max_header_bytes = 100;
  expectReqError(withHeader("X-A: " + std::string(100, 'v')), 431, l);
}

TEST(Http1Request, IncompleteHeadOverLimitIs431) {
  Limits l;
  l.max_header_bytes = 100;
  // No end of head yet, but already more bytes than allowed.
  expectReqError("GET / HTTP/1.1\r\nHost: a\r\nX-A: " + std::string(100, 'v'), 431, l);
  expectReqError("GET / HTTP/1.1\r\n" + std::string(100, 'X'), 431, l);
  expectReqError(std::string(120, '\r') + "\n", 400, l);  // bare CR is still found first
}

TEST(Http1Request, LeadingEmptyLinesCountTowardLimit) {
  Limits l;
  l.max_header_bytes = 64;
  std::string s;
  for (int i = 0; i < 40; ++i) s += "\r\n";
  expectReqError(s, 431, l);
}

TEST(Http1Request, IncompleteHeadWithinLimitNeedsMore) {
  Limits l;
  l.max_header_bytes = 100;
  Req q = parseReq("GET / HTTP/1.1\r\nHost: a\r\nX-A: " + std::string(60, 'v'), l);
  EXPECT_EQ(q.r.state, ParseState::NeedMore);
}

TEST(Http1Request, HeaderCountOverLimitIs431) {
  Limits l;
  l.max_header_count = 3;
  expectReqError("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431, l);
  // Reported as soon as the extra field line starts.
  expectReqError("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC", 431, l);
}

TEST(Http1Request, HeaderCountClampedToHardCap) {
  Limits l;
  l.max_header_count = 100000;
  l.max_header_bytes = 1 << 20;
  std::string s = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (uint32_t i = 0; i < kMaxHeaders; ++i) s += "X: 1\r\n";
  s += "\r\n";
  expectReqError(s, 431, l);
}

// ---------------------------------------------------------------- responses

TEST(Http1Response, ContentLength) {
  const std::string s = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nServer: x\r\n\r\n";
  Resp q = parseResp(s);
  ASSERT_EQ(q.r.state, ParseState::Done) << q.r.error;
  EXPECT_EQ(q.head->status, 200);
  EXPECT_EQ(q.head->reason, "OK");
  EXPECT_EQ(q.head->version_minor, 1);
  EXPECT_EQ(q.head->framing, BodyFraming::ContentLength);
  EXPECT_EQ(q.head->content_length, 12u);
  EXPECT_EQ(q.head->headers[1].id, HeaderId::Server);
  EXPECT_EQ(q.head->head_length, s.size());
}

TEST(Http1Response, ReasonWithSpacesAndEmptyReason) {
  Resp a = parseResp("HTTP/1.1 404 Not Found Here\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(a.r.state, ParseState::Done);
  EXPECT_EQ(a.head->reason, "Not Found Here");
  Resp b = parseResp("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(b.r.state, ParseState::Done);
  EXPECT_EQ(b.head->reason, "");
  Resp c = parseResp("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(c.r.state, ParseState::Done);
  EXPECT_EQ(c.head->reason, "");
}

TEST(Http1Response, Chunked) {
  Resp q = parseResp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::Chunked);
}

TEST(Http1Response, FinalCodingNotChunkedReadsUntilClose) {
  Resp q = parseResp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::UntilClose);
  Resp q2 = parseResp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  ASSERT_EQ(q2.r.state, ParseState::Done);
  EXPECT_EQ(q2.head->framing, BodyFraming::UntilClose);
}

TEST(Http1Response, NoFramingReadsUntilClose) {
  Resp q = parseResp("HTTP/1.1 200 OK\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::UntilClose);
}

TEST(Http1Response, NoContentHasNoBody) {
  Resp q = parseResp("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::None);
}

TEST(Http1Response, NotModifiedHasNoBody) {
  Resp q = parseResp("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::None);
}

TEST(Http1Response, HeadRequestHasNoBody) {
  Resp q = parseResp("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", Method::Head);
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::None);
  Resp q2 = parseResp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Method::Head);
  ASSERT_EQ(q2.r.state, ParseState::Done);
  EXPECT_EQ(q2.head->framing, BodyFraming::None);
}

TEST(Http1Response, ContinueIsInterim) {
  const std::string s = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
  Resp q = parseResp(s);
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->status, 100);
  EXPECT_EQ(q.head->framing, BodyFraming::None);
  Resp q2 = parseResp(std::string_view(s).substr(q.head->head_length));
  ASSERT_EQ(q2.r.state, ParseState::Done);
  EXPECT_EQ(q2.head->status, 200);
}

TEST(Http1Response, SwitchingProtocolsIsTunnel) {
  Resp q = parseResp(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::Tunnel);
  EXPECT_TRUE(q.head->conn_upgrade);
}

TEST(Http1Response, ConnectSuccessIsTunnel) {
  Resp q = parseResp("HTTP/1.1 200 Connection Established\r\n\r\n", Method::Connect);
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::Tunnel);
}

TEST(Http1Response, ConnectFailureIsNotTunnel) {
  Resp q = parseResp("HTTP/1.1 407 Proxy Auth\r\nContent-Length: 3\r\n\r\n", Method::Connect);
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::ContentLength);
}

TEST(Http1Response, Http10) {
  Resp q = parseResp("HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->version_minor, 0);
  EXPECT_TRUE(q.head->conn_close);
  EXPECT_EQ(q.head->framing, BodyFraming::UntilClose);
}

TEST(Http1Response, Http10TransferEncodingReadsUntilClose) {
  Resp q = parseResp("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->framing, BodyFraming::UntilClose);
}

TEST(Http1Response, IdenticalContentLengthsAccepted) {
  Resp q = parseResp("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n");
  ASSERT_EQ(q.r.state, ParseState::Done);
  EXPECT_EQ(q.head->content_length, 7u);
}

TEST(Http1Response, EveryPrefixNeedsMore) {
  const std::string s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  for (size_t i = 0; i < s.size(); ++i) {
    Resp q = parseResp(std::string_view(s).substr(0, i));
    EXPECT_EQ(q.r.state, ParseState::NeedMore) << "prefix " << i;
  }
}

TEST(Http1Response, TransferEncodingWithContentLengthRejected) {
  expectRespError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n");
}

TEST(Http1Response, TransferEncodingWithContentLengthRejectedFor204) {
  expectRespError("HTTP/1.1 204 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n");
}

TEST(Http1Response, DifferingContentLengthsRejected) {
  expectRespError("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
  expectRespError("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n");
}

TEST(Http1Response, InvalidContentLengthRejected) {
  expectRespError("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n");
  expectRespError("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n");
}

TEST(Http1Response, ChunkedTwiceRejected) {
  expectRespError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
}

TEST(Http1Response, StatusCodeMustBeThreeDigits) {
  expectRespError("HTTP/1.1 20 OK\r\n\r\n");
  expectRespError("HTTP/1.1 2000 OK\r\n\r\n");
  expectRespError("HTTP/1.1 2x0 OK\r\n\r\n");
  expectRespError("HTTP/1.1  200 OK\r\n\r\n");
}

TEST(Http1Response, StatusCodeRange) {
  expectRespError("HTTP/1.1 099 OK\r\n\r\n");
  expectRespError("HTTP/1.1 600 OK\r\n\r\n");
  EXPECT_EQ(parseResp("HTTP/1.1 599 X\r\n\r\n").r.state, ParseState::Done);
}

TEST(Http1Response, UnsupportedVersionRejected) {
  expectRespError("HTTP/2.0 200 OK\r\n\r\n");
  expectRespError("HTTP/1.2 200 OK\r\n\r\n");
  expectRespError("http/1.1 200 OK\r\n\r\n");
  expectRespError("HTTP/1.1200 OK\r\n\r\n");
  expectRespError("ICY 200 OK\r\n\r\n");
}

TEST(Http1Response, FieldStrictness) {
  expectRespError("HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\n\r\n");
  expectRespError("HTTP/1.1 200 OK\r\nX-A : b\r\n\r\n");
  expectRespError("HTTP/1.1 200 OK\nX-A: b\n\n");
  expectRespError("HTTP/1.1 200 OK\r\nX-A: b\rc\r\n\r\n");
  expectRespError("HTTP/1.1 200 OK\r\nX-A: b\0c\r\n\r\n"s);
  expectRespError("HTTP/1.1 200 O\x01K\r\n\r\n");
}

TEST(Http1Response, HeadTooLargeRejected) {
  Limits l;
  l.max_header_bytes = 64;
  Resp q = parseResp("HTTP/1.1 200 OK\r\nX-A: " + std::string(100, 'v'), Method::Get, l);
  EXPECT_EQ(q.r.state, ParseState::Error);
  EXPECT_EQ(q.r.error_status, 502);
}

}  // namespace
}  // namespace portico::http1
