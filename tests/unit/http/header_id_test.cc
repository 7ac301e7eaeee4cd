#include "http/header_id.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "http/method.h"

namespace portico::http {
namespace {

using namespace std::string_literals;

std::string upper(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return r;
}

std::string titleCase(std::string_view s) {
  std::string r(s);
  bool start = true;
  for (char& c : r) {
    if (start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = c == '-';
  }
  return r;
}

TEST(HeaderIdLookup, EveryKnownNameRoundTrips) {
  for (int i = 1; i < static_cast<int>(HeaderId::Count); ++i) {
    const auto id = static_cast<HeaderId>(i);
    const std::string_view name = headerName(id);
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_EQ(lookupHeaderId(name), id) << name;
    EXPECT_EQ(lookupHeaderId(upper(name)), id) << name;
    EXPECT_EQ(lookupHeaderId(titleCase(name)), id) << name;
  }
}

TEST(HeaderIdLookup, CommonSpellings) {
  EXPECT_EQ(lookupHeaderId("Host"), HeaderId::Host);
  EXPECT_EQ(lookupHeaderId("Content-Length"), HeaderId::ContentLength);
  EXPECT_EQ(lookupHeaderId("Transfer-Encoding"), HeaderId::TransferEncoding);
  EXPECT_EQ(lookupHeaderId("TE"), HeaderId::Te);
  EXPECT_EQ(lookupHeaderId("X-Forwarded-For"), HeaderId::XForwardedFor);
  EXPECT_EQ(lookupHeaderId("HTTP2-Settings"), HeaderId::Http2Settings);
  EXPECT_EQ(lookupHeaderId("Proxy-Authorization"), HeaderId::ProxyAuthorization);
  EXPECT_EQ(lookupHeaderId("cOnNeCtIoN"), HeaderId::Connection);
}

TEST(HeaderIdLookup, UnknownNamesAreOther) {
  for (std::string_view n :
       {"", "x", "hos", "hostt", "content-lengthx", "content_length", "content-lengtg", "accept",
        "user-agent", "x-forwarded-fo", "transfer-encodinG-", "proxy-authorizatioN2"}) {
    EXPECT_EQ(lookupHeaderId(n), HeaderId::Other) << n;
  }
}

TEST(HeaderIdLookup, OnlyLettersFoldCase) {
  // '\r' | 0x20 == '-', '\x12' | 0x20 == '2': a sloppy fold would match these.
  EXPECT_EQ(lookupHeaderId("content\rlength"), HeaderId::Other);
  EXPECT_EQ(lookupHeaderId("keep\ralive"), HeaderId::Other);
  EXPECT_EQ(lookupHeaderId("http\x12-settings"), HeaderId::Other);
  EXPECT_EQ(lookupHeaderId("content\x0dlength"), HeaderId::Other);
  // '@' | 0x20 == '`', '[' | 0x20 == '{': non-letters must not match letters.
  EXPECT_EQ(lookupHeaderId("\x08ost"), HeaderId::Other);
  EXPECT_EQ(lookupHeaderId("h\x0fst"), HeaderId::Other);
  EXPECT_EQ(lookupHeaderId("HOST"s), HeaderId::Host);
}

TEST(HeaderIdLookup, ViewIntoLargerBuffer) {
  const std::string buf = "Content-Length: 5";
  EXPECT_EQ(lookupHeaderId(std::string_view(buf).substr(0, 14)), HeaderId::ContentLength);
  EXPECT_EQ(lookupHeaderId(std::string_view(buf).substr(0, 13)), HeaderId::Other);
}

TEST(HeaderIdName, CanonicalLowerCase) {
  EXPECT_EQ(headerName(HeaderId::Other), "");
  EXPECT_EQ(headerName(HeaderId::Host), "host");
  EXPECT_EQ(headerName(HeaderId::XForwardedProto), "x-forwarded-proto");
  EXPECT_EQ(headerName(HeaderId::Count), "");
  for (int i = 1; i < static_cast<int>(HeaderId::Count); ++i) {
    for (char c : headerName(static_cast<HeaderId>(i))) {
      EXPECT_FALSE(c >= 'A' && c <= 'Z');
    }
  }
}

TEST(HeaderIdEquals, IgnoresAsciiCaseOnly) {
  EXPECT_TRUE(equalsIgnoreCase("Chunked", "chunked"));
  EXPECT_TRUE(equalsIgnoreCase("", ""));
  EXPECT_TRUE(equalsIgnoreCase("100-CONTINUE", "100-continue"));
  EXPECT_FALSE(equalsIgnoreCase("chunked", "chunke"));
  EXPECT_FALSE(equalsIgnoreCase("a-b", "a\rb"));
  EXPECT_FALSE(equalsIgnoreCase("[", "{"));
  EXPECT_FALSE(equalsIgnoreCase("\xc3\xa9", "\xc3\x89"));
}

TEST(HeaderIdMethod, LookupIsCaseSensitive) {
  EXPECT_EQ(lookupMethod("GET"), Method::Get);
  EXPECT_EQ(lookupMethod("HEAD"), Method::Head);
  EXPECT_EQ(lookupMethod("POST"), Method::Post);
  EXPECT_EQ(lookupMethod("PUT"), Method::Put);
  EXPECT_EQ(lookupMethod("DELETE"), Method::Delete);
  EXPECT_EQ(lookupMethod("CONNECT"), Method::Connect);
  EXPECT_EQ(lookupMethod("OPTIONS"), Method::Options);
  EXPECT_EQ(lookupMethod("TRACE"), Method::Trace);
  EXPECT_EQ(lookupMethod("PATCH"), Method::Patch);
  EXPECT_EQ(lookupMethod("get"), Method::Other);
  EXPECT_EQ(lookupMethod("GETS"), Method::Other);
  EXPECT_EQ(lookupMethod(""), Method::Other);
  EXPECT_EQ(lookupMethod("PROPFIND"), Method::Other);
}

TEST(HeaderIdMethod, Idempotence) {
  EXPECT_TRUE(isIdempotent(Method::Get));
  EXPECT_TRUE(isIdempotent(Method::Head));
  EXPECT_TRUE(isIdempotent(Method::Put));
  EXPECT_TRUE(isIdempotent(Method::Delete));
  EXPECT_TRUE(isIdempotent(Method::Options));
  EXPECT_TRUE(isIdempotent(Method::Trace));
  EXPECT_FALSE(isIdempotent(Method::Post));
  EXPECT_FALSE(isIdempotent(Method::Patch));
  EXPECT_FALSE(isIdempotent(Method::Connect));
  EXPECT_FALSE(isIdempotent(Method::Other));
}

}  // namespace
}  // namespace portico::http
