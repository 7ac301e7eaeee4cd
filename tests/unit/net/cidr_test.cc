#include "net/cidr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace portico::net {
namespace {

// A socket address for a numeric IPv4 or IPv6 literal.
sockaddr_storage sockaddrOf(const char* ip) {
  sockaddr_storage ss{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1) << ip;
    sin6->sin6_family = AF_INET6;
  }
  return ss;
}

bool matches(const Cidr& c, const char* ip) {
  const sockaddr_storage ss = sockaddrOf(ip);
  return c.contains(reinterpret_cast<const sockaddr*>(&ss));
}

bool matches(const CidrSet& s, const char* ip) {
  const sockaddr_storage ss = sockaddrOf(ip);
  return s.contains(reinterpret_cast<const sockaddr*>(&ss));
}

Cidr parsed(const char* text) {
  std::optional<Cidr> c = Cidr::parse(text);
  EXPECT_TRUE(c.has_value()) << text;
  return c.value_or(Cidr{});
}

TEST(Cidr, ParsesAndCanonicalises) {
  EXPECT_EQ(parsed("10.0.0.0/8").toString(), "10.0.0.0/8");
  EXPECT_EQ(parsed("10.1.2.3/8").toString(), "10.0.0.0/8");  // host bits dropped
  EXPECT_EQ(parsed("192.168.1.7").toString(), "192.168.1.7/32");
  EXPECT_EQ(parsed("0.0.0.0/0").toString(), "0.0.0.0/0");
  EXPECT_EQ(parsed("::1").toString(), "::1/128");
  EXPECT_EQ(parsed("2001:DB8:ffff::/32").toString(), "2001:db8::/32");
  EXPECT_EQ(parsed("::/0").toString(), "::/0");
  EXPECT_EQ(parsed("fe80::1/10").toString(), "fe80::/10");
  EXPECT_TRUE(parsed("10.0.0.0/8").isV4());
  EXPECT_EQ(parsed("10.0.0.0/8").prefixLength(), 8u);
  EXPECT_FALSE(parsed("::1").isV4());
  EXPECT_EQ(parsed("::1").prefixLength(), 128u);
}

TEST(Cidr, RejectsMalformed) {
  std::string error;
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/8",
                          "10.0.0/8", "10.0.0.256/32", "::1/129", "::1/1000", "host/8",
                          "10.0.0.0/a", " 10.0.0.0/8", "10.0.0.0/8 ", "[::1]/128", "::1%lo/128"}) {
    EXPECT_EQ(Cidr::parse(bad, &error), std::nullopt) << bad;
  }
  EXPECT_EQ(Cidr::parse("10.0.0.0/33", &error), std::nullopt);
  EXPECT_EQ(error, "invalid CIDR '10.0.0.0/33': IPv4 prefix length must be 0-32");
}

TEST(Cidr, MatchesIpv4) {
  const Cidr c = parsed("10.0.0.0/8");
  EXPECT_TRUE(matches(c, "10.0.0.0"));
  EXPECT_TRUE(matches(c, "10.1.2.3"));
  EXPECT_TRUE(matches(c, "10.255.255.255"));
  EXPECT_FALSE(matches(c, "11.0.0.0"));
  EXPECT_FALSE(matches(c, "9.255.255.255"));
  EXPECT_FALSE(matches(c, "::1"));
  const Cidr host = parsed("192.168.1.7");
  EXPECT_TRUE(matches(host, "192.168.1.7"));
  EXPECT_FALSE(matches(host, "192.168.1.8"));
  const Cidr odd = parsed("172.16.0.0/12");
  EXPECT_TRUE(matches(odd, "172.31.255.255"));
  EXPECT_FALSE(matches(odd, "172.32.0.0"));
  const Cidr all = parsed("0.0.0.0/0");
  EXPECT_TRUE(matches(all, "1.2.3.4"));
  EXPECT_TRUE(matches(all, "::ffff:1.2.3.4"));
  EXPECT_FALSE(matches(all, "2001:db8::1"));  // an IPv4 rule never matches native IPv6
}

TEST(Cidr, MatchesIpv4MappedIpv6) {
  const Cidr c = parsed("10.0.0.0/8");
  EXPECT_TRUE(matches(c, "::ffff:10.1.2.3"));
  EXPECT_FALSE(matches(c, "::ffff:11.1.2.3"));
  EXPECT_FALSE(matches(c, "::10.1.2.3"));  // IPv4-compatible (deprecated) is not mapped
  // A rule written in mapped form matches plain IPv4 peers too.
  const Cidr mapped = parsed("::ffff:10.0.0.0/104");
  EXPECT_TRUE(mapped.isV4() == false);
  EXPECT_TRUE(matches(mapped, "10.9.9.9"));
  EXPECT_FALSE(matches(mapped, "11.9.9.9"));
}

TEST(Cidr, MatchesIpv6) {
  const Cidr lo = parsed("::1/128");
  EXPECT_TRUE(matches(lo, "::1"));
  EXPECT_FALSE(matches(lo, "::2"));
  EXPECT_FALSE(matches(lo, "127.0.0.1"));
  const Cidr doc = parsed("2001:db8::/32");
  EXPECT_TRUE(matches(doc, "2001:db8::1"));
  EXPECT_TRUE(matches(doc, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(matches(doc, "2001:db9::1"));
  const Cidr p65 = parsed("2001:db8:0:0:8000::/65");  // boundary inside the low 64 bits
  EXPECT_TRUE(matches(p65, "2001:db8::8000:0:0:1"));
  EXPECT_FALSE(matches(p65, "2001:db8::7fff:0:0:1"));
  const Cidr p64 = parsed("2001:db8:0:1::/64");
  EXPECT_TRUE(matches(p64, "2001:db8:0:1:ffff::"));
  EXPECT_FALSE(matches(p64, "2001:db8:0:2::"));
  const Cidr any = parsed("::/0");
  EXPECT_TRUE(matches(any, "2001:db8::1"));
  EXPECT_TRUE(matches(any, "10.0.0.1"));  // covers every address, mapped IPv4 included
}

TEST(Cidr, OtherFamiliesAndNullNeverMatch) {
  const Cidr any = parsed("::/0");
  EXPECT_FALSE(any.contains(static_cast<const sockaddr*>(nullptr)));
  sockaddr_storage ss{};
  ss.ss_family = AF_UNIX;
  EXPECT_FALSE(any.contains(reinterpret_cast<const sockaddr*>(&ss)));
  CidrSet set;
  set.add(any);
  EXPECT_FALSE(set.contains(reinterpret_cast<const sockaddr*>(&ss)));
  EXPECT_FALSE(set.contains(static_cast<const sockaddr*>(nullptr)));
}

TEST(Cidr, DefaultMatchesNoRealAddress) {
  const Cidr c;
  EXPECT_EQ(c.toString(), "::/128");
  EXPECT_FALSE(matches(c, "::1"));
  EXPECT_FALSE(matches(c, "0.0.0.0"));
  EXPECT_FALSE(matches(c, "10.0.0.1"));
}

TEST(CidrSet, Membership) {
  CidrSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(matches(set, "10.1.2.3"));
  std::string error;
  EXPECT_TRUE(set.add("10.0.0.0/8", &error));
  EXPECT_TRUE(set.add("::1/128", &error));
  EXPECT_TRUE(set.add("192.168.0.1", &error));
  EXPECT_FALSE(set.add("bogus", &error));
  EXPECT_EQ(error,
            "invalid CIDR 'bogus': expected an IPv4 or IPv6 address with optional /prefix, e.g. "
            "10.0.0.0/8 or ::1/128");
  EXPECT_EQ(set.size(), 3u);
  EXPECT_TRUE(matches(set, "10.1.2.3"));
  EXPECT_TRUE(matches(set, "::ffff:10.1.2.3"));
  EXPECT_TRUE(matches(set, "::1"));
  EXPECT_TRUE(matches(set, "192.168.0.1"));
  EXPECT_TRUE(matches(set, "::ffff:192.168.0.1"));
  EXPECT_FALSE(matches(set, "192.168.0.2"));
  EXPECT_FALSE(matches(set, "127.0.0.1"));
  EXPECT_FALSE(matches(set, "::2"));

  in_addr a4;
  inet_pton(AF_INET, "10.200.0.1", &a4);
  EXPECT_TRUE(set.contains(a4));
  in6_addr a6;
  inet_pton(AF_INET6, "::ffff:10.200.0.1", &a6);
  EXPECT_TRUE(set.contains(a6));
}

TEST(CidrSet, FromStrings) {
  const CidrSet set(std::vector<std::string>{"10.0.0.0/8", "::1"});
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.entries()[1].toString(), "::1/128");
  EXPECT_THROW(CidrSet(std::vector<std::string>{"10.0.0.0/8", "nope"}), std::invalid_argument);
}

}  // namespace
}  // namespace portico::net
