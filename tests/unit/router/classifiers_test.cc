// User-Agent classes (real browser strings), Accept-Language negotiation, the continent table.
#include <gtest/gtest.h>

#include "router/match/accept_language.h"
#include "router/match/geo_database.h"
#include "router/match/user_agent.h"

namespace portico::router {
namespace {

TEST(RouteUserAgent, RealBrowsers) {
  struct Case {
    const char* ua;
    DeviceClass want;
  } cases[] = {
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36",
       DeviceClass::Desktop},
      {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/17.1 Safari/605.1.15",
       DeviceClass::Desktop},
      {"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
       DeviceClass::Desktop},
      {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
       DeviceClass::Mobile},
      {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.6099.43 Mobile Safari/537.36",
       DeviceClass::Mobile},
      {"Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0", DeviceClass::Mobile},
      {"Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/17.1 Mobile/15E148 Safari/604.1",
       DeviceClass::Tablet},
      {"Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36",
       DeviceClass::Tablet},
      {"Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; KFTT Build/IML74K) AppleWebKit/537.36 "
       "(KHTML, like Gecko) Silk/3.68 like Chrome/39.0.2171.93 Safari/537.36",
       DeviceClass::Tablet},
      {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
       DeviceClass::Bot},
      {"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, "
       "like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
       "+http://www.google.com/bot.html)",
       DeviceClass::Bot},
      {"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", DeviceClass::Bot},
      {"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
       DeviceClass::Bot},
      {"curl/7.88.1", DeviceClass::Bot},
      {"python-requests/2.31.0", DeviceClass::Bot},
      {"", DeviceClass::Bot},
  };
  for (const Case& c : cases) EXPECT_EQ(classifyUserAgent(c.ua), c.want) << c.ua;
}

TEST(RouteUserAgent, ClassNames) {
  EXPECT_EQ(parseDeviceClass("tablet"), DeviceClass::Tablet);
  EXPECT_EQ(parseDeviceClass("Tablet"), std::nullopt);
  EXPECT_EQ(deviceClassName(DeviceClass::Bot), "bot");
}

TEST(RouteAcceptLanguage, Quality) {
  EXPECT_EQ(parseQuality("1"), 1000);
  EXPECT_EQ(parseQuality("1.000"), 1000);
  EXPECT_EQ(parseQuality("0.8"), 800);
  EXPECT_EQ(parseQuality("0.125"), 125);
  EXPECT_EQ(parseQuality("0"), 0);
  EXPECT_EQ(parseQuality("1.5"), -1);
  EXPECT_EQ(parseQuality("0.1234"), -1);
  EXPECT_EQ(parseQuality("x"), -1);
}

TEST(RouteAcceptLanguage, BestMatch) {
  const std::vector<std::string> av = {"en", "fr", "de", "pt-br"};
  EXPECT_EQ(bestLanguage("fr", av), 1);
  EXPECT_EQ(bestLanguage("de;q=0.5, fr;q=0.9", av), 1);
  EXPECT_EQ(bestLanguage("fr-CH, fr;q=0.9, en;q=0.8", av), 1);  // fr-CH served by fr
  EXPECT_EQ(bestLanguage("pt", av), 3);                         // pt covers pt-br
  EXPECT_EQ(bestLanguage("PT-BR", av), 3);                      // case-insensitive
  EXPECT_EQ(bestLanguage("it, *;q=0.1", av), 0);                // wildcard: first available
  EXPECT_EQ(bestLanguage("it", av), -1);
  EXPECT_EQ(bestLanguage("fr;q=0, en;q=0", av), -1);
  EXPECT_EQ(bestLanguage("*, fr;q=0", av), 0);  // fr refused, others via *
  EXPECT_EQ(bestLanguage("", av), -1);
  EXPECT_EQ(bestLanguage(" de ; q=0.7 , en ; q=0.6", av), 2);
  EXPECT_EQ(bestLanguage("en;q=bogus, de", av), 2);  // malformed q ignores that range
  EXPECT_EQ(bestLanguage("de, en", av), 0);          // equal q: the first available wins
}

TEST(RouteGeo, ContinentTable) {
  EXPECT_EQ(continentOf("FR"), "EU");
  EXPECT_EQ(continentOf("US"), "NA");
  EXPECT_EQ(continentOf("BR"), "SA");
  EXPECT_EQ(continentOf("JP"), "AS");
  EXPECT_EQ(continentOf("AU"), "OC");
  EXPECT_EQ(continentOf("ZA"), "AF");
  EXPECT_EQ(continentOf("AQ"), "AN");
  EXPECT_EQ(continentOf("ZZ"), "");
  EXPECT_EQ(continentOf("fr"), "");
  EXPECT_TRUE(isContinentCode("EU"));
  EXPECT_FALSE(isContinentCode("XX"));
}

}  // namespace
}  // namespace portico::router
