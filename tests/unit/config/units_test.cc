#include "config/units.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/address.h"
#include "config/suggest.h"

namespace portico::config {
namespace {

TEST(ConfigDuration, Units) {
  EXPECT_EQ(parseDurationMs("250ms"), 250u);
  EXPECT_EQ(parseDurationMs("5s"), 5000u);
  EXPECT_EQ(parseDurationMs("2m"), 120000u);
  EXPECT_EQ(parseDurationMs("1h"), 3600000u);
  EXPECT_EQ(parseDurationMs("0"), 0u);
  EXPECT_EQ(parseDurationMs("30"), 30000u);  // bare integer = seconds
  EXPECT_EQ(parseDurationMs("4294967295ms"), 4294967295u);
}

TEST(ConfigDuration, Rejects) {
  std::string error;
  for (const char* bad : {"", "s", "5", "-5s", "5 s", "5S", "1.5s", "5d", "5sec", "ms", "+5s"}) {
    if (std::string_view(bad) == "5") continue;  // valid, listed for symmetry
    EXPECT_EQ(parseDurationMs(bad, &error), std::nullopt) << bad;
  }
  EXPECT_EQ(parseDurationMs("5x", &error), std::nullopt);
  EXPECT_EQ(error,
            "invalid duration '5x' (expected e.g. 250ms, 5s, 2m, 1h, or a number of seconds)");
  EXPECT_EQ(parseDurationMs("4294967296ms", &error), std::nullopt);
  EXPECT_EQ(error, "duration '4294967296ms' is too large");
  EXPECT_EQ(parseDurationMs("1194h", &error), std::nullopt);  // > 2^32 ms
  EXPECT_EQ(parseDurationMs("99999999999999999999999s", &error), std::nullopt);
  EXPECT_EQ(parseDurationMs("1193h"), 1193u * 3600000u);
}

TEST(ConfigSize, Units) {
  EXPECT_EQ(parseSize("0"), 0u);
  EXPECT_EQ(parseSize("8192"), 8192u);
  EXPECT_EQ(parseSize("16k"), 16384u);
  EXPECT_EQ(parseSize("16K"), 16384u);
  EXPECT_EQ(parseSize("2m"), 2u << 20);
  EXPECT_EQ(parseSize("3G"), 3ull << 30);
}

TEST(ConfigSize, Rejects) {
  std::string error;
  for (const char* bad : {"", "k", "16kb", "16 k", "-1", "1.5m", "1t", "0x10"}) {
    EXPECT_EQ(parseSize(bad, UINT64_MAX, &error), std::nullopt) << bad;
  }
  EXPECT_EQ(parseSize("1025", 1024, &error), std::nullopt);
  EXPECT_EQ(error, "size '1025' is too large (maximum 1024 bytes)");
  EXPECT_EQ(parseSize("2k", 2047, &error), std::nullopt);
  EXPECT_EQ(parseSize("2k", 2048), 2048u);
  EXPECT_EQ(parseSize("18014398509481984k", UINT64_MAX, &error), std::nullopt);  // 2^54 KiB
}

TEST(ConfigUnsigned, Parses) {
  std::string error;
  EXPECT_EQ(parseUnsigned("0"), 0u);
  EXPECT_EQ(parseUnsigned("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parseUnsigned("18446744073709551616", UINT64_MAX, &error), std::nullopt);
  EXPECT_EQ(parseUnsigned("12a", UINT64_MAX, &error), std::nullopt);
  EXPECT_EQ(error, "expected a non-negative integer, got '12a'");
  EXPECT_EQ(parseUnsigned("11", 10, &error), std::nullopt);
  EXPECT_EQ(error, "value 11 is too large (maximum 10)");
}

TEST(ConfigSuggest, EditDistance) {
  EXPECT_EQ(editDistance("address", "address"), 0u);
  EXPECT_EQ(editDistance("adress", "address"), 1u);
  EXPECT_EQ(editDistance("wrokers", "workers"), 1u);  // transposition
  EXPECT_EQ(editDistance("Path-Prefix", "path_prefix"), 0u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
}

TEST(ConfigSuggest, ClosestMatch) {
  const std::vector<std::string_view> keys = {"name", "address", "routes"};
  EXPECT_EQ(closestMatch("adress", keys), "address");
  EXPECT_EQ(closestMatch("rotes", keys), "routes");
  EXPECT_EQ(closestMatch("nmae", keys), "name");
  EXPECT_EQ(closestMatch("bogus", keys), "");
  EXPECT_EQ(closestMatch("nm", keys), "");  // too far for a short word
  const std::vector<std::string_view> levels = {"debug", "info", "warn", "error"};
  EXPECT_EQ(closestMatch("warning", levels), "warn");
  EXPECT_EQ(closestMatch("eror", levels), "error");
  const std::vector<std::string_view> match = {"host", "path_prefix"};
  EXPECT_EQ(closestMatch("path", match), "path_prefix");
  EXPECT_EQ(closestMatch("pa", match), "");
}

TEST(ConfigAddress, Parses) {
  auto hp = parseHostPort("127.0.0.1:8080");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->kind, HostPort::Kind::IPv4);
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 8080);
  hp = parseHostPort("[::1]:443");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->kind, HostPort::Kind::IPv6);
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 443);
  hp = parseHostPort(":65535");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->kind, HostPort::Kind::Any);
  EXPECT_EQ(hp->port, 65535);
  hp = parseHostPort("localhost:1");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->kind, HostPort::Kind::Localhost);
}

TEST(ConfigAddress, Rejects) {
  for (const char* bad :
       {"", ":", "8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:+80", "1.2.3:80", "example.com:80", "::1:80", "[::1]", "[::1]80",
        "[::1:80", "[1.2.3.4]:80", "LOCALHOST:80", " 127.0.0.1:80", "127.0.0.1:80 "}) {
    EXPECT_EQ(parseHostPort(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace portico::config
