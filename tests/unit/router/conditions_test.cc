// Each condition family and the all / any / not combinators, evaluated on request views.
#include <gtest/gtest.h>

#include "request_builder.h"
#include "router/condition.h"
#include "router/condition_factory.h"
#include "router/match/client_address.h"
#include "router/match/request_fields.h"

namespace portico::router {
namespace {

using testing::Req;

// Evaluates `c` on `r` the way Router::match does.
bool eval(const ConditionPtr& c, const Req& r) {
  const RequestView v = r.view();
  char buf[kMaxHostLength + 1];
  EvalContext ctx(v, normalizeHost(v.host, buf), targetPath(v.target));
  return c->evaluate(ctx);
}

ConditionPtr ok(ConditionPtr c, const std::string& error) {
  EXPECT_NE(c, nullptr) << error;
  return c;
}

TEST(RouteConditions, HostExactWildcardRegex) {
  std::string e;
  auto exact = ok(makeHost("API.example.com", TextOp::Exact, &e), e);
  EXPECT_TRUE(eval(exact, Req("api.example.com")));
  EXPECT_TRUE(eval(exact, Req("Api.Example.Com:8080")));
  EXPECT_TRUE(eval(exact, Req("api.example.com.")));
  EXPECT_FALSE(eval(exact, Req("www.example.com")));
  auto wild = ok(makeHost("*.example.com", TextOp::Exact, &e), e);
  EXPECT_TRUE(eval(wild, Req("a.b.example.com")));
  EXPECT_FALSE(eval(wild, Req("example.com")));
  EXPECT_FALSE(eval(wild, Req("badexample.com")));
  auto re = ok(makeHost("(eu|us)-[0-9]+\\.example\\.com", TextOp::Regex, &e), e);
  EXPECT_TRUE(eval(re, Req("EU-12.example.com")));  // the host is lower-cased first
  EXPECT_FALSE(eval(re, Req("asia-1.example.com")));
  EXPECT_FALSE(eval(re, Req("eu-1.example.com.evil.org")));  // full match
  EXPECT_EQ(makeHost("bad host", TextOp::Exact, &e), nullptr);
  EXPECT_NE(e.find("invalid host"), std::string::npos);
  EXPECT_EQ(makeHost("(", TextOp::Regex, &e), nullptr);
  EXPECT_NE(e.find("invalid regular expression"), std::string::npos);
}

TEST(RouteConditions, PathExactPrefixRegex) {
  std::string e;
  auto exact = ok(makePath("/login", TextOp::Exact, &e), e);
  EXPECT_TRUE(eval(exact, Req("h", "/login?next=/")));
  EXPECT_FALSE(eval(exact, Req("h", "/login/x")));
  auto prefix = ok(makePath("/api/", TextOp::Prefix, &e), e);
  EXPECT_TRUE(eval(prefix, Req("h", "/api/v1")));
  EXPECT_FALSE(eval(prefix, Req("h", "/api")));
  EXPECT_FALSE(eval(prefix, Req("h", "/x?/api/")));
  auto re = ok(makePath("/users/[0-9]+/photos", TextOp::Regex, &e), e);
  EXPECT_TRUE(eval(re, Req("h", "/users/42/photos")));
  EXPECT_FALSE(eval(re, Req("h", "/users/me/photos")));
  EXPECT_TRUE(eval(re, Req("h", "http://h/users/7/photos?x")));  // absolute-form target
  EXPECT_EQ(makePath("relative", TextOp::Prefix, &e), nullptr);
}

TEST(RouteConditions, Methods) {
  std::string e;
  auto m = ok(makeMethods({"GET", "HEAD"}, &e), e);
  EXPECT_TRUE(eval(m, Req("h", "/", "GET")));
  EXPECT_TRUE(eval(m, Req("h", "/", "HEAD")));
  EXPECT_FALSE(eval(m, Req("h", "/", "get")));  // methods are case-sensitive
  EXPECT_FALSE(eval(m, Req("h", "/", "POST")));
  EXPECT_EQ(makeMethods({"GE T"}, &e), nullptr);
}

TEST(RouteConditions, HeaderPresentExactPrefixRegex) {
  std::string e;
  auto present = ok(makeField(Condition::Kind::Header, "X-Beta", TextOp::Present, "", &e), e);
  auto exact = ok(makeField(Condition::Kind::Header, "x-env", TextOp::Exact, "canary", &e), e);
  auto re = ok(makeField(Condition::Kind::Header, "x-user", TextOp::Regex, "[0-9]*[02468]", &e), e);
  Req r;
  r.header("x-beta", "").header("X-ENV", "prod").header("x-env", "canary").header("X-User", "1234");
  EXPECT_TRUE(eval(present, r));  // present even when empty, name case-insensitive
  EXPECT_TRUE(eval(exact, r));    // any of the fields with that name
  EXPECT_TRUE(eval(re, r));
  Req other;
  other.header("x-env", "Canary").header("x-user", "1235");
  EXPECT_FALSE(eval(present, other));
  EXPECT_FALSE(eval(exact, other));  // values are case-sensitive
  EXPECT_FALSE(eval(re, other));
  EXPECT_EQ(makeField(Condition::Kind::Header, "bad name", TextOp::Present, "", &e), nullptr);
}

TEST(RouteConditions, Cookies) {
  std::string e;
  auto present = ok(makeField(Condition::Kind::Cookie, "beta", TextOp::Present, "", &e), e);
  auto exact = ok(makeField(Condition::Kind::Cookie, "group", TextOp::Exact, "b", &e), e);
  auto re = ok(makeField(Condition::Kind::Cookie, "session", TextOp::Regex, "[a-f0-9]{4}", &e), e);
  Req r;
  r.header("Cookie", "a=1; beta=; group=b").header("cookie", "session=ab12");
  EXPECT_TRUE(eval(present, r));
  EXPECT_TRUE(eval(exact, r));
  EXPECT_TRUE(eval(re, r));
  Req other;
  other.header("Cookie", "Beta=1; group=bb; session=xyz1");
  EXPECT_FALSE(eval(present, other));  // cookie names are case-sensitive
  EXPECT_FALSE(eval(exact, other));
  EXPECT_FALSE(eval(re, other));
}

TEST(RouteConditions, QueryParameters) {
  std::string e;
  auto present = ok(makeField(Condition::Kind::Query, "debug", TextOp::Present, "", &e), e);
  auto exact = ok(makeField(Condition::Kind::Query, "v", TextOp::Exact, "2", &e), e);
  auto prefix = ok(makeField(Condition::Kind::Query, "lang", TextOp::Prefix, "fr", &e), e);
  EXPECT_TRUE(eval(present, Req("h", "/p?debug")));
  EXPECT_TRUE(eval(present, Req("h", "/p?a=1&debug=0")));
  EXPECT_FALSE(eval(present, Req("h", "/p?debugx=1")));
  EXPECT_FALSE(eval(present, Req("h", "/p#debug")));
  EXPECT_TRUE(eval(exact, Req("h", "/p?v=2")));
  EXPECT_FALSE(eval(exact, Req("h", "/p?v=20")));
  EXPECT_TRUE(eval(prefix, Req("h", "/p?lang=fr-CA")));
}

TEST(RouteConditions, ClientIpUsesPeerOrTrustedForwardedFor) {
  std::string e;
  auto c = ok(makeClientIp({"203.0.113.0/24", "2001:db8::/32"}, &e), e);
  EXPECT_TRUE(eval(c, Req().peer("203.0.113.9")));
  EXPECT_TRUE(eval(c, Req().peer("2001:db8::1")));
  EXPECT_TRUE(eval(c, Req().peer("::ffff:203.0.113.9")));
  EXPECT_FALSE(eval(c, Req().peer("198.51.100.1")));
  EXPECT_FALSE(eval(c, Req()));  // no peer
  // X-Forwarded-For is ignored from an untrusted peer...
  Req spoof;
  spoof.peer("198.51.100.1").header("X-Forwarded-For", "203.0.113.9");
  EXPECT_FALSE(eval(c, spoof));
  // ...and used from a trusted one: the nearest untrusted hop.
  Req via;
  via.peer("10.0.0.2")
      .trusted({"10.0.0.0/8"})
      .header("X-Forwarded-For", "198.51.100.7, 203.0.113.9")
      .header("x-forwarded-for", "10.0.0.5");
  EXPECT_TRUE(eval(c, via));
  EXPECT_EQ(makeClientIp({"300.1.1.1"}, &e), nullptr);
}

TEST(RouteConditions, DeviceClasses) {
  std::string e;
  auto mobile = ok(makeDevice({"mobile", "tablet"}, &e), e);
  Req phone;
  phone.header("User-Agent",
               "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
               "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1");
  Req desk;
  desk.header("User-Agent",
              "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36");
  EXPECT_TRUE(eval(mobile, phone));
  EXPECT_FALSE(eval(mobile, desk));
  EXPECT_EQ(makeDevice({"phone"}, &e), nullptr);
  EXPECT_NE(e.find("unknown device class 'phone'"), std::string::npos);
}

TEST(RouteConditions, Language) {
  std::string e;
  auto fr = ok(makeLanguage({"fr"}, {"en", "fr", "de"}, &e), e);
  auto fr_or_de = ok(makeLanguage({"fr", "de"}, {"en", "fr", "de"}, &e), e);
  Req r;
  r.header("Accept-Language", "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5");
  EXPECT_TRUE(eval(fr, r));
  Req en;
  en.header("Accept-Language", "en-US,en;q=0.9,fr;q=0.8");
  EXPECT_FALSE(eval(fr, en));
  Req de;
  de.header("Accept-Language", "de-DE");
  EXPECT_TRUE(eval(fr_or_de, de));
  EXPECT_FALSE(eval(fr, Req()));  // no Accept-Language
  EXPECT_EQ(makeLanguage({"it"}, {"en", "fr"}, &e), nullptr);
  EXPECT_EQ(makeLanguage({"e n"}, {}, &e), nullptr);
}

TEST(RouteConditions, SniAndClientCert) {
  std::string e;
  auto sni = ok(makeSni("*.example.com", TextOp::Exact, &e), e);
  EXPECT_TRUE(eval(sni, Req().sni("api.example.com")));
  EXPECT_FALSE(eval(sni, Req().sni("example.org")));
  EXPECT_FALSE(eval(sni, Req()));  // plain TCP: no SNI
  auto cert = makeClientCert();
  EXPECT_TRUE(eval(cert, Req().clientCert(true)));
  EXPECT_FALSE(eval(cert, Req()));
}

TEST(RouteConditions, AllAnyNot) {
  std::string e;
  auto get = ok(makeMethods({"GET"}, &e), e);
  auto beta = ok(makeField(Condition::Kind::Header, "x-beta", TextOp::Present, "", &e), e);
  auto all = makeAll({get, makeNot(beta)});
  auto any = makeAny({get, beta});
  Req get_plain("h", "/", "GET");
  Req post_beta("h", "/", "POST");
  post_beta.header("x-beta", "1");
  EXPECT_TRUE(eval(all, get_plain));
  EXPECT_FALSE(eval(all, post_beta));
  EXPECT_TRUE(eval(any, get_plain));
  EXPECT_TRUE(eval(any, post_beta));
  EXPECT_FALSE(eval(any, Req("h", "/", "POST")));
  EXPECT_TRUE(eval(makeAll({}), Req()));   // true
  EXPECT_FALSE(eval(makeAny({}), Req()));  // false
  EXPECT_EQ(all->describe(), "method(\"GET\") && !header(\"x-beta\")");
  EXPECT_EQ(makeNot(any)->describe(), "!(method(\"GET\") || header(\"x-beta\"))");
}

TEST(RouteConditions, ProtocolNeutralHeadsAreSeenToo) {
  http::RequestHead head;
  head.method = "GET";
  head.authority = "API.example.com:443";
  head.path = "/v2/x?debug=1";
  head.headers.add("X-Beta", "1");
  head.headers.add("cookie", "group=b");
  head.headers.add("x-forwarded-for", "203.0.113.9");
  net::SockAddr peer;
  ASSERT_TRUE(parseIpLiteral("10.0.0.1", peer));
  const net::CidrSet trusted({"10.0.0.0/8"});
  const RequestView v = viewOf(head, &peer.sa, &trusted);
  char buf[kMaxHostLength + 1];
  EvalContext ctx(v, normalizeHost(v.host, buf), targetPath(v.target));
  std::string e;
  EXPECT_TRUE(makeHost("api.example.com", TextOp::Exact, &e)->evaluate(ctx));
  EXPECT_TRUE(makePath("/v2/", TextOp::Prefix, &e)->evaluate(ctx));
  EXPECT_TRUE(makeField(Condition::Kind::Header, "x-beta", TextOp::Exact, "1", &e)->evaluate(ctx));
  EXPECT_TRUE(makeField(Condition::Kind::Cookie, "group", TextOp::Exact, "b", &e)->evaluate(ctx));
  EXPECT_TRUE(makeField(Condition::Kind::Query, "debug", TextOp::Present, "", &e)->evaluate(ctx));
  EXPECT_TRUE(makeClientIp({"203.0.113.0/24"}, &e)->evaluate(ctx));
}

}  // namespace
}  // namespace portico::router
