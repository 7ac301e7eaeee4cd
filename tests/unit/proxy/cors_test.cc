#include "proxy/cors.h"

#include <gtest/gtest.h>

namespace portico::proxy {
namespace {

TEST(Cors, OriginMatching) {
  config::Cors c;
  c.allow_origins = {"https://a.example"};
  EXPECT_TRUE(corsOriginAllowed(c, "https://a.example"));
  EXPECT_FALSE(corsOriginAllowed(c, "https://a.example.evil"));
  EXPECT_FALSE(corsOriginAllowed(c, ""));
  c.allow_origins = {"*"};
  EXPECT_TRUE(corsOriginAllowed(c, "null"));
}

TEST(Cors, StarWithoutCredentialsIsLiteral) {
  config::Cors c;
  c.allow_origins = {"*"};
  std::string out;
  appendCorsResponseFields(c, "https://x.example", out);
  EXPECT_EQ(out, "Access-Control-Allow-Origin: *\r\n");
  c.allow_credentials = true;
  out.clear();
  appendCorsResponseFields(c, "https://x.example", out);
  EXPECT_EQ(out,
            "Access-Control-Allow-Origin: https://x.example\r\nVary: Origin\r\n"
            "Access-Control-Allow-Credentials: true\r\n");
}

TEST(Cors, PreflightFields) {
  config::Cors c;
  c.allow_origins = {"https://a.example"};
  c.allow_headers = {"X-Token", "Content-Type"};
  c.max_age_s = 60;
  std::string out;
  appendCorsPreflightFields(c, "https://a.example", "x-other", out);
  EXPECT_NE(out.find("Access-Control-Allow-Methods: GET, HEAD, POST\r\n"), std::string::npos);
  EXPECT_NE(out.find("Access-Control-Allow-Headers: X-Token, Content-Type\r\n"), std::string::npos);
  EXPECT_EQ(out.find("x-other"), std::string::npos);
  EXPECT_NE(out.find("Access-Control-Max-Age: 60\r\n"), std::string::npos);
}

}  // namespace
}  // namespace portico::proxy
