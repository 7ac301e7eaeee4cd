// The `when:` expression parser: what it accepts (round-tripped through describe()) and where
// it points for what it rejects.
#include "router/expr_parser.h"

#include <gtest/gtest.h>

namespace portico::router {
namespace {

// describe() of the parsed expression, or "error at COLUMN: MESSAGE".
std::string parse(std::string_view text) {
  ExprError e;
  ConditionPtr c = parseExpression(text, ExprOptions{}, &e);
  if (!c) return "error at " + std::to_string(e.column) + ": " + e.message;
  return c->describe();
}

TEST(RouteExpr, AcceptsEveryFunction) {
  const char* same[] = {
      "host(\"api.example.com\")",
      "host(\"*.example.com\")",
      "host_regex(\"a+\\\\.com\")",
      "path(\"/login\")",
      "path_prefix(\"/v2\")",
      "path_regex(\"/u/[0-9]+\")",
      "method(\"GET\", \"HEAD\")",
      "header(\"x-beta\")",
      "header(\"x-env\", \"canary\")",
      "header_prefix(\"x-env\", \"can\")",
      "header_regex(\"x-user\", \"[0-9]+\")",
      "cookie(\"beta\")",
      "cookie(\"group\", \"b\")",
      "cookie_regex(\"s\", \"a.*\")",
      "query(\"debug\")",
      "query(\"v\", \"2\")",
      "query_prefix(\"l\", \"fr\")",
      "client_ip(\"10.0.0.0/8\", \"2001:db8::/32\")",
      "device(\"mobile\", \"tablet\")",
      "language([\"fr\"], [\"en\", \"fr\"])",
      "sni(\"api.example.com\")",
      "sni_regex(\".*\")",
      "client_cert()",
  };
  for (const char* s : same) EXPECT_EQ(parse(s), s);
}

TEST(RouteExpr, OperatorsAndPrecedence) {
  EXPECT_EQ(parse("host('api.example.com') && path_prefix('/v2') && !header('x-beta')"),
            "host(\"api.example.com\") && path_prefix(\"/v2\") && !header(\"x-beta\")");
  // && binds tighter than ||.
  EXPECT_EQ(parse("method('GET') || method('HEAD') && header('a')"),
            "method(\"GET\") || (method(\"HEAD\") && header(\"a\"))");
  EXPECT_EQ(parse("(method('GET') || method('HEAD')) && header('a')"),
            "(method(\"GET\") || method(\"HEAD\")) && header(\"a\")");
  EXPECT_EQ(parse("!!header('a')"), "!!header(\"a\")");
  EXPECT_EQ(parse("!(header('a') || header('b'))"), "!(header(\"a\") || header(\"b\"))");
  EXPECT_EQ(parse("  true  "), "true");
  EXPECT_EQ(parse("false || true"), "false || true");
  EXPECT_EQ(parse("method(['GET', 'PUT'], 'POST')"), "method(\"GET\", \"PUT\", \"POST\")");
  EXPECT_EQ(parse("language('fr')"), "language([\"fr\"], [\"fr\"])");
  EXPECT_EQ(parse("header(\"x\", \"a \\\"quoted\\\" \\\\ value\")"),
            "header(\"x\", \"a \\\"quoted\\\" \\\\ value\")");
  EXPECT_EQ(parse("HOST('A.example.com')"),
            "error at 1: unknown function 'HOST', did you mean 'host'?");
}

TEST(RouteExpr, ErrorsPointAtTheColumn) {
  EXPECT_EQ(parse("hots('a.com')"), "error at 1: unknown function 'hots', did you mean 'host'?");
  EXPECT_EQ(parse("host('a.com') && "), "error at 18: expected a condition, got end of expression");
  EXPECT_EQ(parse("host('a.com') & path('/')"), "error at 15: unexpected '&' after the expression");
  EXPECT_EQ(parse("host('a.com'"),
            "error at 13: expected ')' after the arguments of 'host', got end of expression");
  EXPECT_EQ(parse("host('a.com)"), "error at 6: unterminated string");
  EXPECT_EQ(parse("host(a.com)"), "error at 6: expected a quoted string, got 'a'");
  EXPECT_EQ(parse("(header('a')"), "error at 13: expected ')' to close '(', got end of expression");
  EXPECT_EQ(parse("header('a') header('b')"), "error at 13: unexpected 'h' after the expression");
  EXPECT_EQ(parse("path_prefix('v2')"), "error at 13: path_prefix must start with '/', got 'v2'");
  EXPECT_EQ(parse("path_regex('(')").substr(0, 48),
            "error at 12: invalid regular expression '(': mis");
  EXPECT_EQ(parse("host('a', 'b')"), "error at 1: host() takes 1 string argument, got 2");
  EXPECT_EQ(parse("header()"), "error at 1: header() takes 1 or 2 string arguments, got 0");
  EXPECT_EQ(parse("header_regex('x')"),
            "error at 1: header_regex() takes 2 string arguments, got 1");
  EXPECT_EQ(parse("header(['a'])"), "error at 8: header() takes strings here, not a list");
  EXPECT_EQ(parse("client_ip('10.0.0.0/8', '10.0.0.0/99')").substr(0, 12), "error at 25:");
  EXPECT_EQ(parse("device('mobile', 'phone')"),
            "error at 18: unknown device class 'phone' (expected mobile, tablet, desktop or bot)");
  EXPECT_EQ(parse("country('FR')"),
            "error at 1: country needs a geolocation database: set geoip: { database: FILE } at "
            "the top level");
  EXPECT_EQ(parse("method()"), "error at 1: method() needs at least one argument");
  EXPECT_EQ(parse("client_cert('x')"), "error at 1: client_cert() takes 0 string arguments, got 1");
  EXPECT_EQ(parse("header('a\\n')"), "error at 10: unknown escape '\\n' (use \\\\, \\\" or \\')");
  EXPECT_EQ(parse(""), "error at 1: expected a condition, got end of expression");
  EXPECT_EQ(parse("&&"), "error at 1: expected a condition, got '&&'");
  EXPECT_EQ(parse("header('a') || "), "error at 16: expected a condition, got end of expression");
}

TEST(RouteExpr, DeepNestingIsAnErrorNotACrash) {
  std::string deep(10000, '(');
  EXPECT_EQ(parse(deep).substr(0, 9), "error at ");
  std::string nots(10000, '!');
  EXPECT_NE(parse(nots + "true").find("nested too deeply"), std::string::npos);
}

}  // namespace
}  // namespace portico::router
